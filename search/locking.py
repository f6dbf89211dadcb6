"""The drain lock: one writer into an index at a time, across threads and processes.

Draining and reindexing hold it so that documents reach the index in the order their changes
committed (a slow drainer can never overwrite a newer document with an older one). The embedded
engine uses a file lock beside its index; Elasticsearch, shared by several machines, uses a
PostgreSQL advisory lock when the database is PostgreSQL.
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text


class DrainLock(Protocol):
    def acquire(self, blocking: bool) -> bool: ...

    def release(self) -> None: ...


class FileLock:
    """flock(2) on a file: held per open file, so threads of one process exclude each other."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()

    def acquire(self, blocking: bool) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._local.descriptor = descriptor
        return True

    def release(self) -> None:
        descriptor = self._local.descriptor
        del self._local.descriptor
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


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
