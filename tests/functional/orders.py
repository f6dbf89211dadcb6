"""Helpers for the order tests: the seeded migration from EMIS LV to SystmOne, in figures."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.accounts import issue_token
from catalogue.models import (
    AuditEvent,
    CallOffOrder,
    CatalogueItem,
    Organisation,
    Price,
    Supplier,
)
from catalogue.orders.dates import period_end
from catalogue.principal import CONSOLE, Role
from tests.functional.actors import Caller

ORDERS = "/api/v1/orders"
PRACTICE = "A81001"  # Riverside Medical Practice, 13T's, on EMIS LV
OTHER_PRACTICE = "A81002"  # Jesmond Road Surgery, 13T's
FOREIGN_PRACTICE = "M82001"  # Wellington Road Surgery, 05X's


def token(db: Session, role: Role, **binding) -> str:
    secret = issue_token(db, CONSOLE, role, f"{role.value} order tests", **binding).secret
    db.flush()
    return secret


def supplier_caller(client: FlaskClient, db: Session, slug: str) -> Caller:
    own = supplier_id(db, slug)
    return Caller(client, token(db, Role.SUPPLIER, supplier_id=own), supplier_id=own)


def commissioner_caller(client: FlaskClient, db: Session, ods_code: str) -> Caller:
    org = organisation_id(db, ods_code)
    return Caller(client, token(db, Role.COMMISSIONER, organisation_id=org), organisation_id=org)


def supplier_id(db: Session, slug: str) -> int:
    return db.scalars(select(Supplier.id).where(Supplier.slug == slug)).one()


def item_id(db: Session, slug: str) -> int:
    return db.scalars(select(CatalogueItem.id).where(CatalogueItem.slug == slug)).one()


def organisation_id(db: Session, ods_code: str) -> int:
    return db.scalars(select(Organisation.id).where(Organisation.ods_code == ods_code)).one()


def audit_count(db: Session) -> int:
    return db.scalar(select(func.count(AuditEvent.id))) or 0


def commencement() -> date:
    """The first of this month: never more than 3 months in the past, and whole months."""
    return date.today().replace(day=1)


def prices(db: Session, slug: str) -> dict[str, int]:
    """An item's price ids by name."""
    rows = db.execute(
        select(Price.name, Price.id).join(CatalogueItem).where(CatalogueItem.slug == slug)
    )
    return {name: price_id for name, price_id in rows}


def lines(db: Session, slug: str, *names: str, **quantities: int) -> list[dict]:
    """Order lines for some (default: all) prices of an item."""
    by_name = prices(db, slug)
    return [
        {
            "catalogue_item_id": item_id(db, slug),
            "price_id": by_name[name],
            "quantities": quantities,
        }
        for name in (names or by_name)
    ]


def go_live(start: date) -> date:
    """Business go-live on the last day of the term's second month: the new system is charged
    from the third month, the previous system kept through months 3 to 5 for bedding-in."""
    return period_end(start, 2)


def systmone_body(db: Session, **overrides) -> dict:
    """A migration order: SystmOne and its deployment for Riverside, leaving EMIS LV."""
    start = commencement()
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "tpp"),
        "commencement_date": start.isoformat(),
        "term_months": 36,
        "recipients": [PRACTICE],
        "items": lines(db, "systmone") + lines(db, "systmone-deployment-migration"),
        "migration": {
            "previous_system_id": item_id(db, "emis-lv"),
            "planned_go_live": go_live(start).isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
        },
    }
    body.update(overrides)
    return body


def place(caller: Caller, body: dict, **kwargs) -> tuple[dict, str]:
    response = caller.post(ORDERS, json=body, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["ETag"]


def move(caller: Caller, call_off_id: str, transition: str, etag: str, **body):
    return caller.post(f"{ORDERS}/{call_off_id}/transitions/{transition}", json=body, etag=etag)


def order_count(db: Session) -> int:
    return db.scalar(select(func.count(CallOffOrder.id))) or 0
