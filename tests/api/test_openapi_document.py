"""/openapi.json is what client generators read: it must be a valid OpenAPI 3.1 document, and
every property must say its type (a generator cannot type an enum without one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator


@pytest.fixture(scope="module")
def document(app) -> dict[str, Any]:
    return app.test_client().get("/openapi.json").get_json()


def _schemas(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "enum" in node or "type" in node:
            yield path, node
        for key, value in node.items():
            yield from _schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{path}/{index}")


def test_the_document_validates_as_openapi_3_1(document):
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]
    assert errors == []


def test_every_enum_says_its_type(document):
    untyped = [
        path for path, schema in _schemas(document) if "enum" in schema and "type" not in schema
    ]
    assert untyped == []


def test_no_type_list_names_a_type_twice(document):
    repeated = [
        path
        for path, schema in _schemas(document)
        if isinstance(schema.get("type"), list) and len(set(schema["type"])) < len(schema["type"])
    ]
    assert repeated == []


def test_a_nullable_enum_admits_null_in_its_type_and_values(document):
    funding = document["components"]["schemas"]["Price"]["properties"]["funding"]
    assert None in funding["enum"]
    assert set(funding["type"]) == {"string", "null"}
