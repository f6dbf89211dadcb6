"""Keeping the index in step with the database: draining the outbox, and full reindexing.

Drain: read pending outbox rows, build the documents of their items from the database as it
is now, send them to the engine, then delete the rows (the acknowledgement). A failure leaves
the rows (with the attempt counted) for the next drain; a crash between the engine write and
the acknowledgement only means the same documents are sent again. Drainers take the drain lock
without waiting: one that finds it taken leaves its rows to the holder, which looks for pending
rows again after releasing it, so nothing is stranded.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from catalogue.models import SearchOutbox, utcnow

from .documents import count_public, documents_for, iter_public_documents
from .engine import SearchEngine
from .errors import PartialIndexingFailure
from .locking import DrainLock, held

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
DRAIN_BATCH = 500
ACK_CHUNK = 1000


@dataclass
class DrainReport:
    indexed: int = 0
    deleted: int = 0
    acknowledged: int = 0
    failed: int = 0
    error: str | None = None


@dataclass
class ReindexReport:
    indexed: int
    acknowledged: int
    drained: DrainReport


def drain_outbox(
    engine: SearchEngine,
    lock: DrainLock,
    read_session: SessionFactory,
    write_session: SessionFactory,
    *,
    batch_size: int = DRAIN_BATCH,
    on_progress: Callable[[int], object] | None = None,
) -> DrainReport:
    """Index every pending change; returns at once if another drainer holds the lock.
    `on_progress` is told how many rows each batch acknowledged."""
    report = DrainReport()
    while lock.acquire(blocking=False):
        try:
            ok = _drain_pending(
                engine, read_session, write_session, batch_size, report, on_progress
            )
        finally:
            lock.release()
        if not ok or pending_count(read_session) == 0:
            break
    return report


def pending_count(read_session: SessionFactory) -> int:
    with read_session() as session:
        return session.scalar(select(func.count(SearchOutbox.id))) or 0


def _drain_pending(
    engine: SearchEngine,
    read_session: SessionFactory,
    write_session: SessionFactory,
    batch_size: int,
    report: DrainReport,
    on_progress: Callable[[int], object] | None = None,
) -> bool:
    """Drain until nothing is pending (True) or the engine fails (False). Lock held."""
    while True:
        with read_session() as session:
            rows = session.execute(
                select(SearchOutbox.id, SearchOutbox.item_id)
                .order_by(SearchOutbox.id)
                .limit(batch_size)
            ).all()
            if not rows:
                return True
            row_ids = [row_id for row_id, _ in rows]
            documents, gone = documents_for(session, [item_id for _, item_id in rows])
        try:
            engine.apply(documents, gone)
        except PartialIndexingFailure as error:
            # Some documents arrived: acknowledge theirs, keep (and count) the refused ones'.
            refused = set(error.failed_ids)
            kept = [row_id for row_id, item_id in rows if item_id in refused]
            if not kept:  # the refusal names no item of ours: keep everything
                kept = row_ids
            done = [row_id for row_id in row_ids if row_id not in set(kept)]
            log.warning("search indexing refused %d of %d changes: %s", len(kept), len(rows), error)
            _acknowledge(write_session, done)
            _record_failure(write_session, kept, error)
            report.acknowledged += len(done)
            report.failed += len(kept)
            report.error = str(error)
            return False
        except Exception as error:  # the engine failed: keep the rows for the next drain
            log.warning("search indexing failed; %d changes kept for retry: %s", len(rows), error)
            _record_failure(write_session, row_ids, error)
            report.failed += len(rows)
            report.error = str(error)
            return False
        _acknowledge(write_session, row_ids)
        if on_progress is not None:
            on_progress(len(row_ids))
        report.indexed += len(documents)
        report.deleted += len(gone)
        report.acknowledged += len(row_ids)


def _acknowledge(write_session: SessionFactory, row_ids: Sequence[int]) -> None:
    with write_session() as session:
        for start in range(0, len(row_ids), ACK_CHUNK):
            chunk = row_ids[start : start + ACK_CHUNK]
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(chunk)))
        session.commit()


def _record_failure(
    write_session: SessionFactory, row_ids: Sequence[int], error: Exception
) -> None:
    try:
        with write_session() as session:
            session.execute(
                update(SearchOutbox)
                .where(SearchOutbox.id.in_(row_ids))
                .values(attempts=SearchOutbox.attempts + 1, last_error=str(error)[:1000])
            )
            session.commit()
    except Exception:  # the database may be what failed; the rows stay pending regardless
        log.exception("could not record the indexing failure")


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Suspend the cyclic garbage collector: a rebuild allocates millions of short-lived,
    acyclic objects (rows, documents), whose allocations would otherwise set it off hundreds
    of times for nothing (a quarter to a third of the rebuild's Python time). Reference
    counting still frees them as they go."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reindex(
    engine: SearchEngine,
    lock: DrainLock,
    read_session: SessionFactory,
    write_session: SessionFactory,
    *,
    on_total: Callable[[int], object] | None = None,
    on_progress: Callable[[int], object] | None = None,
    batch_size: int = 2000,
) -> ReindexReport:
    """Rebuild the index from the database into a new one and switch to it atomically.

    The current index keeps answering searches throughout. The drain lock is held for the
    whole rebuild, so changes committed meanwhile stay in the outbox and are drained into the
    new index right after the switch.
    """
    with held(lock):
        report = reindex_holding_lock(
            engine,
            read_session,
            write_session,
            on_total=on_total,
            on_progress=on_progress,
            batch_size=batch_size,
        )
    if pending_count(read_session):  # committed after the drain above, while we held the lock
        extra = drain_outbox(engine, lock, read_session, write_session)
        report.drained.indexed += extra.indexed
        report.drained.deleted += extra.deleted
        report.drained.acknowledged += extra.acknowledged
    return report


def reindex_holding_lock(
    engine: SearchEngine,
    read_session: SessionFactory,
    write_session: SessionFactory,
    *,
    on_total: Callable[[int], object] | None = None,
    on_progress: Callable[[int], object] | None = None,
    batch_size: int = 2000,
) -> ReindexReport:
    """reindex() for a caller that already holds the drain lock (the index keeper)."""
    indexed = 0
    drained = DrainReport()
    build = engine.start_build()
    try:
        with read_session() as session, _no_cyclic_gc():
            # Outbox rows seen before the documents are read are covered by the rebuild.
            covered = list(session.scalars(select(SearchOutbox.id)))
            if on_total is not None:
                on_total(count_public(session))
            for documents in iter_public_documents(session, batch_size):
                build.add(documents)
                indexed += len(documents)
                if on_progress is not None:
                    on_progress(len(documents))
        build.publish()
    except BaseException:
        build.abandon()
        raise
    _acknowledge(write_session, covered)
    _drain_pending(engine, read_session, write_session, DRAIN_BATCH, drained)
    return ReindexReport(indexed, len(covered), drained)


def drain_holding_lock(
    engine: SearchEngine, read_session: SessionFactory, write_session: SessionFactory
) -> DrainReport:
    """Drain what is pending, for a caller that already holds the drain lock."""
    report = DrainReport()
    _drain_pending(engine, read_session, write_session, DRAIN_BATCH, report)
    return report


@dataclass(frozen=True)
class Backlog:
    """The outbox's pending rows: how many, and how long the oldest has waited (seconds)."""

    pending: int
    oldest_age: float


def outbox_backlog(read_session: SessionFactory) -> Backlog:
    with read_session() as session:
        pending, oldest = session.execute(
            select(func.count(SearchOutbox.id), func.min(SearchOutbox.created_at))
        ).one()
    if not pending or oldest is None:
        return Backlog(0, 0.0)
    if oldest.tzinfo is None:  # SQLite's MIN() comes back as a naive UTC value
        oldest = oldest.replace(tzinfo=UTC)
    return Backlog(pending, max(0.0, (utcnow() - oldest).total_seconds()))
