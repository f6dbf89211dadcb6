"""Drift between the database and the index (`gpsoc search-check`): the searchable items the
index lacks, the documents it holds that are not searchable (any more), and the documents
that differ from what the database says now (stale, by their fingerprints). Items with a
pending outbox row are on their way and not counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from catalogue.models import SearchOutbox

from .documents import documents_for, iter_public_documents
from .engine import SearchEngine
from .indexer import SessionFactory
from .locking import DrainLock, held


@dataclass(frozen=True)
class Drift:
    missing: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    searchable: int = 0
    indexed: int = 0
    pending: int = 0

    @property
    def found(self) -> bool:
        return bool(self.missing or self.extra or self.stale)

    @property
    def item_ids(self) -> list[int]:
        return sorted({*self.missing, *self.extra, *self.stale})


def find_drift(engine: SearchEngine, read_session: SessionFactory) -> Drift:
    """Compare every searchable item's document with the index's. Raises SearchUnavailable
    when the engine cannot be read."""
    indexed = engine.fingerprints()
    expected: dict[int, str] = {}
    with read_session() as session:
        pending = set(session.scalars(select(SearchOutbox.item_id)))
        for documents in iter_public_documents(session):
            for document in documents:
                expected[document.id] = document.fingerprint
    return Drift(
        missing=sorted(set(expected) - set(indexed) - pending),
        extra=sorted(set(indexed) - set(expected) - pending),
        stale=sorted(
            item_id
            for item_id, fingerprint in expected.items()
            if item_id in indexed and indexed[item_id] != fingerprint and item_id not in pending
        ),
        searchable=len(expected),
        indexed=len(indexed),
        pending=len(pending),
    )


def repair_drift(
    engine: SearchEngine, lock: DrainLock, read_session: SessionFactory, drift: Drift
) -> int:
    """Index the database's documents of the drifted items (and delete the extra ones), under
    the drain lock so that no drain interleaves. Returns how many items were sent."""
    item_ids = drift.item_ids
    if not item_ids:
        return 0
    with held(lock):
        with read_session() as session:
            documents, gone = documents_for(session, item_ids)
        engine.apply(documents, gone)
    return len(item_ids)
