"""Choosing the engine and its drain lock from the settings (used by the app and the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine

from catalogue.config import Settings

from .elastic import ElasticsearchEngine
from .embedded import DEFAULT_CACHE_SIZE, EmbeddedEngine
from .engine import SearchEngine
from .locking import DrainLock, FileLock, PostgresAdvisoryLock

EMBEDDED_DIRECTORY = "search"
# Results the embedded engine caches per process (0: none); see EmbeddedEngine.
CACHE_SIZE_VARIABLE = "GPSOC_SEARCH_CACHE"


def make_search_engine(settings: Settings) -> SearchEngine:
    """Elasticsearch when ELASTICSEARCH_URL is set, else the embedded index in the data dir."""
    if settings.elasticsearch_url:
        return ElasticsearchEngine.from_url(settings.elasticsearch_url)
    cache_size = settings.extra.get(CACHE_SIZE_VARIABLE) or os.environ.get(CACHE_SIZE_VARIABLE)
    return EmbeddedEngine(
        Path(settings.data_dir) / EMBEDDED_DIRECTORY,
        cache_size=DEFAULT_CACHE_SIZE if cache_size is None else int(cache_size),
    )


def make_drain_lock(engine: SearchEngine, database: Engine, data_dir: Path) -> DrainLock:
    if isinstance(engine, EmbeddedEngine):
        return FileLock(engine.root / "drain.lock")  # the index is on this machine
    if isinstance(engine, ElasticsearchEngine) and database.dialect.name == "postgresql":
        return PostgresAdvisoryLock(database, engine.alias)  # writers on several machines
    return FileLock(Path(data_dir) / "search-drain.lock")
