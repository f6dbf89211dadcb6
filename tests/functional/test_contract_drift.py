"""The document says what the service enforces (issue 21, found by schemathesis in every role):
text has no control characters (`pattern`), If-Match is a list of entity tags and never `*`,
an enum lists only what is accepted, and a whole number is an integer wherever it is written
32.0, nested or not."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from catalogue.funding import LOT_DEFAULT_PAYERS
from catalogue.principal import Role
from tests.factories import organisation_id, selection_body
from tests.functional.actors import (  # noqa: F401 (fixtures)
    authority_caller,
    caller,
    create_system,
    supplier_caller,
)

API = "/api/v1"


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").get_json()


@pytest.fixture
def commissioner(client, db):
    return caller(client, db, Role.COMMISSIONER, organisation_id=organisation_id(db, "13T"))


def _property(document: dict, schema: str, name: str) -> dict:
    return document["components"]["schemas"][schema]["properties"][name]


def _valid(schema: dict, value: object) -> bool:
    return Draft202012Validator(schema).is_valid(value)


def test_text_fields_say_they_take_no_control_characters(document):
    for schema, name in (
        ("SystemCreate", "name"),
        ("SelectionCreate", "name"),
        ("FrameworkCreate", "name"),
    ):
        text = _property(document, schema, name)
        assert _valid(text, "EMIS Web\ttabbed\r\nand broken"), (schema, name)
        for control in ("\x00", "\x07", "\x1b"):
            assert not _valid(text, f"Bad{control}name"), (schema, name, control)


def test_if_match_is_an_entity_tag_in_the_document_and_the_service(document, supplier):
    writes = [
        operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in {"patch", "put", "delete", "post"}
        and any(p["name"] == "If-Match" for p in operation.get("parameters", []))
    ]
    assert writes
    for operation in writes:
        (header,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        schema = header["schema"]
        assert _valid(schema, '"abc123"') and _valid(schema, 'W/"abc", "def"')
        assert not _valid(schema, "*") and not _valid(schema, '"*"'), operation["operationId"]
    system, etag = create_system(supplier)
    path = f"{API}/systems/{system['id']}"
    assert supplier.patch(path, json={"name": "Starred"}, etag="*").status_code == 428
    assert supplier.patch(path, json={"name": "Starred"}, etag='"*"').status_code == 412
    assert supplier.patch(path, json={"name": "Tagged"}, etag=etag).status_code == 200


def test_the_lot_funding_enum_lists_what_a_lot_takes(document, authority):
    allowed = [payer.value for payer in LOT_DEFAULT_PAYERS]
    for schema in ("LotCreate", "LotUpdate"):
        assert _property(document, schema, "default_funding")["enum"] == allowed
    for payer in _property(document, "LotCreate", "default_funding")["enum"]:
        lot = {"number": 90 + len(payer), "name": f"Lot {payer}", "default_funding": payer}
        response = authority.post(f"{API}/frameworks/gpsoc-r/lots", json=lot)
        assert response.status_code == 201, response.get_json()


def test_a_whole_number_written_as_a_float_is_an_integer_nested_too(commissioner):
    body = selection_body(
        price_weight=60.0,
        term_months=3.6e1,
        non_price_weights={
            "features": 40.0,
            "implementation": 20.0,
            "interoperability": 40.0,
            "service_levels": 0.0,
        },
    )
    response = commissioner.post(f"{API}/selections", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (created["price_weight"], created["term_months"]) == (60, 36)
    fraction = selection_body(
        non_price_weights={
            "features": 40.5,
            "implementation": 19.5,
            "interoperability": 40,
            "service_levels": 0,
        }
    )
    response = commissioner.post(f"{API}/selections", json=fraction)
    assert response.status_code == 422
    assert "non_price_weights" in response.get_json()["errors"]
