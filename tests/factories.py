"""Test data in one place: look-ups in the seed catalogue, principals and tokens, and the bodies
of requests and domain calls.

Plain functions over the test's session rather than factory_boy: the seed catalogue
(seed_data/) already holds the rows most tests need, and new rows are made through the domain's
own services (so they obey its rules and are audited), which take request-shaped bodies. Each
builder takes keyword overrides, so a test states only what it is about.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue import estate
from catalogue.accounts import issue_token
from catalogue.models import (
    AuditEvent,
    CallOffOrder,
    CatalogueItem,
    Organisation,
    Price,
    Selection,
    Supplier,
)
from catalogue.orders.dates import period_end
from catalogue.principal import CONSOLE, Principal, Role
from catalogue.selections.scoring import SelectionResult

# --------------------------------------------------------------------------- the seed catalogue
# EMIS and TPP are suppliers with published systems; 13T (NHS Newcastle Gateshead CCG) is the
# commissioner of Riverside (A81001, on EMIS LV) and Jesmond Road (A81002).
OWNER_SLUG = "emis"
OTHER_SLUG = "tpp"
COMMISSIONER_ODS = "13T"
PRACTICE = "A81001"  # Riverside Medical Practice, 13T's, on EMIS LV
OTHER_PRACTICE = "A81002"  # Jesmond Road Surgery, 13T's
FOREIGN_PRACTICE = "M82001"  # Wellington Road Surgery, 05X's


def item(db: Session, slug: str) -> CatalogueItem:
    return db.scalars(select(CatalogueItem).where(CatalogueItem.slug == slug)).one()


def rename_item(db: Session, slug: str, name: str) -> None:
    item(db, slug).name = name
    db.flush()


def item_id(db: Session, slug: str) -> int:
    return db.scalars(select(CatalogueItem.id).where(CatalogueItem.slug == slug)).one()


def supplier_id(db: Session, slug: str) -> int:
    return db.scalars(select(Supplier.id).where(Supplier.slug == slug)).one()


def organisation(db: Session, ods_code: str) -> Organisation:
    return db.scalars(select(Organisation).where(Organisation.ods_code == ods_code)).one()


def runs(db: Session, ods_code: str, slug: str, level: int | None = None) -> None:
    """Record (as the framework authority) that a practice runs `slug` at `level`."""
    estate.record(db, CONSOLE, organisation(db, ods_code), item(db, slug), level)
    db.flush()


def organisation_id(db: Session, ods_code: str) -> int:
    return db.scalars(select(Organisation.id).where(Organisation.ods_code == ods_code)).one()


def price(db: Session, slug: str, name: str) -> Price:
    """An item's price by its name."""
    (found,) = [each for each in item(db, slug).prices if each.name == name]
    return found


def price_ids(db: Session, slug: str) -> dict[str, int]:
    """An item's price ids by name."""
    rows = db.execute(
        select(Price.name, Price.id).join(CatalogueItem).where(CatalogueItem.slug == slug)
    )
    return {name: price_id for name, price_id in rows}


def audit_count(db: Session) -> int:
    return db.scalar(select(func.count(AuditEvent.id))) or 0


def order_count(db: Session) -> int:
    return db.scalar(select(func.count(CallOffOrder.id))) or 0


# --------------------------------------------------------------------------- who acts


def token(db: Session, role: Role, name: str | None = None, **binding: int) -> str:
    """A new API token's secret (bound to `supplier_id` or `organisation_id`), flushed so that
    a request in the same transaction can authenticate with it."""
    secret = issue_token(db, CONSOLE, role, name or f"{role.value} test token", **binding).secret
    db.flush()
    return secret


def supplier_principal(db: Session, slug: str = OWNER_SLUG) -> Principal:
    return Principal(Role.SUPPLIER, slug, supplier_id=supplier_id(db, slug))


def commissioner_principal(db: Session, ods_code: str = COMMISSIONER_ODS) -> Principal:
    return Principal(
        Role.COMMISSIONER, ods_code, token_id=1, organisation_id=organisation_id(db, ods_code)
    )


# --------------------------------------------------------------------------- prices


def practice_principal(db: Session, ods_code: str = PRACTICE) -> Principal:
    """A practice's lead (no evaluator of any selection)."""
    return Principal(
        Role.PRACTICE, f"{ods_code} lead", organisation_id=organisation_id(db, ods_code)
    )


def lock_by_signatures(db: Session, selection: Selection) -> SelectionResult:
    """Lock a selection the only way there is: the commissioner and the practice both sign
    its result off (the second signature freezes it)."""
    from catalogue import selections

    commissioner = Principal(
        Role.COMMISSIONER, "commissioner lead", organisation_id=selection.commissioner_id
    )
    practice = Principal(Role.PRACTICE, "practice lead", organisation_id=selection.practice_id)
    selections.sign_off(db, commissioner, selection)
    result = selections.sign_off(db, practice, selection)
    assert result is not None
    return result


def price_body(**overrides: Any) -> dict[str, Any]:
    """A flat yearly price per practice, as the API takes it."""
    return {
        "name": "Annual practice licence",
        "charge_type": "licence",
        "unit": "practice",
        "period": "year",
        "effective_from": "2015-04-01",
        "amount": "3000.00",
        **overrides,
    }


def tiers(*bounds: tuple[int, int | None], amount: Any = "1.00") -> list[dict[str, Any]]:
    """Price tiers from (lower, upper) bounds, each at `amount`."""
    return [{"lower_bound": lo, "upper_bound": hi, "amount": amount} for lo, hi in bounds]


# --------------------------------------------------------------------------- listings


def system_body(**overrides: Any) -> dict[str, Any]:
    """A new Lot 1 system of gpsoc-r with one price, as a supplier posts it."""
    body = {
        "kind": "system",
        "name": "Test Clinical System",
        "summary": "A system made by a test.",
        "framework": "gpsoc-r",
        "lot": 1,
        "hosting": "hosted",
        "rfa_version": "RFA v7",
        "prices": [price_body()],
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- orders


def commencement() -> date:
    """The first of this month: never more than 3 months in the past, and whole months."""
    return date.today().replace(day=1)


def order_lines(db: Session, slug: str, *names: str, **quantities: int) -> list[dict]:
    """Order lines for some (default: all) prices of an item."""
    by_name = price_ids(db, slug)
    return [
        {
            "catalogue_item_id": item_id(db, slug),
            "price_id": by_name[name],
            "quantities": quantities,
        }
        for name in (names or by_name)
    ]


def migration_go_live(start: date) -> date:
    """Business go-live on the last day of the term's second month: the new system is charged
    from the third month, the previous system kept through months 3 to 5 for bedding-in."""
    return period_end(start, 2)


def migration_order_body(db: Session, **overrides: Any) -> dict[str, Any]:
    """A migration order as posted: SystmOne and its deployment for Riverside, leaving EMIS LV."""
    start = commencement()
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, OTHER_SLUG),
        "commencement_date": start.isoformat(),
        "term_months": 36,
        "recipients": [PRACTICE],
        "items": order_lines(db, "systmone") + order_lines(db, "systmone-deployment-migration"),
        "migration": {
            "previous_system_id": item_id(db, "emis-lv"),
            "planned_go_live": migration_go_live(start).isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
        },
    }
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- selections


def selection_body(**overrides: Any) -> dict[str, Any]:
    """A selection for Riverside over 36 months, price weighted 60 %, as the API takes it."""
    body = {
        "name": "Riverside system choice",
        "practice": PRACTICE,
        "framework": "gpsoc-r",
        "term_months": 36,
        "price_weight": 60,
        "non_price_weights": {
            "features": 40,
            "implementation": 20,
            "interoperability": 40,
            "service_levels": 0,
        },
    }
    body.update(overrides)
    return body
