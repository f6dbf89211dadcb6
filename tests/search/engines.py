"""The engines a search test runs on: the embedded one always, Elasticsearch when
ELASTICSEARCH_URL names a cluster (then it must answer: a cluster that is down fails the tests,
it never skips them)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import SearchEngine
from search.elastic import ElasticsearchEngine
from search.embedded import EmbeddedEngine

ENGINES = ["embedded", "elasticsearch"]
NO_CLUSTER = "ELASTICSEARCH_URL is not set: the Elasticsearch engine is not tested"


def elasticsearch_url() -> str | None:
    return os.environ.get("ELASTICSEARCH_URL") or None


def make_engine(kind: str, tmp_path: Path) -> Iterator[SearchEngine]:
    """An engine with an index of the test's own, removed afterwards."""
    if kind == "embedded":
        yield EmbeddedEngine(tmp_path / "search")
        return
    url = elasticsearch_url()
    if not url:
        pytest.skip(NO_CLUSTER)
    engine = ElasticsearchEngine.from_url(url, alias=f"gpsoc-test-{uuid.uuid4().hex[:10]}")
    try:
        yield engine
    finally:
        with contextlib.suppress(Exception):  # a test that stopped the cluster
            engine.connection().delete_index(f"{engine.alias}-*")
