"""Every write operation of the API x every kind of caller: allowed or refused, as the table in
authz_matrix.py says; a refused call changes nothing (no row, no audit event)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import create_app
from catalogue.models import (
    ApiToken,
    AuditEvent,
    Capability,
    CatalogueItem,
    Framework,
    ItemRevision,
    Lot,
    MaturityLevel,
    Organisation,
    Price,
    PriceTier,
)
from tests.functional import audit_matrix
from tests.functional.actors import (  # noqa: F401 (fixtures)
    anonymous_caller,
    authority_caller,
    commissioner_caller,
    other_supplier_caller,
    practice_caller,
    supplier_caller,
)
from tests.functional.authz_matrix import CALLERS, MATRIX, Call, World

PREFIX = "/api/v1"


def _write_operations() -> list[tuple[str, str]]:
    # The document does not depend on the database, so an unconnected app describes it.
    document = create_app({"DATABASE_URL": "sqlite://"}).test_client().get("/openapi.json")
    operations = []
    for path, item in document.get_json()["paths"].items():
        for method in item:
            if method in {"post", "put", "patch", "delete"}:
                operations.append((method.upper(), path.removeprefix(PREFIX)))
    return sorted(operations)


OPERATIONS = _write_operations()


def test_every_write_operation_has_a_row_in_the_matrix():
    missing = [operation for operation in OPERATIONS if operation not in MATRIX]
    stale = [operation for operation in MATRIX if operation not in OPERATIONS]
    assert not missing, f"add these to tests/functional/authz_matrix.py: {missing}"
    assert not stale, f"these rows name no operation any more: {stale}"


def _state(db: Session) -> tuple:
    """A fingerprint of everything a write could change."""
    db.expire_all()
    versioned = (CatalogueItem, Framework, Lot, Capability, MaturityLevel, Organisation)
    rows = tuple(
        db.execute(select(func.count(model.id), func.coalesce(func.sum(model.version), 0))).one()
        for model in versioned
    )
    counts = tuple(
        db.scalar(select(func.count(model.id)))
        for model in (Price, PriceTier, ItemRevision, ApiToken, AuditEvent)
    )
    revoked = db.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_not(None)))
    return rows, counts, revoked


def _placeholder_call(path: str, placeholders: dict[str, str]) -> Call:
    filled = re.sub(r"\{(\w+)\}", lambda m: placeholders.get(m.group(1), "1"), path)
    return Call(filled, {}, '"placeholder"')


@pytest.mark.parametrize("caller_name", CALLERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_write_operation(method, path, caller_name, request, db, supplier):
    rule = MATRIX[(method, path)]
    allowed = caller_name in rule.allowed
    if rule.build is None:
        if allowed:
            pytest.skip("no builder for this row yet: add one to authz_matrix.py")
        call = _placeholder_call(path, rule.placeholders)
    else:
        call = rule.build(World(db, supplier.supplier_id))
    db.flush()
    caller = request.getfixturevalue(caller_name)
    before = _state(db)

    response = caller.open(method, PREFIX + call.path, json=call.json, etag=call.etag)

    if allowed:
        assert 200 <= response.status_code < 300, (response.status_code, response.get_json())
        return
    expected = {401} if caller_name == "anonymous" else {403, 404}
    assert response.status_code in expected, (response.status_code, response.get_json())
    if response.status_code == 401:
        assert "WWW-Authenticate" in response.headers
    assert _state(db) == before


# --------------------------------------------------------------------------- audit events


@pytest.mark.parametrize("caller_name", CALLERS)
def test_audit_events_are_read_by_role_and_organisation(caller_name, request, db, supplier):
    """GET /audit-events for each caller over objects of every owner: each caller reads the
    events of the objects in its rows and of no other (blind scores included)."""
    rows = audit_matrix.arrange(World(db, supplier.supplier_id))
    caller = request.getfixturevalue(caller_name)
    if caller_name == "anonymous":
        assert caller.get(f"{PREFIX}/audit-events").status_code == 401
        return
    wrong = {}
    for name, row in rows.items():
        response = caller.get(f"{PREFIX}/audit-events?{row.query()}")
        assert response.status_code == 200, response.get_json()
        read = bool(response.get_json()["items"])
        if read != (caller_name in row.readers):
            wrong[name] = "read" if read else "not read"
    assert not wrong, wrong
