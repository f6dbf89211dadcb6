"""Races on a database whose commits are real: two clients change an item from the same ETag;
exactly one wins and the stored item is the winner's."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from api.database import EXTENSION as DATABASE
from catalogue.accounts import issue_token
from catalogue.audit import verify_chain
from catalogue.db import make_session_factory
from catalogue.listings import lifecycle
from catalogue.models import CatalogueItem, Supplier
from catalogue.principal import CONSOLE, Principal, Role
from tests.functional.actors import new_system_body

pytestmark = pytest.mark.committed
SYSTEMS = "/api/v1/systems"


def _session(app: Flask):
    return make_session_factory(app.extensions[DATABASE].engine)()


def _supplier_headers(app: Flask) -> dict[str, str]:
    with _session(app) as session:
        emis = session.scalars(select(Supplier.id).where(Supplier.slug == "emis")).one()
        secret = issue_token(session, CONSOLE, Role.SUPPLIER, "racer", supplier_id=emis).secret
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _race(app: Flask, requests: list) -> list:
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = requests[index](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.parametrize("published", [False, True], ids=["draft", "pending-revision"])
def test_two_patches_from_one_etag_one_wins_and_is_stored(committed_app, published):
    headers = _supplier_headers(committed_app)
    client = committed_app.test_client()
    created = client.post(SYSTEMS, json=new_system_body(), headers=headers)
    assert created.status_code == 201
    item_id, etag = created.get_json()["id"], created.headers["ETag"]
    if published:  # the race is then on the pending revision
        with _session(committed_app) as session:
            item = session.get(CatalogueItem, item_id)
            owner = Principal(Role.SUPPLIER, "racer", supplier_id=item.supplier_id)
            lifecycle.transition(session, owner, item, "submit")
            lifecycle.transition(session, CONSOLE, item, "publish")
            session.commit()
        etag = client.get(f"{SYSTEMS}/{item_id}", headers=headers).headers["ETag"]

    def patch(name: str):
        return lambda c: c.patch(
            f"{SYSTEMS}/{item_id}", json={"name": name}, headers={**headers, "If-Match": etag}
        )

    responses = _race(committed_app, [patch("Alpha"), patch("Bravo")])
    codes = sorted(r.status_code for r in responses)
    assert codes == ([202, 412] if published else [200, 412]), [r.get_json() for r in responses]
    winner = next(r for r in responses if r.status_code in (200, 202)).get_json()

    if published:
        revision = client.get(f"{SYSTEMS}/{item_id}/revision", headers=headers).get_json()
        assert revision["proposed"]["fields"]["name"] == winner["proposed"]["fields"]["name"]
    else:
        stored = client.get(f"{SYSTEMS}/{item_id}", headers=headers).get_json()
        assert stored["name"] == winner["name"]
        assert stored["version"] == 2
    with _session(committed_app) as session:
        assert verify_chain(session).intact
