"""Callers of the API for functional tests: tokens issued inside the test's transaction, and
small helpers for the seeded catalogue.

Import the fixtures a test module needs: importing `supplier_caller` provides the fixture
`supplier`, and so on."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.accounts import issue_token
from catalogue.models import AuditEvent, CatalogueItem, Organisation, Supplier
from catalogue.principal import CONSOLE, Role

# The seeded catalogue (seed_data/): EMIS and TPP are suppliers with published systems.
OWNER_SLUG = "emis"
OTHER_SLUG = "tpp"
COMMISSIONER_ODS = "13T"


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


def supplier_id(db: Session, slug: str) -> int:
    return db.scalars(select(Supplier.id).where(Supplier.slug == slug)).one()


def item_id(db: Session, slug: str) -> int:
    return db.scalars(select(CatalogueItem.id).where(CatalogueItem.slug == slug)).one()


def organisation_id(db: Session, ods_code: str) -> int:
    return db.scalars(select(Organisation.id).where(Organisation.ods_code == ods_code)).one()


def audit_count(db: Session) -> int:
    return db.scalar(select(func.count(AuditEvent.id))) or 0


def _token(db: Session, role: Role, **binding) -> str:
    token = issue_token(db, CONSOLE, role, f"{role.value} test token", **binding).secret
    db.flush()
    return token


@pytest.fixture(name="anonymous")
def anonymous_caller(client) -> Caller:
    return Caller(client, None, "anonymous")


@pytest.fixture(name="authority")
def authority_caller(client, db) -> Caller:
    return Caller(client, _token(db, Role.AUTHORITY), "authority")


@pytest.fixture(name="supplier")
def supplier_caller(client, db) -> Caller:
    """EMIS, the owner of the items the tests change."""
    own = supplier_id(db, OWNER_SLUG)
    return Caller(client, _token(db, Role.SUPPLIER, supplier_id=own), "supplier", own)


@pytest.fixture(name="other_supplier")
def other_supplier_caller(client, db) -> Caller:
    other = supplier_id(db, OTHER_SLUG)
    return Caller(client, _token(db, Role.SUPPLIER, supplier_id=other), "other_supplier", other)


@pytest.fixture(name="commissioner")
def commissioner_caller(client, db) -> Caller:
    org = organisation_id(db, COMMISSIONER_ODS)
    token = _token(db, Role.COMMISSIONER, organisation_id=org)
    return Caller(client, token, "commissioner", organisation_id=org)


def new_system_body(**overrides) -> dict:
    body = {
        "kind": "system",
        "name": "Test Clinical System",
        "summary": "A system made by a test.",
        "framework": "gpsoc-r",
        "lot": 1,
        "hosting": "hosted",
        "rfa_version": "RFA v7",
        "prices": [
            {
                "name": "Annual practice licence",
                "unit": "practice",
                "period": "year",
                "effective_from": "2015-04-01",
                "amount": "3000.00",
            }
        ],
    }
    body.update(overrides)
    return body


def create_system(caller: Caller, **overrides) -> tuple[dict, str]:
    """A new draft system of the caller's; returns its body and ETag."""
    response = caller.post("/api/v1/systems", json=new_system_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["ETag"]


def publish(supplier: Caller, authority: Caller, path: str, etag: str) -> str:
    """Submit (as its supplier) and publish (as the authority); returns the new ETag."""
    response = supplier.post(f"{path}/submit", etag=etag)
    assert response.status_code == 200, response.get_json()
    response = authority.post(f"{path}/publish", etag=response.headers["ETag"])
    assert response.status_code == 200, response.get_json()
    return response.headers["ETag"]
