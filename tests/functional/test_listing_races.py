"""Races on a database whose commits are real: two clients change an item from the same ETag;
exactly one wins and the stored item is the winner's."""

from __future__ import annotations

import pytest
from flask import Flask

from catalogue.audit import verify_chain
from catalogue.listings import lifecycle
from catalogue.models import CatalogueItem
from catalogue.principal import CONSOLE, Principal, Role
from tests.factories import supplier_id, system_body
from tests.functional.races import bearer, committed_session, race

pytestmark = pytest.mark.committed
SYSTEMS = "/api/v1/systems"


def _supplier_headers(app: Flask) -> dict[str, str]:
    with committed_session(app) as session:
        emis = supplier_id(session, "emis")
    return bearer(app, Role.SUPPLIER, supplier_id=emis)


@pytest.mark.parametrize("published", [False, True], ids=["draft", "pending-revision"])
def test_two_patches_from_one_etag_one_wins_and_is_stored(committed_app, published):
    headers = _supplier_headers(committed_app)
    client = committed_app.test_client()
    created = client.post(SYSTEMS, json=system_body(), headers=headers)
    assert created.status_code == 201
    item_id, etag = created.get_json()["id"], created.headers["ETag"]
    if published:  # the race is then on the pending revision
        with committed_session(committed_app) as session:
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

    patches = [patch("Alpha"), patch("Bravo")]
    responses = race(committed_app, len(patches), lambda client, i: patches[i](client))
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
    with committed_session(committed_app) as session:
        assert verify_chain(session).intact
