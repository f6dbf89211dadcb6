"""Schema revision 0014 (charge types) gives every stored price the charge type its data
derives, once, and keeps every seeded price's payer exactly as the rules before it decided
(tests/catalogue/data/funding_before_0014.json, recorded with the code before the revision),
but for the one rule that changed (core IT stating "practice"). Down and up again, the charge
types and the practices' agreements go and come back. SQLite, and PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from catalogue.db import make_session_factory
from catalogue.funding import funding_for
from catalogue.listings import revisions
from catalogue.migrate import alembic_config
from catalogue.models import Base, CatalogueItem, ChargeType, Funding
from tests import factories
from tests.databases import fresh_database

BEFORE = json.loads((Path(__file__).parent / "data" / "funding_before_0014.json").read_text())


def _payers(session: Session) -> dict[str, str | None]:
    return {
        f"{item.slug} / {price.name}": (lambda d: d.value if d else None)(
            funding_for(item, price).funding
        )
        for item in session.scalars(select(CatalogueItem))
        for price in item.prices
    }


def _columns(connection: Connection, table: str) -> set[str]:
    if connection.dialect.name == "postgresql":
        query = text(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = current_schema() AND table_name = '{table}'"
        )
    else:
        query = text(f"SELECT name FROM pragma_table_info('{table}')")
    return {column for (column,) in connection.execute(query)}


def _charge_types(session: Session) -> dict[tuple[str, str], ChargeType]:
    return {
        (item.slug, price.name): price.charge_type
        for item in session.scalars(select(CatalogueItem))
        for price in item.prices
    }


def test_seeded_payers_are_those_before_charge_types(db):
    """The seed states charge types; with them the rules give each seeded price the payer the
    rules before charge types gave it (no seeded price is core IT stating 'practice')."""
    assert _payers(db) == BEFORE


def test_0014_derives_charge_types_from_stored_data_and_keeps_every_payer(tmp_path):
    with fresh_database(tmp_path) as engine:
        with make_session_factory(engine).begin() as session:
            owner = factories.supplier_principal(session, "emis")
            emis_web = factories.item(session, "emis-web")
            revisions.propose_fields(session, owner, emis_web, {"name": "EMIS Web 2"})
            seeded = _charge_types(session)
        with engine.begin() as connection:
            config = alembic_config(connection=connection)
            command.downgrade(config, "0012")
            assert "charge_type" not in _columns(connection, "price")
            assert "practice_funding_agreement" not in _tables(connection)
            proposed = _proposed(connection)
            assert proposed and all("charge_type" not in price for price in proposed)
            # A name the seed does not use, as a supplier may have written it before.
            connection.execute(
                text(
                    "UPDATE price SET name = 'Software maintenance' WHERE name = 'Level 3 "
                    "increment' AND item_id = (SELECT id FROM catalogue_item "
                    "WHERE slug = 'emis-lv')"
                )
            )
            command.upgrade(config, "head")
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert differences == []
            assert all("charge_type" in price for price in _proposed(connection))
        with make_session_factory(engine).begin() as session:
            derived = _charge_types(session)
            renamed = ("emis-lv", "Software maintenance")
            assert derived.pop(renamed) is ChargeType.SOFTWARE_MAINTENANCE
            seeded.pop(("emis-lv", "Level 3 increment"))
            # Derived once from the data, each is what the seed now states but the kiosk's
            # "licence and support", which the seed states is a licence (Lot 2 additional IT:
            # the practice pays it either way).
            kiosk = ("arrivo-self-check-in-kiosk", "Kiosk software licence and support")
            assert (seeded.pop(kiosk), derived.pop(kiosk)) == (
                ChargeType.LICENCE,
                ChargeType.SUPPORT_SERVICE,
            )
            assert derived == seeded
            # And every price keeps the payer the rules gave it before.
            payers = _payers(session)
            assert payers.pop("emis-lv / Software maintenance") == Funding.CENTRAL.value
            before = dict(BEFORE)
            before.pop("emis-lv / Level 3 increment")
            assert payers == before
        with engine.begin() as connection:
            config = alembic_config(connection=connection)
            command.downgrade(config, "0012")
            assert "charge_type" not in _columns(connection, "price")
            assert all("charge_type" not in price for price in _proposed(connection))
            command.upgrade(config, "head")


def _tables(connection: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(connection).get_table_names())


def _proposed(connection: Connection) -> list[dict]:
    prices = []
    for (document,) in connection.execute(text("SELECT proposed FROM item_revision")):
        value = json.loads(document) if isinstance(document, str) else document
        prices.extend(value.get("prices", []))
    return prices


def _scanner_order(session: Session, agreed_by: list, submit: bool) -> str:
    from sqlalchemy import select as select_

    from catalogue import orders
    from catalogue.models import Organisation, Supplier
    from catalogue.orders.lifecycle import Transition
    from catalogue.principal import Principal, Role

    commissioner = session.scalars(
        select_(Organisation).where(Organisation.ods_code == "13T")
    ).one()
    actor = Principal(Role.COMMISSIONER, "test", organisation_id=commissioner.id)
    scanner = factories.item(session, "scanwise-desktop-scanner")
    order = orders.create_order(
        session,
        actor,
        {
            "framework": "gpsoc-r",
            "supplier_id": session.scalars(
                select_(Supplier.id).where(Supplier.slug == "scanwise")
            ).one(),
            "commencement_date": date.today().replace(day=1),
            "term_months": 36,
            "recipients": ["A81001"],
            "items": [{"catalogue_item_id": scanner.id, "price_id": p.id} for p in scanner.prices],
        },
    ).order
    practice = session.scalars(select_(Organisation).where(Organisation.ods_code == "A81001")).one()
    sides = {
        "commissioner": actor,
        "practice": Principal(Role.PRACTICE, "riverside", organisation_id=practice.id),
    }
    for side in agreed_by:
        orders.agree_funding(session, sides[side], order, order.items[0].id, "Paperless plan.")
    if submit:
        orders.transition(session, actor, order, Transition.SUBMIT)
    return order.call_off_id


def test_0014_keeps_the_payers_of_orders_submitted_with_the_commissioners_agreement(tmp_path):
    """Before 0014 the commissioner's agreement alone moved a line: a submitted order keeps
    its payers (its practices' side is recorded with it), a draft's practices agree anew."""
    from catalogue import orders
    from catalogue.principal import CONSOLE

    with fresh_database(tmp_path) as engine:
        with make_session_factory(engine).begin() as session:
            submitted = _scanner_order(session, ["commissioner", "practice"], submit=True)
            draft = _scanner_order(session, ["commissioner", "practice"], submit=False)
        with engine.begin() as connection:
            config = alembic_config(connection=connection)
            command.downgrade(config, "0012")
            command.upgrade(config, "head")
            (reason,) = connection.execute(
                text("SELECT reason FROM practice_funding_agreement")
            ).one()
            assert "0014" in reason
        with make_session_factory(engine).begin() as session:
            kept = orders.get_order(session, CONSOLE, submitted)
            assert orders.funding_of(kept.items[0]).funding is Funding.COMMISSIONER
            anew = orders.get_order(session, CONSOLE, draft)
            assert orders.funding_of(anew.items[0]).funding is Funding.PRACTICE
