"""Errors have one shape, as the README says: {"code", "status", "message", "errors"}, where
`errors` maps each field to its reasons, wherever in the request the field was."""

from __future__ import annotations

from api.errors import by_field
from tests.functional.actors import authority_caller, supplier_caller  # noqa: F401  (fixtures)


def test_a_bad_query_parameter_is_reported_under_its_own_name(client):
    response = client.get("/api/v1/systems?hosting=cloud&lot=first")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"hosting", "lot"}
    assert all(isinstance(reasons, list) and reasons for reasons in errors.values())


def test_a_bad_body_field_is_reported_under_its_own_name(authority):
    response = authority.post("/api/v1/tokens", json={"role": "emperor", "surprise": 1})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"role", "surprise"} <= set(errors)
    assert "query" not in errors and "json" not in errors


def test_a_nested_field_keeps_its_path_under_the_field(supplier):
    body = {
        "kind": "system",
        "name": "Nested",
        "framework": "gpsoc-r",
        "lot": 1,
        "hosting": "hosted",
        "prices": [{"name": "Licence", "unit": "per_practice", "period": "per_year"}],
    }
    response = supplier.post("/api/v1/systems", json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"prices"}
    assert isinstance(errors["prices"]["0"], dict)


def test_a_name_refused_in_two_places_is_told_apart_by_its_location():
    flat = by_field(
        {"query": {"page": ["Not a valid integer."]}, "json": {"page": ["Unknown field."]}}
    )
    assert flat == {"query.page": ["Not a valid integer."], "json.page": ["Unknown field."]}


def test_malformed_json_names_the_body(authority):
    response = authority.client.post(
        "/api/v1/tokens",
        data="{not json",
        headers={**authority.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and body["errors"] == {"json": ["Invalid JSON body."]}
