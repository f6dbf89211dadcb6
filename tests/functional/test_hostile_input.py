"""What an attacker or a careless client sends: every answer is a 4xx in the one error shape,
never a 5xx, on SQLite and PostgreSQL alike (the suite's DATABASE_URL switch).

Huge and deep bodies, invalid UTF-8, lone surrogates, NUL and other control characters, huge
page numbers, formula-shaped and control-character text in exports, unpublished items offered
as candidates. The slow clients are in tests/api/test_slow_clients.py (a real server)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from api.common.request_input import MAX_JSON_DEPTH
from catalogue.principal import Role
from tests.factories import (
    item,
    item_id,
    migration_order_body,
    organisation_id,
    price_body,
    rename_item,
    selection_body,
    system_body,
)
from tests.functional.actors import (
    anonymous_caller,  # noqa: F401  (fixtures)
    authority_caller,  # noqa: F401
    caller,
    create_system,
    other_supplier_caller,  # noqa: F401
    supplier_caller,  # noqa: F401
)
from tests.functional.orders import place

API = "/api/v1"


@pytest.fixture
def commissioner(client, db):
    return caller(client, db, Role.COMMISSIONER, organisation_id=organisation_id(db, "13T"))


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert body["code"] == status and body["message"], body
    return body


def raw(caller, method: str, path: str, data: bytes, **headers: str):
    sent = {**caller.headers, "Content-Type": "application/json", **headers}
    return caller.client.open(path, method=method, data=data, headers=sent)


# Each JSON-taking endpoint a role can reach without an ETag dance (creates).
def json_endpoints(supplier, authority, commissioner):
    return [
        (supplier, "POST", f"{API}/systems"),
        (supplier, "POST", f"{API}/services"),
        (commissioner, "POST", f"{API}/selections"),
        (commissioner, "POST", f"{API}/orders"),
        (authority, "POST", f"{API}/tokens"),
        (authority, "POST", f"{API}/frameworks"),
        (authority, "POST", f"{API}/organisations"),
        (authority, "POST", f"{API}/capabilities"),
    ]


# ------------------------------------------------------------------------------ JSON bodies


def test_json_nested_a_thousand_deep_is_a_400_on_every_json_endpoint(
    supplier, authority, commissioner
):
    deep = b'{"name": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    for caller_, method, path in json_endpoints(supplier, authority, commissioner):
        body = assert_error(raw(caller_, method, path, deep), 400)
        assert "nested" in body["message"], path


def test_json_nested_just_within_the_limit_reaches_the_schema(supplier):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    response = raw(supplier, "POST", f"{API}/systems", f'{{"name": {nested}}}'.encode())
    assert_error(response, 422)


def test_a_lone_surrogate_is_a_422_naming_the_field_on_every_json_endpoint(
    supplier, authority, commissioner
):
    for caller_, method, path in json_endpoints(supplier, authority, commissioner):
        body = assert_error(raw(caller_, method, path, b'{"name": "x\\ud800"}'), 422)
        assert "name" in body["errors"], (path, body)
    # A surrogate pair is one character, and fine.
    response = supplier.post(f"{API}/systems", json=system_body(name="EMIS \U0001f600"))
    assert response.status_code == 201, response.get_json()


def test_invalid_utf8_and_broken_json_are_400s(supplier):
    assert_error(raw(supplier, "POST", f"{API}/systems", b'{"name": "\xff\xfe"}'), 400)
    assert_error(raw(supplier, "POST", f"{API}/systems", b'{"name": '), 400)
    assert_error(raw(supplier, "POST", f"{API}/systems", b"[" * 5000), 400)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x0b"])
def test_control_characters_in_text_are_a_422_naming_the_field(supplier, character):
    response = supplier.post(f"{API}/systems", json=system_body(name=f"EMIS{character}Web"))
    body = assert_error(response, 422)
    assert "name" in body["errors"]
    # Nested text names its path.
    prices = [{**system_body()["prices"][0], "name": f"Licence{character}"}]
    response = supplier.post(f"{API}/systems", json=system_body(prices=prices))
    assert "prices.0.name" in assert_error(response, 422)["errors"]


def test_tabs_and_line_breaks_are_text(supplier):
    body = system_body(description="Line one\r\nLine two\tindented")
    created, _ = create_system(supplier, **body)
    assert created["description"] == "Line one\r\nLine two\tindented"


@pytest.mark.parametrize(
    "query",
    [
        "framework=gpsoc%00",
        "hosting=hosted%00",
        "capability=EPS%00",
        "supplier_name%00=x",
    ],
)
def test_nul_in_a_get_filter_is_a_422_on_every_database(anonymous, query):
    assert_error(anonymous.get(f"{API}/systems?{query}"), 422)


def test_nul_in_search_is_a_422_and_in_a_path_a_404(anonymous):
    assert_error(anonymous.get(f"{API}/search?q=emis%00"), 422)
    assert_error(anonymous.get(f"{API}/frameworks/gpsoc%00"), 404)
    assert_error(anonymous.get(f"{API}/organisations?q=%01"), 422)


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(app, supplier):
    limit = app.config["MAX_CONTENT_LENGTH"]
    padding = "x" * limit
    response = supplier.post(f"{API}/systems", json=system_body(description=padding))
    body = assert_error(response, 413)
    assert str(limit) in body["message"]


def test_a_body_over_the_limit_is_refused_before_it_is_read(app, supplier):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = supplier.client.open(
        f"{API}/systems",
        method="POST",
        input_stream=io.BytesIO(b"{}"),
        headers={**supplier.headers, "Content-Type": "application/json"},
        environ_overrides={"CONTENT_LENGTH": str(limit + 1)},
    )
    assert_error(response, 413)


def test_a_body_of_any_type_over_the_limit_is_a_413(app, anonymous):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = anonymous.client.post(
        f"{API}/frameworks", data=b"x" * (limit + 1), headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 413)


@pytest.mark.parametrize(
    "path",
    [
        "/systems?framework=%FF%FE",
        "/systems?framework=%ED%A0%80",
        "/frameworks/%FF",
        "/search?q=%C3",
        "/suppliers/%F0%9F%98%80",
    ],
)
def test_invalid_utf8_in_the_url_is_never_a_5xx(anonymous, path):
    response = anonymous.get(f"{API}{path}")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert_error(response, response.status_code)


def test_every_array_and_map_in_a_request_is_bounded_in_the_document(anonymous):
    """80,000 prices must be a 422 from the schema's bound, not seconds of CPU first: every
    array a request takes, in its body or its query, states its maximum in the document."""
    document = anonymous.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    unbounded = []

    def walk(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(schemas[name], name, seen | {name})
            return
        if schema.get("type") == "array" or "array" in (schema.get("type") or []):
            if "maxItems" not in schema:
                unbounded.append(where)
            walk(schema.get("items", {}), f"{where}[]", seen)
        if isinstance(schema.get("additionalProperties"), dict) and "maxProperties" not in schema:
            unbounded.append(f"{where}{{}}")
        for name, child in schema.get("properties", {}).items():
            walk(child, f"{where}.{name}", seen)
        for key in ("allOf", "anyOf", "oneOf"):
            for child in schema.get(key, []):
                walk(child, where, seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = document["components"]["parameters"][parameter["$ref"][24:]]
                walk(parameter.get("schema", {}), f"{method} {path} ?{parameter['name']}", set())
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                walk(media.get("schema", {}), f"{method} {path} body", set())
    assert unbounded == []


def test_too_many_prices_are_a_422_from_the_schema(supplier):
    prices = [system_body()["prices"][0]] * 80_000
    response = supplier.post(f"{API}/systems", json=system_body(prices=prices))
    # The body is over the size limit before the schema even counts it.
    assert response.status_code in (413, 422)
    prices = [system_body()["prices"][0]] * 51
    body = assert_error(supplier.post(f"{API}/systems", json=system_body(prices=prices)), 422)
    assert "prices" in str(body["errors"])
    # The length is refused before any item is parsed: no per-item reason for 5,000 bad ones.
    body = assert_error(supplier.post(f"{API}/systems", json=system_body(prices=[{}] * 5000)), 422)
    assert "maximum" in str(body["errors"]) and "Missing data" not in str(body["errors"])


# ------------------------------------------------------------------------------ pages


@pytest.mark.parametrize(
    "path",
    [
        "/systems?page=99999999999999999999",
        "/systems?page=9223372036854775807",
        "/systems?page=2147483648&page_size=100",
        "/services?page=-1",
        "/suppliers?page_size=1000000",
        "/search?q=emis&page=99999999",
        "/organisations?page=1e308",
    ],
)
def test_huge_page_numbers_are_4xx_or_empty_pages(anonymous, path):
    response = anonymous.get(f"{API}{path}")
    assert response.status_code < 500, response.get_json()
    if response.status_code == 200:
        assert response.get_json()["items"] == []
    else:
        assert_error(response, response.status_code)


# ------------------------------------------------------------------------------ exports


def _selection_with(commissioner, db, slug: str) -> str:
    response = commissioner.post(f"{API}/selections", json=selection_body())
    assert response.status_code == 201, response.get_json()
    path = f"{API}/selections/{response.get_json()['id']}"
    etag = response.headers["ETag"]
    response = commissioner.post(
        f"{path}/candidates", json={"item_ids": [item_id(db, slug)]}, etag=etag
    )
    assert response.status_code == 200, response.get_json()
    return path


def test_stored_control_characters_are_dropped_from_selection_exports(commissioner, db):
    # Written before the input rule existed (or straight into the database).
    rename_item(db, "systmone", "System\x07One\x1b")
    path = _selection_with(commissioner, db, "systmone")

    response = commissioner.get(f"{path}/export.xlsx")
    assert response.status_code == 200, response.get_json()
    values = [
        cell.value
        for sheet in load_workbook(io.BytesIO(response.data)).worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]
    assert "SystemOne" in values

    response = commissioner.get(f"{path}/export.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "SystemOne" in text and "\x07" not in text and "\x1b" not in text


def test_formula_shaped_names_stay_text_in_exports(commissioner, db):
    rename_item(db, "systmone", "\x01=cmd|'/C calc'!A0")
    path = _selection_with(commissioner, db, "systmone")
    cells = [
        cell
        for sheet in load_workbook(
            io.BytesIO(commissioner.get(f"{path}/export.xlsx").data)
        ).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=cmd")
    ]
    assert cells and all(cell.data_type == "s" for cell in cells)
    rows = list(csv.reader(io.StringIO(commissioner.get(f"{path}/export.csv").get_data(True))))
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert any(cell == "'=cmd|'/C calc'!A0" for row in rows for cell in row)


def test_stored_control_characters_are_dropped_from_order_exports(commissioner, db):
    order, _ = place(commissioner, migration_order_body(db))
    rename_item(db, "systmone", "SystmOne\x08\x1b")  # PostgreSQL holds no NUL at all
    path = f"{API}/orders/{order['call_off_id']}"
    response = commissioner.get(f"{path}/export.xlsx")
    assert response.status_code == 200, response.get_json()
    values = [
        cell.value
        for sheet in load_workbook(io.BytesIO(response.data)).worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]
    assert any(isinstance(v, str) and "SystmOne" in v for v in values)
    assert not any(isinstance(v, str) and "\x08" in v for v in values)
    text = commissioner.get(f"{path}/export.csv").get_data(as_text=True)
    assert "\x08" not in text


# ------------------------------------------------------------------------------ leaks


def test_another_suppliers_unpublished_item_is_answered_as_a_missing_one(
    commissioner, supplier, db
):
    draft, _ = create_system(supplier, name="Unannounced EMIS Product")
    submitted, etag = create_system(supplier, name="Submitted EMIS Product")
    response = supplier.post(f"{API}/systems/{submitted['id']}/submit", etag=etag)
    assert response.status_code == 200, response.get_json()
    missing = max(draft["id"], submitted["id"]) + 1000

    answers = {}
    for key, wanted in (("draft", draft["id"]), ("submitted", submitted["id"]), ("none", missing)):
        response = commissioner.post(f"{API}/selections", json=selection_body())
        path = f"{API}/selections/{response.get_json()['id']}"
        response = commissioner.post(
            f"{path}/candidates", json={"item_ids": [wanted]}, etag=response.headers["ETag"]
        )
        body = assert_error(response, 422)
        body["errors"]["item_ids"] = [
            reason.replace(f"item {wanted}", "item ID") for reason in body["errors"]["item_ids"]
        ]
        answers[key] = body
    assert answers["draft"] == answers["none"] == answers["submitted"]
    assert "Unannounced" not in str(answers) and "Submitted EMIS" not in str(answers)
    assert item(db, "systmone").name  # the seed is untouched


# ------------------------------------------------------------------------------ payer fields

NOT_A_PAYER = ({}, {"payer": "central"}, [], ["central"], 1, True)


def test_a_payer_given_as_an_object_or_array_is_a_422_not_a_500(supplier, authority):
    for value in NOT_A_PAYER:
        body = system_body(prices=[price_body(funding=value)])
        errors = assert_error(supplier.post(f"{API}/systems", json=body), 422)["errors"]
        assert "prices" in errors, (value, errors)
        lot = {"number": 77, "name": "Odd lot", "default_funding": value}
        errors = assert_error(authority.post(f"{API}/frameworks/gpsoc-r/lots", json=lot), 422)
        assert "default_funding" in errors["errors"], value
        framework = {
            "slug": "odd-payers",
            "name": "Odd payers",
            "start_date": "2030-01-01",
            "end_date": "2031-01-01",
            "max_term_months": 12,
            "funding_types": [value],
        }
        errors = assert_error(authority.post(f"{API}/frameworks", json=framework), 422)
        assert "funding_types" in errors["errors"], value


# ------------------------------------------------------------------------------ path ids


@pytest.mark.parametrize("digits", ["\u0661", "\u0967", "\uff11", "\U0001d7cf", "1\u0660"])
def test_ids_in_other_scripts_digits_are_not_found(anonymous, digits):
    """/systems/١ was item 1 under a second address (\\d matches every script's digits)."""
    assert anonymous.get(f"{API}/systems/1").status_code == 200
    assert_error(anonymous.get(f"{API}/systems/{digits}"), 404)
    assert_error(anonymous.get(f"{API}/systems/{digits}/prices"), 404)
