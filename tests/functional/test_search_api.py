"""GET /api/v1/search end to end, with an index of the test's own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from catalogue.models import CatalogueItem
from search.elastic import ElasticsearchEngine
from search.locking import FileLock
from service.database import writing_session
from service.search import EXTENSION as SEARCH
from service.search import SearchState
from tests.factories import item_id
from tests.functional.actors import (  # noqa: F401 (fixtures)
    authority_caller,
    supplier_caller,
)


@pytest.fixture
def search_state(indexed_search):
    """The app's search state swapped for an index of this test's own holding the seed, on each
    engine in turn (tests/functional/conftest.py)."""
    return indexed_search


@pytest.fixture
def search(client, search_state):
    def get(**params):
        response = client.get("/api/v1/search", query_string=params)
        assert response.status_code == 200, response.json
        return response.json

    return get


def test_a_misspelt_system_name_comes_first(search):
    body = search(q="sistmone")
    first = body["items"][0]
    assert first["name"] == "SystmOne"
    assert first["supplier"]["name"] == "TPP"
    assert (first["framework"], first["lot"], first["maturity_level"]) == ("gpsoc-r", 1, 3)
    assert {"code": "eps", "name": "Electronic Prescription Service (ETP/EPS)"} in first[
        "capabilities"
    ]
    assert isinstance(first["score"], float)


def test_electronic_prescribing_in_lot_1_returns_eps_systems_with_facets_that_add_up(search):
    body = search(q="electronic prescribing", lot=1)
    assert body["total"] == len(body["items"]) == 9
    for item in body["items"]:
        assert item["lot"] == 1
        assert "eps" in {capability["code"] for capability in item["capabilities"]}
        assert "<mark>" in "".join(sum(item["highlights"].values(), []))
    facets = body["facets"]
    assert set(facets) == {
        "framework",
        "lot",
        "kind",
        "supplier",
        "capability",
        "maturity_level",
        "hosting",
    }
    for name in ("framework", "kind", "supplier", "maturity_level", "hosting"):
        assert sum(entry["count"] for entry in facets[name]) == body["total"]
    assert facets["lot"] == [{"value": 1, "count": 9}]
    assert {"value": "eps", "count": 9, "label": "Electronic Prescription Service (ETP/EPS)"} in (
        facets["capability"]
    )


def test_filters_pagination_and_sorting(search):
    body = search(capability=["eps", "gp2gp"], maturity_level=3, sort="name", page_size=2)
    assert body["page_size"] == 2 and len(body["items"]) == 2 and body["total"] > 2
    assert [item["name"] for item in body["items"]] == ["EMIS LV", "EMIS Web"]
    assert all(item["score"] is None for item in body["items"])
    cheap = search(price_max="4000", sort="price")
    prices = [Decimal(item["annual_price"]) for item in cheap["items"]]
    assert prices == sorted(prices) and max(prices) <= 4000


def test_bad_input(client, indexed_search):
    unparsable = client.get('/api/v1/search?q="never closed')
    assert unparsable.status_code == 400
    assert unparsable.json["message"] == "The query has a quote that is never closed."
    assert client.get("/api/v1/search?sort=popularity").status_code == 422
    assert client.get("/api/v1/search?page=200&page_size=100").status_code == 422
    assert client.get("/api/v1/search?price_max=cheap").status_code == 422


def test_a_committed_change_is_searchable_when_the_request_ends(app, search, indexed_search):
    with app.test_request_context("/"):
        session = writing_session()
        item = session.scalars(select(CatalogueItem).where(CatalogueItem.slug == "synergy")).one()
        item.name = "Synergy Nebula"
        session.commit()
        app.process_response(app.response_class())  # runs the after-request drain
    assert [item["name"] for item in search(q="nebula")["items"]] == ["Synergy Nebula"]


def names_found(search, q: str) -> list[str]:
    return [item["name"] for item in search(q=q)["items"]]


def test_a_suppliers_change_is_searchable_once_the_authority_approves_it(
    search, supplier, authority, db
):
    path = f"/api/v1/systems/{item_id(db, 'emis-web')}"
    proposed = supplier.patch(
        path, json={"name": "EMIS Web Zephyrine"}, etag=supplier.get(path).headers["ETag"]
    )
    assert proposed.status_code == 202
    assert names_found(search, "zephyrine") == []  # pending: the public sees the published one
    revision = authority.get(f"{path}/revision")
    approved = authority.post(f"{path}/revision/approve", etag=revision.headers["ETag"])
    assert approved.status_code == 200
    assert names_found(search, "zephyrine") == ["EMIS Web Zephyrine"]  # when approval returns
    assert "EMIS Web" not in names_found(search, "emis")


def test_withdrawing_an_item_removes_it_from_search_when_the_request_ends(search, authority, db):
    path = f"/api/v1/systems/{item_id(db, 'systmone')}"
    assert "SystmOne" in names_found(search, "systmone")
    withdrawn = authority.post(
        f"{path}/withdraw", json={}, etag=authority.get(path).headers["ETag"]
    )
    assert withdrawn.status_code == 200, withdrawn.json
    assert "SystmOne" not in names_found(search, "systmone")
    assert search(q="systmone")["total"] == len(search(q="systmone")["items"])


def test_an_unreachable_elasticsearch_is_a_503_and_the_rest_keeps_working(
    app, client, indexed_search, tmp_path
):
    down = ElasticsearchEngine.from_url("http://127.0.0.1:9")  # nothing listens there
    app.extensions[SEARCH] = SearchState(down, FileLock(tmp_path / "es.lock"))
    response = client.get("/api/v1/search?q=emis")
    assert response.status_code == 503
    assert response.json["message"] == "Search is unavailable; try again shortly."
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "ok"
    assert "elasticsearch" in ready.json["checks"]["search"]
    assert client.get("/api/v1/systems").status_code == 200


def test_the_openapi_document_describes_search_and_its_facets(client):
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/api/v1/search"]["get"]
    assert {"400", "503"} <= set(operation["responses"])
    facets = spec["components"]["schemas"]["SearchResults"]["properties"]["facets"]
    assert "every other filter" in facets["description"]


@pytest.mark.parametrize("text", ["(", ")(", "[", "*", "emis *", "a && b"])
def test_operators_and_wildcards_are_a_400_not_everything(client, indexed_search, text):
    response = client.get("/api/v1/search", query_string={"q": text})
    assert response.status_code == 400, response.json
    body = response.json
    assert body["code"] == 400 and body["status"] == "Bad Request"
    assert "no letter or digit" in body["message"]
