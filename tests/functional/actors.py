"""Callers of the API for functional tests (tokens issued inside the test's transaction), and
small HTTP helpers; the test data itself comes from tests/factories.py.

Import the fixtures a test module needs: importing `supplier_caller` provides the fixture
`supplier`, and so on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalogue.principal import Role
from tests.factories import (
    COMMISSIONER_ODS,
    OTHER_SLUG,
    OWNER_SLUG,
    PRACTICE,
    organisation_id,
    supplier_id,
    system_body,
    token,
)


@dataclass
class Caller:
    """A client that sends one role's bearer token (or none)."""

    client: FlaskClient
    token: str | None
    name: str = ""
    supplier_id: int | None = None
    organisation_id: int | None = None
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def open(self, method: str, path: str, *, json=None, etag: str | None = None, headers=None):
        sent = {**self.headers, **(headers or {})}
        if etag is not None:
            sent["If-Match"] = etag
        return self.client.open(path, method=method, json=json, headers=sent)

    def call(self, method: str, path: str, json=None, etag: str | None = None):
        return self.open(method, path, json=json, etag=etag)

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open("DELETE", path, **kwargs)


def caller(client: FlaskClient, db: Session, role: Role, name: str = "", **binding: int) -> Caller:
    """A caller with a new token of the role, bound to `supplier_id` or `organisation_id`."""
    secret = token(db, role, **binding)
    return Caller(client, secret, name, binding.get("supplier_id"), binding.get("organisation_id"))


@pytest.fixture(name="anonymous")
def anonymous_caller(client) -> Caller:
    return Caller(client, None, "anonymous")


@pytest.fixture(name="authority")
def authority_caller(client, db) -> Caller:
    return caller(client, db, Role.AUTHORITY, "authority")


@pytest.fixture(name="supplier")
def supplier_caller(client, db) -> Caller:
    """EMIS, the owner of the items the tests change."""
    own = supplier_id(db, OWNER_SLUG)
    return caller(client, db, Role.SUPPLIER, "supplier", supplier_id=own)


@pytest.fixture(name="other_supplier")
def other_supplier_caller(client, db) -> Caller:
    other = supplier_id(db, OTHER_SLUG)
    return caller(client, db, Role.SUPPLIER, "other_supplier", supplier_id=other)


@pytest.fixture(name="commissioner")
def commissioner_caller(client, db) -> Caller:
    org = organisation_id(db, COMMISSIONER_ODS)
    return caller(client, db, Role.COMMISSIONER, "commissioner", organisation_id=org)


@pytest.fixture(name="practice")
def practice_caller(client, db) -> Caller:
    """Riverside (A81001), one of the commissioner's practices."""
    org = organisation_id(db, PRACTICE)
    return caller(client, db, Role.PRACTICE, "practice", organisation_id=org)


def create_system(caller: Caller, **overrides) -> tuple[dict, str]:
    """A new draft system of the caller's; returns its body and ETag."""
    response = caller.post("/api/v1/systems", json=system_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["ETag"]


def publish(supplier: Caller, authority: Caller, path: str, etag: str) -> str:
    """Submit (as its supplier) and publish (as the authority); returns the new ETag."""
    response = supplier.post(f"{path}/submit", etag=etag)
    assert response.status_code == 200, response.get_json()
    response = authority.post(f"{path}/publish", etag=response.headers["ETag"])
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]
