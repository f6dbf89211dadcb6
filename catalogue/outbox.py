"""Search outbox hooks: every flush that changes what a search document shows writes outbox
rows (one per affected catalogue item) in the same transaction as the change.

The hooks are installed on the Session class when this module is imported (catalogue/__init__
imports it), so they fire whatever code path changes the data: the API, the CLI, the seed, a
test. Only ORM unit-of-work changes are seen; Core bulk statements (the synthetic seed, say)
bypass them and are followed by a reindex.

Draining the rows into a search engine is search/'s business, not the domain's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from sqlalchemy import Subquery, event, insert, inspect, literal, select
from sqlalchemy.orm import Session

from .models import (
    Capability,
    CatalogueItem,
    Framework,
    Lot,
    Price,
    PriceTier,
    RoadmapEntry,
    SearchOutbox,
    Supplier,
    item_capability,
    table_of,
    utcnow,
)
from .models.base import UTCDateTime

_WRITTEN = "gpsoc.search_outbox.written"
_COMMITTED = "gpsoc.search_outbox.committed"

# Attributes of related objects that search documents include; other changes to them (a
# supplier's contact email, say) leave every document as it was.
_DOCUMENT_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    Supplier: ("name",),
    Capability: ("code", "name"),
    Lot: ("number", "name", "framework_id"),
    Framework: ("slug", "name", "status"),
}


def take_committed(session: Session) -> bool:
    """True (once) when the session committed outbox rows since the last call: time to drain."""
    return bool(session.info.pop(_COMMITTED, False))


def _loaded(obj: Any, name: str) -> Any:
    # Deleted objects must not be refreshed; their loaded state is what we have.
    return inspect(obj).dict.get(name)


def _changed(obj: Any, names: Iterable[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _flush_context: Any) -> None:
    item_ids: set[int] = set()
    price_ids: set[int] = set()
    related: dict[type, set[int]] = {kind: set() for kind in _DOCUMENT_ATTRIBUTES}
    dirty = session.dirty
    for obj in chain(session.new, dirty, session.deleted):
        if isinstance(obj, CatalogueItem):
            if obj in dirty and not session.is_modified(obj):
                continue
            item_ids.add(_loaded(obj, "id"))
        elif isinstance(obj, Price | RoadmapEntry):
            item_ids.add(_loaded(obj, "item_id"))
        elif isinstance(obj, PriceTier):
            price_ids.add(_loaded(obj, "price_id"))
        elif (
            type(obj) in _DOCUMENT_ATTRIBUTES
            and obj in dirty
            and _changed(obj, _DOCUMENT_ATTRIBUTES[type(obj)])
        ):
            related[type(obj)].add(_loaded(obj, "id"))
    item_ids.discard(None)
    price_ids.discard(None)
    if not (item_ids or price_ids or any(related.values())):
        return

    connection = session.connection()
    table = table_of(SearchOutbox)
    if price_ids:
        item_ids.update(
            connection.scalars(select(Price.item_id).where(Price.id.in_(sorted(price_ids))))
        )
    if item_ids:
        connection.execute(insert(table), [{"item_id": item_id} for item_id in sorted(item_ids)])
    for affected in _items_of_related(related):
        now = literal(utcnow(), UTCDateTime())
        connection.execute(
            insert(table).from_select(
                ["item_id", "created_at", "attempts"], select(affected.c.id, now, literal(0))
            )
        )
    session.info[_WRITTEN] = True


def _items_of_related(related: dict[type, set[int]]) -> Iterator[Subquery]:
    """Subqueries selecting the ids of the items whose documents show a changed related row."""
    item = table_of(CatalogueItem)
    if related[Supplier]:
        yield select(item.c.id).where(item.c.supplier_id.in_(sorted(related[Supplier]))).subquery()
    if related[Lot]:
        yield select(item.c.id).where(item.c.lot_id.in_(sorted(related[Lot]))).subquery()
    if related[Framework]:
        lots = select(Lot.id).where(Lot.framework_id.in_(sorted(related[Framework])))
        yield select(item.c.id).where(item.c.lot_id.in_(lots)).subquery()
    if related[Capability]:
        yield (
            select(item_capability.c.item_id.label("id"))
            .where(item_capability.c.capability_id.in_(sorted(related[Capability])))
            .subquery()
        )


def _after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        session.info[_COMMITTED] = True


def _after_rollback(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


def install() -> None:
    """Install the hooks on every Session (idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


install()
