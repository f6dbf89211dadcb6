"""Draining the outbox and reindexing: retries, catching up, the lock, the atomic switch."""

from sqlalchemy import func, select

from catalogue.models import SearchOutbox
from search import SearchQuery, drain_outbox, reindex
from search.elastic import ElasticsearchEngine
from search.embedded import EmbeddedEngine
from search.locking import FileLock
from tests.factories import rename_item


def pending(db) -> int:
    return db.scalar(select(func.count(SearchOutbox.id)))


def found(engine, text: str) -> list[str]:
    return [hit.document["name"] for hit in engine.search(SearchQuery(text)).hits]


def test_a_failed_drain_keeps_the_rows_and_a_later_drain_catches_up(
    tmp_path, db, session_factory, drain_lock
):
    embedded = EmbeddedEngine(tmp_path / "search")
    reindex(embedded, drain_lock, session_factory, session_factory)
    rename_item(db, "synergy", "Synergy Nebula")
    # A real engine that cannot be reached (nothing listens on port 9).
    down = ElasticsearchEngine.from_url("http://127.0.0.1:9")
    report = drain_outbox(down, drain_lock, session_factory, session_factory)
    assert report.failed == 1 and report.acknowledged == 0
    row = db.scalars(select(SearchOutbox)).one()
    db.refresh(row)
    assert row.attempts == 1 and "unavailable" in row.last_error
    # As after a crash between commit and indexing: the next drain finds the rows.
    report = drain_outbox(embedded, drain_lock, session_factory, session_factory)
    assert report.acknowledged == 1 and pending(db) == 0
    assert found(embedded, "nebula") == ["Synergy Nebula"]


def test_a_drainer_that_finds_the_lock_taken_leaves_the_rows_to_its_holder(
    tmp_path, db, session_factory, drain_lock
):
    embedded = EmbeddedEngine(tmp_path / "search")
    reindex(embedded, drain_lock, session_factory, session_factory)
    rename_item(db, "synergy", "Synergy Nebula")
    assert drain_lock.acquire(blocking=False)
    try:
        report = drain_outbox(embedded, drain_lock, session_factory, session_factory)
        assert report.acknowledged == 0 and pending(db) > 0
    finally:
        drain_lock.release()
    drain_outbox(embedded, drain_lock, session_factory, session_factory)
    assert pending(db) == 0


def test_the_file_lock_excludes_a_second_holder(tmp_path):
    first, second = FileLock(tmp_path / "l"), FileLock(tmp_path / "l")
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)
    first.release()
    assert second.acquire(blocking=False)
    second.release()


def test_reindex_switches_atomically_and_search_answers_throughout(
    tmp_path, db, session_factory, drain_lock
):
    embedded = EmbeddedEngine(tmp_path / "search")
    reindex(embedded, drain_lock, session_factory, session_factory)
    before = embedded.document_count()
    old_directory = (tmp_path / "search" / "CURRENT").read_text()

    build = embedded.start_build()
    build.add([])  # a rebuild under way: the current index still answers
    assert found(embedded, "sistmone")[0] == "SystmOne"
    build.abandon()
    assert embedded.document_count() == before

    rename_item(db, "synergy", "Synergy Nebula")
    report = reindex(embedded, drain_lock, session_factory, session_factory)
    assert report.indexed == before
    assert (tmp_path / "search" / "CURRENT").read_text() != old_directory
    assert found(embedded, "nebula") == ["Synergy Nebula"]
    assert pending(db) == 0


def test_another_process_sees_a_swap_and_a_commit(tmp_path, db, session_factory, drain_lock):
    writer = EmbeddedEngine(tmp_path / "search")
    reader = EmbeddedEngine(tmp_path / "search")  # as a second gunicorn worker would
    reindex(writer, drain_lock, session_factory, session_factory)
    assert found(reader, "sistmone")[0] == "SystmOne"
    rename_item(db, "synergy", "Synergy Nebula")
    drain_outbox(writer, drain_lock, session_factory, session_factory)
    assert found(reader, "nebula") == ["Synergy Nebula"]
    reindex(writer, drain_lock, session_factory, session_factory)
    assert found(reader, "nebula") == ["Synergy Nebula"]
