"""Choosing the engine and its drain lock from the settings (used by the app and the CLI)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from catalogue.config import Settings

from .elastic import ElasticsearchEngine
from .embedded import EmbeddedEngine
from .engine import SearchEngine
from .locking import DrainLock, FileLock, PostgresAdvisoryLock

EMBEDDED_DIRECTORY = "search"


def make_search_engine(settings: Settings) -> SearchEngine:
    """Elasticsearch when ELASTICSEARCH_URL is set, else the embedded index in the data dir."""
    if settings.elasticsearch_url:
        return ElasticsearchEngine.from_url(settings.elasticsearch_url)
    return EmbeddedEngine(
        Path(settings.data_dir) / EMBEDDED_DIRECTORY, cache_size=settings.search_cache_size
    )


def make_drain_lock(engine: SearchEngine, database: Engine, data_dir: Path) -> DrainLock:
    if isinstance(engine, EmbeddedEngine):
        return FileLock(engine.root / "drain.lock")  # the index is on this machine
    if isinstance(engine, ElasticsearchEngine) and database.dialect.name == "postgresql":
        return PostgresAdvisoryLock(database, engine.alias)  # writers on several machines
    return FileLock(Path(data_dir) / "search-drain.lock")
