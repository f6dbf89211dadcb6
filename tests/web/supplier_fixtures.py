"""What the supplier's and the authority's pages show, made through the catalogue's own
functions (so it obeys the rules and is audited, as the API would have it): a submitted
listing, a pending revision, and submitted migration orders."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalogue import orders
from catalogue.listings import SYSTEM_KINDS, lifecycle, revisions, writes
from catalogue.models import CallOffOrder, CatalogueItem
from tests.factories import (
    commissioner_principal,
    item,
    item_id,
    migration_order_body,
    supplier_principal,
    system_body,
)


def submitted_listing(db: Session, name: str, supplier: str = "emis") -> CatalogueItem:
    """A new system of `supplier`'s, submitted for review."""
    owner = supplier_principal(db, supplier)
    listing = writes.create_item(db, owner, SYSTEM_KINDS, system_body(name=name))
    lifecycle.transition(db, owner, listing, "submit")
    db.flush()
    return listing


def pending_change(db: Session, slug: str, **changes: Any) -> CatalogueItem:
    """A change its supplier proposed to a published listing, waiting for review."""
    listing = item(db, slug)
    revisions.propose_fields(db, supplier_principal(db, listing.supplier.slug), listing, changes)
    db.flush()
    return listing


def _dated(body: dict[str, Any]) -> dict[str, Any]:
    """The API's body with its dates parsed, as the API's schema hands it to the catalogue."""
    migration = {**body["migration"]}
    migration["planned_go_live"] = date.fromisoformat(migration["planned_go_live"])
    return {
        **body,
        "commencement_date": date.fromisoformat(body["commencement_date"]),
        "migration": migration,
    }


def submitted_order(db: Session, **overrides: Any) -> CallOffOrder:
    """13T's migration order for Riverside (A81001) from EMIS LV to SystmOne, submitted: TPP
    has it to accept, EMIS the notice of Riverside's leaving."""
    commissioner = commissioner_principal(db)
    body = _dated(migration_order_body(db, **overrides))
    order = orders.create_order(db, commissioner, body).order
    orders.transition(db, commissioner, order, orders.Transition.SUBMIT)
    db.flush()
    return order


def order_leaving_tpp(db: Session) -> CallOffOrder:
    """13T's migration of Gateshead Quays (A81003) from SystmOne to EMIS Web, submitted: EMIS
    has it to accept, TPP the notice to acknowledge."""
    return submitted_order(
        db,
        supplier_id=item(db, "emis-web").supplier_id,
        recipients=["A81003"],
        items=_lines(db, "emis-web"),
        migration={
            **migration_order_body(db)["migration"],
            "previous_system_id": item_id(db, "systmone"),
        },
    )


def _lines(db: Session, slug: str) -> list[dict[str, Any]]:
    return [
        {"catalogue_item_id": item_id(db, slug), "price_id": price.id, "quantities": {}}
        for price in item(db, slug).prices
    ]
