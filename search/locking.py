"""The drain lock: one writer into an index at a time, across threads and processes.

Draining and reindexing hold it so that documents reach the index in the order their changes
committed (a slow drainer can never overwrite a newer document with an older one). The embedded
engine uses a file lock beside its index; Elasticsearch, shared by several machines, uses a
PostgreSQL advisory lock when the database is PostgreSQL.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import filelock
from sqlalchemy import Connection, Engine, text


class DrainLock(Protocol):
    def acquire(self, blocking: bool) -> bool: ...

    def release(self) -> None: ...


class FileLock:
    """flock(2) on a file (the `filelock` library), never reentrant: each acquire locks a file
    of its own opening, so that one holder excludes every other, another process, another
    thread or the same thread. The file is kept on release: unlinking it would let a waiter and
    a newcomer lock two different files."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()

    def acquire(self, blocking: bool) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.UnixFileLock(
            self.path, thread_local=False, preserve_lock_file=True, fallback_to_soft=False
        )
        try:
            lock.acquire(blocking=blocking)
        except filelock.Timeout:
            return False
        self._local.lock = lock
        return True

    def release(self) -> None:
        lock = self._local.lock
        del self._local.lock
        lock.release()


class PostgresAdvisoryLock:
    """A session-level advisory lock held on a connection of its own while locked."""

    def __init__(self, engine: Engine, name: str):
        self.engine = engine
        self.key = zlib.crc32(f"gpsoc-search:{name}".encode())
        self._local = threading.local()

    def acquire(self, blocking: bool) -> bool:
        connection: Connection = self.engine.connect()
        function = "pg_advisory_lock" if blocking else "pg_try_advisory_lock"
        got = connection.scalar(text(f"SELECT {function}(:key)"), {"key": self.key})
        connection.commit()
        if blocking or got:
            self._local.connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        connection = self._local.connection
        del self._local.connection
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            connection.commit()
        finally:
            connection.close()


@contextmanager
def held(lock: DrainLock) -> Iterator[None]:
    lock.acquire(blocking=True)
    try:
        yield
    finally:
        lock.release()
