"""Accreditation: which capabilities an item holds. Only the authority grants or removes them,
and the item's maturity level is re-derived from them each time (never typed in). Granting a
capability on the item's roadmap (delivered, say) stamps that entry accredited: a supplier's
"delivered" is a claim, the grant is the accreditation."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.listings.roadmaps import mark_accredited
from catalogue.listings.rules import claim, item_snapshot, record
from catalogue.maturity import refresh_derived_fields
from catalogue.models import Capability, CatalogueItem, ItemStatus
from catalogue.principal import Principal


def _capability(session: Session, code: str) -> Capability:
    capability = session.scalars(select(Capability).where(Capability.code == code)).first()
    if capability is None:
        raise InvalidInput("Unknown capability.", {"code": [f"No capability {code!r}."]})
    return capability


def _check(actor: Principal, item: CatalogueItem) -> None:
    if not actor.is_authority:
        raise Forbidden("Only the authority accredits items.")
    if item.status is ItemStatus.WITHDRAWN:
        raise Conflict("The item is withdrawn; it can no longer change.", {"status": ["withdrawn"]})


def grant(session: Session, actor: Principal, item: CatalogueItem, code: str) -> CatalogueItem:
    """Accredit `item` for a capability (granting one it holds changes nothing)."""
    _check(actor, item)
    capability = _capability(session, code)
    if capability.code in item.capability_codes:
        return item
    before = item_snapshot(item)
    claim(item)
    item.capabilities.append(capability)
    mark_accredited(item, capability, date.today())
    refresh_derived_fields(session, [item])
    session.flush()
    record(session, actor, "item.accreditation.grant", item, before, item_snapshot(item))
    return item


def remove(session: Session, actor: Principal, item: CatalogueItem, code: str) -> CatalogueItem:
    _check(actor, item)
    held = next((c for c in item.capabilities if c.code == code), None)
    if held is None:
        raise NotFound(f"Item {item.id} is not accredited for {code!r}.")
    before = item_snapshot(item)
    claim(item)
    item.capabilities.remove(held)
    refresh_derived_fields(session, [item])
    session.flush()
    record(session, actor, "item.accreditation.remove", item, before, item_snapshot(item))
    return item
