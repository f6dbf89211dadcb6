"""/readyz reports each check (database, search engine, index, outbox) and tells the truth:
not ready while the outbox lags past its limit or the index is missing or rebuilt; /metrics
exports the outbox backlog and the index size."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from catalogue.models import SearchOutbox, table_of, utcnow
from service.search import IndexKeeper
from tests.factories import item_id


def test_ready_reports_every_check_with_the_index_against_the_database(client, indexed_search):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert set(body["checks"]) >= {"database", "search", "index", "outbox"}
    assert body["checks"]["database"] == "ok"
    count = indexed_search.engine.index_status().document_count
    assert (
        f": {count} documents, {count} searchable items in the database" in body["checks"]["index"]
    )
    assert body["checks"]["outbox"].startswith("0 pending")


def test_an_outbox_lagging_past_the_limit_is_not_ready_and_metrics_show_it(
    client, indexed_search, db
):
    stuck = utcnow() - timedelta(seconds=indexed_search.outbox_lag_limit + 30)
    db.execute(
        insert(table_of(SearchOutbox)),
        [{"item_id": item_id(db, "synergy"), "created_at": stuck, "attempts": 3}],
    )
    db.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.get_json()["checks"]["outbox"]
    assert outbox.startswith("1 pending") and "past the limit" in outbox

    metrics = client.get("/metrics").get_data(as_text=True)
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in metrics.splitlines()
        if line.startswith("gpsoc_search_")
    }
    assert values["gpsoc_search_outbox_pending"] == 1
    assert values["gpsoc_search_outbox_oldest_age_seconds"] > indexed_search.outbox_lag_limit
    assert values["gpsoc_search_index_documents"] == (
        indexed_search.engine.index_status().document_count
    )


def test_while_the_index_is_rebuilt_search_is_a_503_and_not_ready(
    app, client, indexed_search, session_factory
):
    indexed_search.keeper = IndexKeeper(
        indexed_search.engine, indexed_search.lock, session_factory, session_factory
    )
    indexed_search.keeper.unusable = "the search index is missing; it is being rebuilt"
    response = client.get("/api/v1/search", query_string={"q": "emis"})
    assert response.status_code == 503
    assert response.get_json()["code"] == 503
    assert "being rebuilt" in response.get_json()["message"]
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "rebuilt" in ready.get_json()["checks"]["index"]
    indexed_search.keeper.tick()  # finds the index sound
    assert client.get("/api/v1/search", query_string={"q": "emis"}).status_code == 200
    assert client.get("/readyz").status_code == 200
