"""The embedded engine's per-process result cache: a result is reused only while the index it
came from is the one searched; any commit or swap, by this process or another, is a new one."""

from __future__ import annotations

from search import SearchQuery, drain_outbox, reindex
from search.embedded import EmbeddedEngine
from tests.factories import rename_item


def names(results) -> list[str]:
    return [hit.document["name"] for hit in results.hits]


def test_a_repeated_search_is_served_from_the_cache(tmp_path, session_factory, drain_lock):
    engine = EmbeddedEngine(tmp_path / "search", cache_size=8)
    reindex(engine, drain_lock, session_factory, session_factory)
    first = engine.search(SearchQuery("systmone", lot=1))
    again = engine.search(SearchQuery("systmone", lot=1))
    assert again is first
    assert (engine.cache_hits, engine.cache_misses) == (1, 1)


def test_a_change_drained_in_this_process_is_never_hidden_by_the_cache(
    tmp_path, db, session_factory, drain_lock
):
    engine = EmbeddedEngine(tmp_path / "search", cache_size=8)
    reindex(engine, drain_lock, session_factory, session_factory)
    assert engine.search(SearchQuery("quasar")).total == 0
    rename_item(db, "synergy", "Synergy Quasar")
    drain_outbox(engine, drain_lock, session_factory, session_factory)
    assert names(engine.search(SearchQuery("quasar"))) == ["Synergy Quasar"]


def test_a_change_made_by_another_process_is_seen(tmp_path, db, session_factory, drain_lock):
    reader = EmbeddedEngine(tmp_path / "search", cache_size=8)
    writer = EmbeddedEngine(tmp_path / "search", cache_size=0)  # as a worker process would
    reindex(writer, drain_lock, session_factory, session_factory)
    assert reader.search(SearchQuery("quasar")).total == 0
    rename_item(db, "synergy", "Synergy Quasar")
    drain_outbox(writer, drain_lock, session_factory, session_factory)
    assert names(reader.search(SearchQuery("quasar"))) == ["Synergy Quasar"]
    reindex(writer, drain_lock, session_factory, session_factory)  # a swap to a new index
    assert names(reader.search(SearchQuery("quasar"))) == ["Synergy Quasar"]
    assert reader.cache_hits == 0


def test_the_cache_holds_at_most_its_size_and_none_when_zero(tmp_path, session_factory, drain_lock):
    engine = EmbeddedEngine(tmp_path / "search", cache_size=2)
    reindex(engine, drain_lock, session_factory, session_factory)
    for text in ("emis", "systmone", "vision", "emis"):
        engine.search(SearchQuery(text))
    assert len(engine._cache) == 2 and engine.cache_hits == 0  # "emis" was evicted
    uncached = EmbeddedEngine(tmp_path / "search", cache_size=0)
    assert uncached.search(SearchQuery("emis")) is not uncached.search(SearchQuery("emis"))
    assert (uncached.cache_hits, uncached.cache_misses) == (0, 0)
