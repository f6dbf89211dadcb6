"""What a production user of the Elasticsearch engine meets on a real multi-node cluster.

Runs when ELASTICSEARCH_URL names a cluster (CI: the 3-node cluster of `make es-up`). The tests
marked `cluster` stop and start nodes through the control endpoint of elasticsearch/cluster
(ES_CONTROL_URL, default http://127.0.0.1:9299), so `make test-cluster` runs them alone, after
the rest of the suite, never beside tests that share the cluster.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from catalogue.models import CatalogueItem, ItemStatus, SearchOutbox
from search import SearchQuery, SearchUnavailable, drain_outbox, reindex
from search import elastic as elastic_module
from search.elastic import ElasticsearchEngine
from search.locking import FileLock
from service.database import writing_session
from service.search import EXTENSION as SEARCH
from service.search import SearchState, drain_now
from tests.search.engines import make_engine

CONTROL_URL_DEFAULT = "http://127.0.0.1:9299"


@pytest.fixture
def es(tmp_path) -> Iterator[ElasticsearchEngine]:
    """The Elasticsearch engine alone, with an alias of the test's own."""
    yield from make_engine("elasticsearch", tmp_path)  # type: ignore[misc]


@pytest.fixture
def es_indexed(es, drain_lock, session_factory) -> ElasticsearchEngine:
    reindex(es, drain_lock, session_factory, session_factory)
    return es


def item(db, slug: str) -> CatalogueItem:
    return db.scalars(select(CatalogueItem).where(CatalogueItem.slug == slug)).one()


def names(engine, text: str = "") -> list[str]:
    return [hit.document["name"] for hit in engine.search(SearchQuery(text, page_size=100)).hits]


def pending(db) -> list[tuple[int, int]]:
    """(item id, attempts) of every pending outbox row."""
    db.expire_all()
    return [tuple(row) for row in db.execute(select(SearchOutbox.item_id, SearchOutbox.attempts))]


# ---- reindexing while searches run -------------------------------------------------------


def test_a_reindex_swaps_the_alias_with_no_window_of_empty_results(
    es_indexed, drain_lock, session_factory
):
    expected = es_indexed.search(SearchQuery("", page_size=1)).total
    assert expected > 0
    seen: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                seen.append(es_indexed.search(SearchQuery("", page_size=1)).total)
                seen.append(es_indexed.search(SearchQuery("emis", page_size=1)).total)
            except Exception as error:  # noqa: BLE001 - every failure is the test's business
                errors.append(error)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        before = es_indexed._indices_behind_alias()
        for _ in range(3):
            reindex(es_indexed, drain_lock, session_factory, session_factory)
        after = es_indexed._indices_behind_alias()
    finally:
        stop.set()
        searcher.join()
    assert errors == []
    assert len(seen) > 20, "the searches did not overlap the reindexes"
    assert 0 not in seen
    assert set(seen[0::2]) == {expected}
    assert len(after) == 1 and after != before  # a new index, the old ones deleted
    indices = es_indexed.client.indices.get(index=f"{es_indexed.alias}-*")
    assert sorted(indices) == after


# ---- the outbox drain: rejected and partially failed bulk requests ----------------------


def test_a_rejected_bulk_request_keeps_every_change_and_a_later_drain_delivers_them(
    es_indexed, db, drain_lock, session_factory
):
    (index,) = es_indexed._indices_behind_alias()
    item(db, "synergy").name = "Synergy Nebula"
    item(db, "systmone").name = "SystmOne Quasar"
    db.flush()
    es_indexed.client.indices.put_settings(index=index, body={"index": {"blocks": {"write": True}}})
    try:
        report = drain_outbox(es_indexed, drain_lock, session_factory, session_factory)
        assert (report.failed, report.acknowledged) == (2, 0)
        assert sorted(attempts for _, attempts in pending(db)) == [1, 1]
    finally:
        es_indexed.client.indices.put_settings(
            index=index, body={"index": {"blocks": {"write": False}}}
        )
    report = drain_outbox(es_indexed, drain_lock, session_factory, session_factory)
    assert (report.failed, report.acknowledged) == (0, 2)
    assert pending(db) == []
    assert names(es_indexed, "nebula") == ["Synergy Nebula"]
    assert names(es_indexed, "quasar") == ["SystmOne Quasar"]


def test_a_document_the_cluster_refuses_is_retried_not_dropped(
    es_indexed, db, drain_lock, session_factory, monkeypatch
):
    """A partially failed bulk: the server takes the good documents and refuses one (a value
    its mapping cannot hold); the good ones are acknowledged, the refused one stays pending
    with its attempt counted, and arrives once the server takes it."""
    synergy, systmone = item(db, "synergy"), item(db, "systmone")
    synergy.name = "Synergy Nebula"
    systmone.name = "SystmOne Quasar"
    db.flush()
    to_source = elastic_module.to_source

    def spoiled(document):
        source = to_source(document)
        if document.id == systmone.id:
            source["lot"] = "not a number"  # the integer field refuses it: mapper_parsing
        return source

    monkeypatch.setattr(elastic_module, "to_source", spoiled)
    report = drain_outbox(es_indexed, drain_lock, session_factory, session_factory)
    assert (report.acknowledged, report.failed) == (1, 1)
    assert "refused" in report.error
    assert pending(db) == [(systmone.id, 1)]
    assert names(es_indexed, "nebula") == ["Synergy Nebula"]
    assert names(es_indexed, "quasar") == []

    monkeypatch.setattr(elastic_module, "to_source", to_source)
    report = drain_outbox(es_indexed, drain_lock, session_factory, session_factory)
    assert (report.acknowledged, report.failed) == (1, 0)
    assert pending(db) == []
    assert names(es_indexed, "quasar") == ["SystmOne Quasar"]


def test_bulk_drains_send_many_changes_in_few_requests(es_indexed, db, drain_lock, session_factory):
    published = db.scalars(
        select(CatalogueItem).where(CatalogueItem.status == ItemStatus.PUBLISHED)
    ).all()
    for each in published:
        each.summary = f"{each.summary} Zanzibar."
    db.flush()
    report = drain_outbox(es_indexed, drain_lock, session_factory, session_factory)
    assert report.failed == 0 and report.acknowledged == len(published)
    assert es_indexed.search(SearchQuery("zanzibar")).total == es_indexed.document_count()


# ---- bad queries on the real server -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200,  # one word as long as q may be, fuzzy
        " ".join(f"w{n}" for n in range(45)),  # many words, each a fuzzy clause
        "\\ / : ( ) [ ] { } ^ ~ * ? ! && ||",  # query-string syntax means nothing here
        '"" x',
    ],
)
def test_odd_queries_answer_or_are_a_400_never_a_server_failure(es, app_on, client, text):
    app_on(es)
    response = client.get("/api/v1/search", query_string={"q": text})
    assert response.status_code in (200, 400), response.json
    if response.status_code == 400:
        assert response.json["code"] == 400 and response.json["message"]


def test_queries_beyond_the_api_limits_are_a_syntax_error_or_an_answer_on_the_engine(es_indexed):
    from search import QuerySyntaxError

    for text in ("a" * 5000, " ".join(f"w{n}" for n in range(1500))):
        try:
            es_indexed.search(SearchQuery(text))
        except QuerySyntaxError as error:  # the API's 400; a SearchUnavailable fails the test
            assert "cannot run the query" in str(error)


# ---- node loss and the cluster going down -------------------------------------------------


def control(path: str, method: str = "POST") -> str:
    import os

    url = (os.environ.get("ES_CONTROL_URL") or CONTROL_URL_DEFAULT).rstrip("/") + path
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read().decode()


def wait_for(predicate, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - the cluster may refuse while it changes
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def health(engine: ElasticsearchEngine) -> dict:
    return engine.connection().health()


def start_all_nodes() -> None:
    """Start every stopped node at once: a lone restarted node has no quorum."""
    numbers = [
        int(line.split()[0].removeprefix("node-"))
        for line in control("/nodes", "GET").splitlines()
        if line.endswith("stopped")
    ]
    threads = [threading.Thread(target=control, args=(f"/nodes/{n}/start",)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def cluster_restored(es):
    """Whatever a test stops, every node is running and the cluster green afterwards."""
    yield
    start_all_nodes()
    wait_for(lambda: health(es)["status"] == "green", "the cluster to be green again", 180)


@pytest.fixture
def app_on(app, connection, tmp_path):
    """Swap the app's search for the given engine (after a reindex of the seed)."""
    previous = app.extensions[SEARCH]

    def use(engine) -> SearchState:
        sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        state = SearchState(engine, FileLock(tmp_path / "drain.lock"))
        reindex(engine, state.lock, sessions, sessions)
        app.extensions[SEARCH] = state
        return state

    yield use
    app.extensions[SEARCH] = previous


@pytest.mark.cluster
def test_with_one_node_stopped_search_answers_and_readiness_reports_yellow(
    es, app_on, client, cluster_restored
):
    app_on(es)
    settings = es.client.indices.get_settings(index=es.alias)
    (index_settings,) = settings.values()
    assert index_settings["settings"]["index"]["auto_expand_replicas"] == "0-1"
    wait_for(lambda: health(es)["status"] == "green", "replicas to be assigned")
    before = client.get("/api/v1/search", query_string={"q": "emis"}).json
    assert client.get("/readyz").json["checks"]["search"] == "ok"

    # Stop a node holding a copy of the index: not node-1, the one the client talks to.
    holders = {row["node"] for row in es.client.cat.shards(index=es.alias, format="json")}
    assert len(holders) == 2  # a primary and its replica, on two nodes
    victim = max(holders - {"node-1"})
    number = int(victim.removeprefix("node-"))
    assert f"stopped {victim}" in control(f"/nodes/{number}/stop")
    wait_for(lambda: health(es)["number_of_nodes"] == 2, f"the cluster to see {victim} gone")
    assert health(es)["status"] == "yellow"  # every shard has a copy; a replica is missing
    for _ in range(20):
        response = client.get("/api/v1/search", query_string={"q": "emis"})
        assert response.status_code == 200
        assert response.json["total"] == before["total"]
        assert [i["id"] for i in response.json["items"]] == [i["id"] for i in before["items"]]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"
    assert "yellow" in ready.json["checks"]["search"]

    assert f"started {victim}" in control(f"/nodes/{number}/start")
    wait_for(lambda: health(es)["status"] == "green", "the cluster to be green again", 180)
    assert client.get("/readyz").json["checks"]["search"] == "ok"


@pytest.mark.cluster
def test_with_the_cluster_down_search_is_503_writes_commit_and_all_arrive_after(
    es, app, app_on, client, db, cluster_restored
):
    state = app_on(es)
    assert client.get("/api/v1/search", query_string={"q": "nebula"}).json["total"] == 0

    for number in (3, 2, 1):
        control(f"/nodes/{number}/stop")
    search = client.get("/api/v1/search", query_string={"q": "emis"})
    assert search.status_code == 503
    assert search.json["message"] == "Search is unavailable; try again shortly."
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["status"] == "unavailable"
    assert "unreachable" in ready.json["checks"]["search"]
    assert ready.json["checks"]["database"] == "ok"

    # A write through the app commits; its after-request drain fails and keeps the change.
    with app.test_request_context("/"):
        session = writing_session()
        synergy = session.scalars(
            select(CatalogueItem).where(CatalogueItem.slug == "synergy")
        ).one()
        synergy.name = "Synergy Nebula"
        session.commit()
        app.process_response(app.response_class())
    assert item(db, "synergy").name == "Synergy Nebula"
    assert [attempts for _, attempts in pending(db)] == [1]
    assert client.get("/api/v1/systems").status_code == 200  # the rest keeps working

    start_all_nodes()
    wait_for(lambda: es.check() is None, "the cluster to come back green", 180)
    with app.test_request_context("/"):
        app.extensions[SEARCH] = state
        report = drain_now()  # as the serving process's timer does
    assert report.failed == 0 and report.acknowledged == 1
    assert db.scalar(select(func.count(SearchOutbox.id))) == 0
    found = client.get("/api/v1/search", query_string={"q": "nebula"})
    assert found.status_code == 200
    assert [i["name"] for i in found.json["items"]] == ["Synergy Nebula"]
    assert client.get("/readyz").status_code == 200


def test_an_unreachable_cluster_is_unavailable_until_it_answers(tmp_path):
    """The product is found out from the server on first use; an unreachable server is a
    SearchUnavailable each time, never a half-made client."""
    down = ElasticsearchEngine.from_url("http://127.0.0.1:9")
    for _ in range(2):
        with pytest.raises(SearchUnavailable):
            down.search(SearchQuery("emis"))
    assert down.check().startswith("elasticsearch unreachable")
