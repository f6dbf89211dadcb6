"""The index keeper: what keeps one serving process's search in step with the database.

On start and then on a timer (a background thread per process) it looks at the index and,
when the index is missing, unreadable, of an older document format, or empty while the
database holds searchable items, rebuilds it from the database (the same atomic reindex as
`gpsoc reindex`); otherwise it drains the outbox. Both take the drain lock without waiting, so
across every worker and machine one drain or rebuild runs at a time; a keeper that finds the
lock taken leaves the work to its holder and looks again on its next tick.

While the index needs a rebuild, `unusable` says why: the API answers 503 with it rather than
empty results, and /readyz is not ready.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .documents import DOCUMENT_FORMAT, count_public
from .engine import IndexStatus, SearchEngine
from .errors import SearchUnavailable
from .indexer import (
    DrainReport,
    SessionFactory,
    drain_holding_lock,
    pending_count,
    reindex_holding_lock,
)
from .locking import DrainLock

log = logging.getLogger(__name__)


def rebuild_reason(status: IndexStatus, searchable: Callable[[], int]) -> str | None:
    """Why an index in this state must be rebuilt from the database, or None when it need not.

    `searchable` counts the database's searchable items (asked only when the index is empty).
    """
    if status.generation is None:
        return "the search index is missing"
    if status.problem is not None:
        return f"the search index cannot be read ({status.problem})"
    if status.format != DOCUMENT_FORMAT:
        return (
            f"the search index holds documents of format {status.format}; "
            f"this version writes format {DOCUMENT_FORMAT}"
        )
    if status.document_count == 0:
        count = searchable()
        if count:
            return f"the search index is empty while the database holds {count} searchable items"
    return None


@dataclass
class KeeperEvents:
    """Hooks for metrics: each drain's duration and report, each rebuild's duration."""

    drained: Callable[[float, DrainReport], object] = lambda _seconds, _report: None
    rebuilt: Callable[[float], object] = lambda _seconds: None


@dataclass
class IndexKeeper:
    engine: SearchEngine
    lock: DrainLock
    read_session: SessionFactory
    write_session: SessionFactory
    events: KeeperEvents = field(default_factory=KeeperEvents)
    # Why the index cannot serve now (it is being rebuilt, here or by another process).
    unusable: str | None = None
    # True while this process rebuilds it.
    rebuilding: bool = False
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _last_failure: str | None = field(default=None, repr=False)

    def tick(self) -> DrainReport | None:
        """One round: rebuild the index if it needs it, else drain the outbox (its report).
        Never raises: a failure is logged (once while it repeats) and the next tick retries."""
        try:
            report = self._tick()
        except Exception as error:  # the next tick tries again; the service keeps serving
            if str(error) != self._last_failure:
                log.exception("the search index keeper failed")
            self._last_failure = str(error)
            return None
        self._last_failure = None
        return report

    def _tick(self) -> DrainReport | None:
        reason = self.rebuild_reason()
        if reason is not None:
            self.unusable = f"{reason}; it is being rebuilt, search is back when it is done"
        if not self.lock.acquire(blocking=False):
            return None  # another drainer or rebuilder holds it: its work, our next tick
        report = None
        try:
            if reason is not None:
                reason = self.rebuild_reason()  # the holder before us may have rebuilt it
            if reason is not None:
                self._rebuild(reason)
            elif pending_count(self.read_session):
                report = self._drain()
        finally:
            self.lock.release()
        if reason is None or self.rebuild_reason() is None:
            self.unusable = None
        return report

    def rebuild_reason(self) -> str | None:
        """Why the index must be rebuilt now, or None (also when the engine is down)."""
        try:
            status = self.engine.index_status()
        except SearchUnavailable:
            return None  # the engine is down: nothing to rebuild into; drains retry

        def searchable() -> int:
            with self.read_session() as session:
                return count_public(session)

        return rebuild_reason(status, searchable)

    def _rebuild(self, reason: str) -> None:
        log.warning("rebuilding the search index: %s", reason)
        self.rebuilding = True
        started = time.perf_counter()
        try:
            report = reindex_holding_lock(self.engine, self.read_session, self.write_session)
        finally:
            self.rebuilding = False
        elapsed = time.perf_counter() - started
        self.events.rebuilt(elapsed)
        log.warning("rebuilt the search index: %d items in %.1fs", report.indexed, elapsed)

    def _drain(self) -> DrainReport:
        started = time.perf_counter()
        report = drain_holding_lock(self.engine, self.read_session, self.write_session)
        self.events.drained(time.perf_counter() - started, report)
        return report

    # -- the background thread

    def start(self, interval: float) -> None:
        """Tick now and then every `interval` seconds on a daemon thread, until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="gpsoc-search-keeper", daemon=True
        )
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(interval)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread after its current tick (a rebuild under way is finished first)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
