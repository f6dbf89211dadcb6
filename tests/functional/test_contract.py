"""What the README and /openapi.json promise, checked against what the service does."""

from __future__ import annotations

from tests.factories import system_body
from tests.functional.actors import supplier_caller  # noqa: F401  (fixture)


def test_a_capability_code_filters_in_any_case(client):
    lower = client.get("/api/v1/systems?capability=eps&page_size=100").get_json()
    upper = client.get("/api/v1/systems?capability=EPS&page_size=100").get_json()
    assert lower["total"] > 0
    assert upper == lower


def test_a_whole_number_written_with_a_point_is_the_number(supplier):
    # 1.0 is an integer to JSON Schema, so to the document; the server agrees.
    accepted = supplier.post("/api/v1/systems", json=system_body(name="Point Zero", lot=1.0))
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["lot"]["number"] == 1

    refused = supplier.post("/api/v1/systems", json=system_body(name="Point Five", lot=1.5))
    assert refused.status_code == 422
    assert "lot" in refused.get_json()["errors"]


def test_a_405_says_which_methods_are_allowed(client):
    response = client.delete("/api/v1/frameworks")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.get_json()["code"] == 405


def test_metrics_name_their_charset_once(client):
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type.startswith("text/plain")
    assert content_type.count("charset") == 1


def test_the_api_root_describes_the_api(client):
    response = client.get("/api/v1")
    assert response.status_code == 200
    body = response.get_json()
    assert body["openapi"] == "/openapi.json" and body["docs"] == "/docs"
    collections = body["collections"]
    assert collections["frameworks"] == "/api/v1/frameworks"
    assert {"systems", "services", "search", "suppliers", "organisations"} <= set(collections)
    for path in collections.values():
        assert client.get(path).status_code in {200, 401, 422}  # each is a real route
    assert client.get(body["openapi"]).status_code == 200


def test_docs_with_a_trailing_slash_lead_to_the_docs(client):
    response = client.get("/docs/")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/docs")
    assert client.get("/docs/", follow_redirects=True).status_code == 200


def test_the_search_window_is_in_the_document(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/api/v1/search"]["get"]
    page = next(p for p in operation["parameters"] if p["name"] == "page")
    assert "page x page_size may not exceed 10,000" in page["description"]
    assert page["schema"]["maximum"] == 10_000
    assert "10,000" in operation["description"]
    assert client.get("/api/v1/search?page=10001&page_size=1").status_code == 422
    assert {"400", "422", "503"} <= set(operation["responses"])
