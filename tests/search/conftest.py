"""Search fixtures: every test gets indexes of its own under tmp_path (the index is outside the
test's rolled-back transaction), filled from the seeded catalogue in that transaction through
`session_factory` (tests/conftest.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import SearchEngine, reindex
from search.elastic import ElasticsearchEngine
from search.embedded import EmbeddedEngine
from search.locking import FileLock

ENGINES = ["embedded", "elasticsearch"]


def make_engine(kind: str, tmp_path: Path) -> Iterator[SearchEngine]:
    if kind == "embedded":
        yield EmbeddedEngine(tmp_path / "search")
        return
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: the Elasticsearch engine is not tested")
    engine = ElasticsearchEngine.from_url(url, alias=f"gpsoc-test-{uuid.uuid4().hex[:10]}")
    try:
        yield engine
    finally:
        engine.client.indices.delete(index=f"{engine.alias}-*", ignore_unavailable=True)


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
