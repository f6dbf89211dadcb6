"""Suppliers writing their roadmaps: an entry changes at once on a draft, and as the item's
pending revision once the item is published (see `roadmaps` for the rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from catalogue.listings import revisions, roadmaps
from catalogue.listings.rules import (
    REVISED_STATUSES,
    claim,
    ensure_editable,
    ensure_owner,
    item_snapshot,
    record,
)
from catalogue.models import CatalogueItem, RoadmapEntry
from catalogue.principal import Principal


def create_entry(
    session: Session, actor: Principal, item: CatalogueItem, data: Mapping[str, Any]
) -> RoadmapEntry | Any:
    """Add a roadmap entry: at once on a draft, as a pending revision on a published item."""
    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:

        def change(proposed: dict[str, Any]) -> None:
            specs = proposed.setdefault("roadmap", roadmaps.roadmap_specs(item))
            specs.append(roadmaps.created_spec(session, item, specs, data))

        return revisions.propose(session, actor, item, change)
    spec = roadmaps.created_spec(session, item, roadmaps.roadmap_specs(item), data)
    before = item_snapshot(item)
    claim(item)
    entry = roadmaps.new_entry(session, spec)
    item.roadmap.append(entry)
    session.flush()
    record(session, actor, "item.roadmap.create", item, before, item_snapshot(item))
    return entry


def update_entry(
    session: Session,
    actor: Principal,
    item: CatalogueItem,
    entry_id: int,
    changes: Mapping[str, Any],
) -> RoadmapEntry | Any:
    """Change an entry's target date, status or note (its capability is what it is)."""
    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:

        def change(proposed: dict[str, Any]) -> None:
            specs = proposed.setdefault("roadmap", roadmaps.roadmap_specs(item))
            position, spec = roadmaps.updated_spec(session, item, specs, entry_id, changes)
            specs[position] = spec

        return revisions.propose(session, actor, item, change)
    _, spec = roadmaps.updated_spec(session, item, roadmaps.roadmap_specs(item), entry_id, changes)
    entry = roadmaps.find_entry(item, entry_id)
    before = item_snapshot(item)
    claim(item)
    roadmaps.apply_spec(entry, spec)
    session.flush()
    record(session, actor, "item.roadmap.update", item, before, item_snapshot(item))
    return entry


def delete_entry(
    session: Session, actor: Principal, item: CatalogueItem, entry_id: int
) -> Any | None:
    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:

        def change(proposed: dict[str, Any]) -> None:
            specs = proposed.setdefault("roadmap", roadmaps.roadmap_specs(item))
            del specs[roadmaps.position_of(specs, entry_id)]

        return revisions.propose(session, actor, item, change)
    entry = roadmaps.find_entry(item, entry_id)
    before = item_snapshot(item)
    claim(item)
    item.roadmap.remove(entry)
    session.flush()
    record(session, actor, "item.roadmap.delete", item, before, item_snapshot(item))
    return None
