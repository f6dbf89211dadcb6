"""Client generators name their methods after operationIds: every operation has one, no two
share one, and they do not change under clients' feet."""

import re

import pytest

METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def operations(app) -> dict[tuple[str, str], dict]:
    document = app.test_client().get("/openapi.json").get_json()
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_operation_has_a_unique_camel_case_operation_id(operations):
    missing = sorted(key for key, operation in operations.items() if "operationId" not in operation)
    assert missing == []
    ids = [operation["operationId"] for operation in operations.values()]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", i)] == []


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("GET", "/api/v1/systems", "listSystems"),
        ("GET", "/api/v1/systems/{item_id}", "getSystem"),
        ("PATCH", "/api/v1/systems/{item_id}", "updateSystem"),
        ("POST", "/api/v1/systems/{item_id}/submit", "submitSystem"),
        ("POST", "/api/v1/services/{item_id}/publish", "publishService"),
        ("POST", "/api/v1/services/{item_id}/revision/approve", "approveServiceRevision"),
        ("POST", "/api/v1/frameworks/{slug}/go-live", "goLiveFramework"),
        ("PATCH", "/api/v1/frameworks/{slug}/lots/{number}", "updateLot"),
        ("POST", "/api/v1/orders", "createOrder"),
        ("POST", "/api/v1/orders/{call_off_id}/transitions/{transition}", "transitionOrder"),
        ("PUT", "/api/v1/selections/{selection_id}/scores", "enterSelectionScores"),
        ("GET", "/api/v1/search", "searchCatalogue"),
        ("GET", "/readyz", "getReadiness"),
    ],
)
def test_operation_ids_are_stable(operations, method, path, operation_id):
    assert operations[(method, path)]["operationId"] == operation_id
