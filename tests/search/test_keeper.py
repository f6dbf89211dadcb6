"""The index keeper heals the index and drains without waiting for a write; search-check finds
and repairs drift. On each engine."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import delete, func, select

from catalogue.models import SearchOutbox
from search import SearchQuery, SearchUnavailable, reindex
from search.documents import DOCUMENT_FORMAT, documents_for
from search.drift import find_drift, repair_drift
from search.elastic import ElasticsearchEngine
from search.embedded import FORMAT_FILE, EmbeddedEngine
from search.keeper import IndexKeeper
from tests.factories import item_id, rename_item


def names(engine, text: str) -> list[str]:
    return [hit.document["name"] for hit in engine.search(SearchQuery(text)).hits]


def keeper_for(engine, drain_lock, session_factory) -> IndexKeeper:
    return IndexKeeper(engine, drain_lock, session_factory, session_factory)


def pending(db) -> int:
    return db.scalar(select(func.count(SearchOutbox.id)))


def test_with_no_index_search_is_unavailable_and_the_keeper_builds_it(
    search_engine, drain_lock, session_factory, db
):
    try:
        search_engine.search(SearchQuery("sistmone"))
        raise AssertionError("a search with no index must not answer")
    except SearchUnavailable as error:
        assert "missing" in str(error)
    keeper = keeper_for(search_engine, drain_lock, session_factory)
    assert keeper.rebuild_reason() == "the search index is missing"
    keeper.tick()
    assert names(search_engine, "sistmone")[0] == "SystmOne"
    assert keeper.unusable is None and keeper.rebuild_reason() is None
    assert pending(db) == 0  # the seed's outbox rows were covered by the rebuild


def test_the_keeper_drains_what_waits_in_the_outbox(indexed, drain_lock, session_factory, db):
    rename_item(db, "synergy", "Synergy Nebula")
    db.commit()
    assert pending(db) == 1
    report = keeper_for(indexed, drain_lock, session_factory).tick()
    assert report is not None and report.acknowledged == 1
    assert names(indexed, "nebula") == ["Synergy Nebula"]


def test_an_index_of_an_older_format_is_rebuilt(indexed, drain_lock, session_factory):
    keeper = keeper_for(indexed, drain_lock, session_factory)
    before = indexed.index_status().generation
    if isinstance(indexed, EmbeddedEngine):
        (indexed.root / indexed._pointer().read_text().strip() / FORMAT_FILE).write_text("1")
    else:
        assert isinstance(indexed, ElasticsearchEngine)
        indexed.client.indices.put_mapping(index=indexed.alias, body={"_meta": {"format": 1}})
    assert "format 1" in (keeper.rebuild_reason() or "")
    keeper.tick()
    status = indexed.index_status()
    assert status.format == DOCUMENT_FORMAT and status.generation != before
    assert names(indexed, "sistmone")[0] == "SystmOne"


def test_an_empty_index_while_the_database_holds_items_is_rebuilt(
    search_engine, drain_lock, session_factory
):
    build = search_engine.start_build()
    build.publish()  # an index with nothing in it
    keeper = keeper_for(search_engine, drain_lock, session_factory)
    assert "empty while the database holds" in (keeper.rebuild_reason() or "")
    keeper.tick()
    assert search_engine.index_status().document_count > 0


def test_a_truncated_segment_file_is_reported_not_mapped_and_then_rebuilt(
    tmp_path, drain_lock, session_factory
):
    engine = EmbeddedEngine(tmp_path / "search")
    reindex(engine, drain_lock, session_factory, session_factory)
    assert names(engine, "sistmone")[0] == "SystmOne"
    directory = engine.root / engine._pointer().read_text().strip()
    for path in directory.glob("*.store"):
        with open(path, "r+b") as file:
            file.truncate(10)
    # Another process opening the index now copies and checks it: damage, not a crash.
    fresh = EmbeddedEngine(tmp_path / "search")
    try:
        fresh.search(SearchQuery("emis"))
        raise AssertionError("a damaged index must not answer")
    except SearchUnavailable as error:
        assert "truncated" in str(error)
    keeper = keeper_for(fresh, drain_lock, session_factory)
    assert "cannot be read" in (keeper.rebuild_reason() or "")
    keeper.tick()
    assert names(fresh, "sistmone")[0] == "SystmOne"
    assert names(engine, "sistmone")[0] == "SystmOne"


def test_a_change_committed_during_an_outage_arrives_after_it_without_a_request(
    tmp_path, drain_lock, session_factory, db
):
    engine = EmbeddedEngine(tmp_path / "search")
    reindex(engine, drain_lock, session_factory, session_factory)
    keeper = keeper_for(engine, drain_lock, session_factory)
    keeper.start(interval=0.1)
    try:
        # The outage: the drain lock held elsewhere stands for an engine that cannot take writes
        # (the keeper's drains wait for it), and the directory gone for one that cannot answer.
        assert drain_lock.acquire(blocking=True)
        hidden = tmp_path / "away"
        engine.root.rename(hidden)
        rename_item(db, "synergy", "Synergy Nebula")
        db.commit()
        time.sleep(0.3)
        assert pending(db) == 1
        hidden.rename(engine.root)  # the engine is back
        drain_lock.release()
        deadline = time.monotonic() + 10
        while pending(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending(db) == 0
        assert names(engine, "nebula") == ["Synergy Nebula"]
    finally:
        keeper.stop()
    assert not keeper.running


def test_drift_made_by_hand_is_found_and_repaired(indexed, drain_lock, session_factory, db):
    assert not find_drift(indexed, session_factory).found
    synergy, systmone = item_id(db, "synergy"), item_id(db, "systmone")
    documents, _ = documents_for(db, [systmone])
    indexed.apply([], [synergy])  # missing
    indexed.apply([dataclasses.replace(documents[0], id=999_999)], [])  # extra
    rename_item(db, "systmone", "SystmOne Renamed")  # stale: its outbox row lost
    db.execute(delete(SearchOutbox))
    db.commit()

    drift = find_drift(indexed, session_factory)
    assert (drift.missing, drift.extra, drift.stale) == ([synergy], [999_999], [systmone])
    assert repair_drift(indexed, drain_lock, session_factory, drift) == 3
    assert not find_drift(indexed, session_factory).found
    assert names(indexed, "renamed") == ["SystmOne Renamed"]
