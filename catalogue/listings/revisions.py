"""Pending revisions of published items.

A supplier's change to a published (or suspended) item is not applied: it goes into the item's
one pending revision, which holds the whole proposed listing (editable fields and prices). The
public keeps reading the item row, which is the published version, until the authority approves
the revision; approval applies it in one transaction. The authority may instead reject it with
a reason, and the supplier may discard it and start again.

Every change to a revision also bumps the item's version (without touching what the public
sees), so the item's ETag guards the revision too: the authority approves exactly what it read.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.listings.roadmaps import roadmap_specs, sync_roadmap
from catalogue.listings.rules import (
    apply_fields,
    apply_price,
    check_price_names,
    claim,
    ensure_owner,
    item_fields,
    item_snapshot,
    merged_price_spec,
    new_price,
    price_spec,
    record,
    validate_fields_for,
    validate_price,
)
from catalogue.models import CatalogueItem, ItemRevision, Lot, RevisionStatus, utcnow
from catalogue.principal import Principal
from catalogue.validation import REASON_MAX, FieldErrors

Proposal = dict[str, Any]


def current_proposal(item: CatalogueItem) -> Proposal:
    """The item as published, in the shape of a proposal."""
    return {
        "fields": item_fields(item),
        "prices": [price_spec(p) for p in item.prices],
        "roadmap": roadmap_specs(item),
    }


def pending_revision(session: Session, item: CatalogueItem) -> ItemRevision | None:
    return session.scalars(
        select(ItemRevision).where(
            ItemRevision.item_id == item.id, ItemRevision.status == RevisionStatus.PENDING
        )
    ).first()


def require_pending(session: Session, item: CatalogueItem) -> ItemRevision:
    revision = pending_revision(session, item)
    if revision is None:
        raise NotFound(f"Item {item.id} has no pending revision.")
    return revision


def _flat(proposal: Proposal) -> dict[str, Any]:
    flat = {**proposal["fields"], "prices": proposal["prices"]}
    if "roadmap" in proposal:  # revisions proposed before roadmaps existed have none
        flat["roadmap"] = proposal["roadmap"]
    return flat


def propose(
    session: Session,
    actor: Principal,
    item: CatalogueItem,
    change: Callable[[Proposal], None],
) -> ItemRevision:
    """Apply `change` to (a copy of) the pending proposal, starting one if there is none."""
    ensure_owner(actor, item)
    revision = pending_revision(session, item)
    before = revision.proposed if revision is not None else current_proposal(item)
    proposed = copy.deepcopy(before)
    change(proposed)  # validates; raises before anything is stored
    claim(item, visible=False)
    if revision is None:
        revision = ItemRevision(
            item=item, base_version=item.version, proposed=proposed, created_by=actor.label
        )
        session.add(revision)
    else:
        revision.proposed = proposed
    session.flush()
    record(
        session,
        actor,
        "item.revision.propose",
        item,
        {**_flat(before), "revision_id": revision.id},
        {**_flat(proposed), "revision_id": revision.id},
    )
    return revision


def propose_fields(
    session: Session, actor: Principal, item: CatalogueItem, changes: Mapping[str, Any]
) -> ItemRevision:
    def change(proposed: Proposal) -> None:
        proposed["fields"] = validate_fields_for(session, item, {**proposed["fields"], **changes})

    return propose(session, actor, item, change)


def propose_price_create(
    session: Session, actor: Principal, item: CatalogueItem, spec: Mapping[str, Any]
) -> ItemRevision:
    def change(proposed: Proposal) -> None:
        proposed["prices"].append({"id": None, **spec})
        _check_names(proposed)

    return propose(session, actor, item, change)


def _proposed_price(proposed: Proposal, price_id: int) -> int:
    for position, spec in enumerate(proposed["prices"]):
        if spec["id"] == price_id:
            return position
    raise NotFound(f"The pending listing has no price {price_id}.")


def propose_price_update(
    session: Session,
    actor: Principal,
    item: CatalogueItem,
    price_id: int,
    changes: Mapping[str, Any],
) -> ItemRevision:
    def change(proposed: Proposal) -> None:
        position = _proposed_price(proposed, price_id)
        errors = FieldErrors()
        spec = validate_price(errors, merged_price_spec(proposed["prices"][position], changes))
        errors.raise_if_any("The price is not valid.")
        proposed["prices"][position] = {"id": price_id, **spec}
        _check_names(proposed)

    return propose(session, actor, item, change)


def propose_price_delete(
    session: Session, actor: Principal, item: CatalogueItem, price_id: int
) -> ItemRevision:
    def change(proposed: Proposal) -> None:
        del proposed["prices"][_proposed_price(proposed, price_id)]

    return propose(session, actor, item, change)


def _check_names(proposed: Proposal) -> None:
    errors = FieldErrors()
    check_price_names(errors, proposed["prices"], "name")
    errors.raise_if_any("The price is not valid.")


def diff(item: CatalogueItem, revision: ItemRevision) -> dict[str, Any]:
    """What approving the revision would change, against the published item."""
    current, proposed = current_proposal(item), revision.proposed
    fields = {
        name: {"from": current["fields"].get(name), "to": value}
        for name, value in proposed["fields"].items()
        if current["fields"].get(name) != value
    }
    published = {spec["id"]: spec for spec in current["prices"]}
    kept = {spec["id"] for spec in proposed["prices"] if spec["id"] is not None}
    changed = []
    for spec in proposed["prices"]:
        old = published.get(spec["id"])
        if old is None:
            continue
        fields_changed = {
            key: {"from": old.get(key), "to": value}
            for key, value in spec.items()
            if old.get(key) != value
        }
        if fields_changed:
            changed.append({"id": spec["id"], "changes": fields_changed})
    return {
        "fields": fields,
        "prices": {
            "added": [spec for spec in proposed["prices"] if spec["id"] not in published],
            "removed": [spec for price_id, spec in published.items() if price_id not in kept],
            "changed": changed,
        },
        # Revisions proposed before roadmaps existed leave the roadmap as it is.
        "roadmap": _listed_diff(current["roadmap"], proposed.get("roadmap", current["roadmap"])),
    }


def _listed_diff(current: list[dict[str, Any]], proposed: Any) -> dict[str, Any]:
    """Specs with ids (null: new) added, removed and changed."""
    published = {spec["id"]: spec for spec in current}
    kept = {spec["id"] for spec in proposed if spec["id"] is not None}
    changed = []
    for spec in proposed:
        old = published.get(spec["id"])
        if old is None:
            continue
        changes = {k: {"from": old.get(k), "to": v} for k, v in spec.items() if old.get(k) != v}
        if changes:
            changed.append({"id": spec["id"], "changes": changes})
    return {
        "added": [spec for spec in proposed if spec["id"] not in published],
        "removed": [spec for spec_id, spec in published.items() if spec_id not in kept],
        "changed": changed,
    }


def approve(session: Session, actor: Principal, item: CatalogueItem) -> ItemRevision:
    """The authority accepts the pending revision: the published item becomes the proposal."""
    if not actor.is_authority:
        raise Forbidden("Only the authority approves revisions.")
    revision = require_pending(session, item)
    try:
        fields = validate_fields_for(session, item, revision.proposed["fields"])
    except InvalidInput as error:
        raise Conflict(
            "The revision no longer fits the catalogue; reject it.", error.errors
        ) from error
    before = item_snapshot(item)
    claim(item)
    apply_fields(item, fields)
    _sync_prices(session, item, revision.proposed["prices"])
    if "roadmap" in revision.proposed:
        sync_roadmap(session, item, revision.proposed["roadmap"])
    _decide(revision, actor, RevisionStatus.APPROVED)
    session.flush()
    record(
        session,
        actor,
        "item.revision.approve",
        item,
        {**before, "revision_id": revision.id},
        {**item_snapshot(item), "revision_id": revision.id},
    )
    return revision


def _sync_prices(session: Session, item: CatalogueItem, specs: list[dict[str, Any]]) -> None:
    existing = {price.id: price for price in item.prices}
    kept = {spec["id"] for spec in specs if spec["id"] in existing}
    for price in list(item.prices):
        if price.id not in kept:
            item.prices.remove(price)
    session.flush()  # removed prices (and their names) are gone before new ones arrive
    for spec in specs:
        if spec["id"] in existing:
            apply_price(existing[spec["id"]], spec)
        else:
            item.prices.append(new_price(spec))


def reject(session: Session, actor: Principal, item: CatalogueItem, reason: str) -> ItemRevision:
    if not actor.is_authority:
        raise Forbidden("Only the authority rejects revisions.")
    errors = FieldErrors()
    errors.text("reason", reason, REASON_MAX, required=True)
    errors.raise_if_any("A rejection needs a reason.")
    revision = require_pending(session, item)
    claim(item, visible=False)
    _decide(revision, actor, RevisionStatus.REJECTED, reason=reason.strip())
    session.flush()
    record(
        session,
        actor,
        "item.revision.reject",
        item,
        None,
        {"revision_id": revision.id, "reason": revision.rejection_reason},
    )
    return revision


def discard(session: Session, actor: Principal, item: CatalogueItem) -> ItemRevision:
    """The supplier drops its pending revision (to start again, say)."""
    ensure_owner(actor, item)
    revision = require_pending(session, item)
    claim(item, visible=False)
    close(session, actor, item, revision)
    return revision


def close(session: Session, actor: Principal, item: CatalogueItem, revision: ItemRevision) -> None:
    """Discard a pending revision (by its supplier, or because the item was withdrawn)."""
    _decide(revision, actor, RevisionStatus.DISCARDED)
    session.flush()
    record(session, actor, "item.revision.discard", item, None, {"revision_id": revision.id})


def _decide(
    revision: ItemRevision, actor: Principal, status: RevisionStatus, reason: str | None = None
) -> None:
    revision.status = status
    revision.decided_at = utcnow()
    revision.decided_by = actor.label
    revision.rejection_reason = reason


def pending_queue(session: Session) -> list[ItemRevision]:
    """Every pending revision, the oldest first (the authority's review queue), with its item."""
    return list(
        session.scalars(
            select(ItemRevision)
            .where(ItemRevision.status == RevisionStatus.PENDING)
            .options(
                joinedload(ItemRevision.item).options(
                    joinedload(CatalogueItem.supplier),
                    joinedload(CatalogueItem.lot).joinedload(Lot.framework),
                )
            )
            .order_by(ItemRevision.created_at, ItemRevision.id)
        )
    )


def latest_revisions(session: Session, item_ids: list[int]) -> dict[int, ItemRevision]:
    """The newest revision of each of these items that has one (pending or decided), so a
    supplier sees what is waiting for review and why a change was last rejected."""
    latest: dict[int, ItemRevision] = {}
    if not item_ids:
        return latest
    found = session.scalars(
        select(ItemRevision)
        .where(ItemRevision.item_id.in_(item_ids))
        .order_by(ItemRevision.item_id, ItemRevision.created_at.desc(), ItemRevision.id.desc())
    )
    for revision in found:
        latest.setdefault(revision.item_id, revision)
    return latest
