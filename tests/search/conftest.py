"""Search fixtures: every test gets indexes of its own under tmp_path (the index is outside the
test's rolled-back transaction), filled from the seeded catalogue in that transaction through
`session_factory` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search import SearchEngine, reindex
from search.locking import FileLock
from tests.search.engines import ENGINES, make_engine


@pytest.fixture(params=ENGINES)
def search_engine(request, tmp_path: Path) -> Iterator[SearchEngine]:
    yield from make_engine(request.param, tmp_path)


@pytest.fixture
def drain_lock(tmp_path: Path) -> FileLock:
    return FileLock(tmp_path / "drain.lock")


@pytest.fixture
def indexed(search_engine, drain_lock, session_factory) -> SearchEngine:
    """The engine, holding the seeded catalogue."""
    reindex(search_engine, drain_lock, session_factory, session_factory)
    return search_engine
