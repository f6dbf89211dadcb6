"""Every list answers one envelope, {"total", "page", "page_size", "items"}, and honours `page`
and `page_size`, as the README promises: a client pages every list the same way."""

from __future__ import annotations

import pytest

from tests.functional.actors import authority_caller  # noqa: F401  (fixture)

ENVELOPE = {"total", "page", "page_size", "items"}


def _system_id(client, name: str) -> int:
    items = client.get("/api/v1/systems", query_string={"page_size": 100}).get_json()["items"]
    return next(item["id"] for item in items if item["name"] == name)


def _service_id(client) -> int:
    return client.get("/api/v1/services?page_size=1").get_json()["items"][0]["id"]


LISTS = {
    "frameworks": lambda client: "/api/v1/frameworks",
    "capabilities": lambda client: "/api/v1/capabilities",
    "maturity levels": lambda client: "/api/v1/maturity-levels",
    "lots": lambda client: "/api/v1/frameworks/gpsoc-r/lots",
    "system prices": lambda client: f"/api/v1/systems/{_system_id(client, 'SystmOne')}/prices",
    "system services": lambda client: f"/api/v1/systems/{_system_id(client, 'SystmOne')}/services",
    "service prices": lambda client: f"/api/v1/services/{_service_id(client)}/prices",
}


@pytest.mark.parametrize("name", LISTS)
def test_each_list_pages_in_the_one_envelope(client, name):
    path = LISTS[name](client)
    whole = client.get(path, query_string={"page_size": 100}).get_json()
    assert set(whole) == ENVELOPE
    assert whole["page"] == 1 and whole["page_size"] == 100
    assert whole["total"] == len(whole["items"]) >= 1

    pages = [
        client.get(path, query_string={"page": page, "page_size": 1}).get_json()
        for page in range(1, whole["total"] + 2)
    ]
    assert [page["page"] for page in pages] == list(range(1, whole["total"] + 2))
    assert all(page["total"] == whole["total"] for page in pages)
    assert [item for page in pages for item in page["items"]] == whole["items"]
    assert pages[-1]["items"] == []  # past the end: an empty page, not an error


@pytest.mark.parametrize("name", LISTS)
def test_each_list_refuses_a_page_size_over_the_cap(client, name):
    response = client.get(LISTS[name](client), query_string={"page_size": 101})
    assert response.status_code == 422
    assert "page_size" in response.get_json()["errors"]


def test_the_token_list_pages_too(authority):
    for name in ("one", "two", "three"):
        authority.post("/api/v1/tokens", json={"role": "authority", "name": name})
    first = authority.get("/api/v1/tokens?page_size=2").get_json()
    second = authority.get("/api/v1/tokens?page=2&page_size=2").get_json()
    assert set(first) == ENVELOPE and first["total"] >= 4  # the caller's own token too
    assert len(first["items"]) == 2
    assert not {t["id"] for t in first["items"]} & {t["id"] for t in second["items"]}


def test_no_read_operation_documents_a_bare_array(client):
    document = client.get("/openapi.json").get_json()
    bare = [
        f"GET {path}"
        for path, item in document["paths"].items()
        for status, response in item.get("get", {}).get("responses", {}).items()
        for content in response.get("content", {}).values()
        if status.startswith("2") and content.get("schema", {}).get("type") == "array"
    ]
    assert bare == []
