"""Schema revision 0011 (the three payers) keeps every stored payer: "local" becomes
"commissioner" on the way up, in columns and in the JSON that holds prices, and comes back
exactly on the way down. Runs on SQLite, and on PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import json
from datetime import date

from alembic import command
from sqlalchemy import Connection, select, text

from catalogue import orders, selections
from catalogue.db import make_session_factory
from catalogue.listings import revisions
from catalogue.migrate import alembic_config
from catalogue.models import Organisation, Selection, Supplier
from catalogue.principal import Principal, Role
from tests import factories
from tests.databases import fresh_database

PAYER_QUERIES = {
    "price": "SELECT id, funding FROM price ORDER BY id",
    "lot": "SELECT id, default_funding FROM lot ORDER BY id",
    "call_off_item": "SELECT id, funding FROM call_off_item ORDER BY id",
    "framework": "SELECT id, funding_types FROM framework ORDER BY id",
    "selection": "SELECT id, snapshot FROM selection WHERE snapshot IS NOT NULL ORDER BY id",
    "item_revision": "SELECT id, proposed FROM item_revision ORDER BY id",
}


def _payers(connection: Connection) -> dict[str, list[tuple]]:
    """Every stored payer, JSON decoded (PostgreSQL hands JSON back decoded, SQLite as text)."""

    def plain(value):
        return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

    return {
        table: [tuple(plain(v) for v in row) for row in connection.execute(text(query))]
        for table, query in PAYER_QUERIES.items()
    }


def _names(payers: dict[str, list[tuple]]) -> set[str]:
    """The payers' names stored anywhere: columns, funding types, and each "funding" of JSON."""

    def found(value) -> list:
        if isinstance(value, dict):
            own = [value["funding"]] if "funding" in value else []
            return own + [name for each in value.values() for name in found(each)]
        if isinstance(value, list):
            return [name for each in value for name in found(each)]
        return []

    names = {row[1] for table in ("price", "lot", "call_off_item") for row in payers[table]}
    names |= {name for _, types in payers["framework"] for name in types}
    for table in ("selection", "item_revision"):
        names |= {name for _, document in payers[table] for name in found(document)}
    return names - {None}


def _place_orders(session) -> None:
    commissioner = session.scalars(select(Organisation).where(Organisation.ods_code == "13T")).one()
    actor = Principal(Role.COMMISSIONER, "test", organisation_id=commissioner.id)
    for supplier, slug in (("tpp", "systmone"), ("scanwise", "scanwise-desktop-scanner")):
        item = factories.item(session, slug)
        order = orders.create_order(
            session,
            actor,
            {
                "framework": "gpsoc-r",
                "supplier_id": session.scalars(
                    select(Supplier.id).where(Supplier.slug == supplier)
                ).one(),
                "commencement_date": date(2026, 12, 1),
                "term_months": 36,
                "recipients": ["A81003"],
                "items": [{"catalogue_item_id": item.id, "price_id": p.id} for p in item.prices],
            },
            today=date(2026, 12, 1),
        ).order
    # The scanner's one-off: agreed, so the commissioner pays it.
    orders.agree_funding(session, actor, order, order.items[0].id, "Paperless plan.")
    # A selection's frozen prices and a supplier's pending revision hold payers in JSON.
    chosen = selections.create_selection(
        session, actor, name="Frozen", practice="A81001", framework="gpsoc-r"
    )
    session.get(Selection, chosen.id).snapshot = {
        "candidates": [
            {"item_id": item.id, "prices": [p.to_json() for p in _terms(session, "systmone")]}
        ]
    }
    owner = factories.supplier_principal(session, "emis")
    revisions.propose_fields(session, owner, factories.item(session, "emis-web"), {"name": "EW"})


def _terms(session, slug: str):
    from catalogue.pricing import price_terms

    return price_terms(factories.item(session, slug))


def test_local_becomes_commissioner_and_comes_back_exactly(tmp_path):
    with fresh_database(tmp_path) as engine:
        with make_session_factory(engine).begin() as session:
            _place_orders(session)
        with engine.begin() as connection:
            at_head = _payers(connection)
            assert _names(at_head) == {"central", "commissioner", "practice"}
            assert {row[1] for row in at_head["call_off_item"]} == {
                "central",
                "commissioner",
                "practice",
            }
            config = alembic_config(connection=connection)

            command.downgrade(config, "0010")
            before = _payers(connection)
            assert _names(before) == {"central", "local"}
            # Every JSON document holding payers was rewritten too.
            assert {row[1] for row in before["call_off_item"]} == {"central", "local"}
            # Row for row, only the payer's name changed.
            assert {t: [row[0] for row in rows] for t, rows in before.items()} == {
                t: [row[0] for row in rows] for t, rows in at_head.items()
            }
            frameworks = dict(before["framework"])
            assert sorted(map(tuple, frameworks.values())) == [("central", "local")] * 2
            columns = {
                column
                for (column,) in connection.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = 'catalogue_item'"
                    )
                    if connection.dialect.name == "postgresql"
                    else text("SELECT name FROM pragma_table_info('catalogue_item')")
                )
            }
            assert "infrastructure_class" not in columns

            command.upgrade(config, "0011")
            after = _payers(connection)
            # Down and up, nothing is the practice's: "local" told no practice apart.
            assert _names(after) == {"central", "commissioner"}
            assert after["price"] == [
                (i, "commissioner" if f == "local" else f) for i, f in before["price"]
            ]
            assert after["lot"] == [
                (i, "commissioner" if f == "local" else f) for i, f in before["lot"]
            ]
            assert (
                sorted(map(tuple, dict(after["framework"]).values()))
                == [("central", "commissioner")] * 2
            )

            command.downgrade(config, "0010")
            assert _payers(connection) == before  # exactly what was there
            command.upgrade(config, "head")


def test_the_old_vocabulary_is_refused_by_the_database_after_the_upgrade(tmp_path):
    with fresh_database(tmp_path) as engine, engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.execute(text("UPDATE lot SET default_funding = 'local'"))
        except Exception as error:  # noqa: BLE001 - either driver's integrity error
            assert "lot_funding" in str(error)
        else:
            raise AssertionError("the CHECK constraint let 'local' in")
        finally:
            transaction.rollback()
