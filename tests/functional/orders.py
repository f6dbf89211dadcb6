"""HTTP helpers for the order tests; the seeded migration from EMIS LV to SystmOne, as a body,
is tests.factories.migration_order_body."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalogue.principal import Role
from tests.factories import organisation_id, supplier_id
from tests.functional.actors import Caller, caller

ORDERS = "/api/v1/orders"


def supplier_caller(client: FlaskClient, db: Session, slug: str) -> Caller:
    return caller(client, db, Role.SUPPLIER, supplier_id=supplier_id(db, slug))


def commissioner_caller(client: FlaskClient, db: Session, ods_code: str) -> Caller:
    return caller(client, db, Role.COMMISSIONER, organisation_id=organisation_id(db, ods_code))


def place(caller: Caller, body: dict, **kwargs) -> tuple[dict, str]:
    response = caller.post(ORDERS, json=body, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["ETag"]


def move(caller: Caller, call_off_id: str, transition: str, etag: str, **body):
    return caller.post(f"{ORDERS}/{call_off_id}/transitions/{transition}", json=body, etag=etag)
