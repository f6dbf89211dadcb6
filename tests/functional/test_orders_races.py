"""Races on a database whose commits are real: racing transitions (exactly one wins), a POST
retried concurrently under one Idempotency-Key (one order), and concurrent orders (distinct
call-off ids)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from catalogue.models import AuditEvent, CallOffOrder
from catalogue.orders.dates import months_after
from catalogue.principal import Role
from tests.factories import PRACTICE, migration_order_body, organisation_id, supplier_id
from tests.functional.orders import ORDERS
from tests.functional.races import bearer, committed_session, race

pytestmark = pytest.mark.committed
RACERS = 4


def commissioner_headers(app: Flask) -> dict[str, str]:
    with committed_session(app) as session:
        ccg = organisation_id(session, "13T")
    return bearer(app, Role.COMMISSIONER, organisation_id=ccg)


def body_for(app: Flask) -> dict:
    with committed_session(app) as session:
        return migration_order_body(session)


def test_of_two_concurrent_transitions_exactly_one_wins(committed_app):
    auth = commissioner_headers(committed_app)
    client = committed_app.test_client()
    created = client.post(ORDERS, json=body_for(committed_app), headers=auth)
    assert created.status_code == 201, created.get_json()
    call_off_id, etag = created.get_json()["call_off_id"], created.headers["ETag"]

    def submit_or_cancel(client, index):
        # Half submit, half cancel, all from the same ETag.
        transition = "submit" if index % 2 else "cancel"
        return client.post(
            f"{ORDERS}/{call_off_id}/transitions/{transition}",
            json={"reason": "Changed our minds"},
            headers={**auth, "If-Match": etag},
        )

    responses = race(committed_app, RACERS, submit_or_cancel)
    codes = sorted(response.status_code for response in responses)
    assert codes == [200] + [412] * (RACERS - 1), [r.get_json() for r in responses]
    winner = next(r for r in responses if r.status_code == 200).get_json()["status"]

    with committed_session(committed_app) as session:
        stored = session.scalars(
            select(CallOffOrder).where(CallOffOrder.call_off_id == call_off_id)
        ).one()
        assert stored.status.value == winner
        assert stored.version == 2
        transitions = session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.object_id == call_off_id, AuditEvent.action != "order.create"
            )
        )
        assert transitions == 1


def test_a_post_retried_concurrently_with_one_idempotency_key_makes_one_order(committed_app):
    body = body_for(committed_app)
    headers = {**commissioner_headers(committed_app), "Idempotency-Key": "retry-me"}

    responses = race(
        committed_app, RACERS, lambda client, _: client.post(ORDERS, json=body, headers=headers)
    )
    assert [r.status_code for r in responses] == [201] * RACERS, [r.get_json() for r in responses]
    assert len({r.get_json()["call_off_id"] for r in responses}) == 1
    assert sum(1 for r in responses if "Idempotent-Replayed" not in r.headers) == 1
    with committed_session(committed_app) as session:
        assert session.scalar(select(func.count(CallOffOrder.id))) == 1


def test_concurrent_orders_get_distinct_call_off_ids(committed_app):
    body = body_for(committed_app)
    headers = commissioner_headers(committed_app)

    responses = race(
        committed_app, RACERS, lambda client, _: client.post(ORDERS, json=body, headers=headers)
    )
    assert [r.status_code for r in responses] == [201] * RACERS
    ids = sorted(r.get_json()["call_off_id"] for r in responses)
    assert ids == [f"C{n:06d}-01" for n in range(1, RACERS + 1)]
    with committed_session(committed_app) as session:
        stored = session.scalars(select(CallOffOrder.call_off_id).order_by(CallOffOrder.id))
        assert sorted(stored) == ids


def test_an_acknowledgement_racing_an_extension_never_acknowledges_an_end_not_seen(
    committed_app,
):
    """The previous supplier acknowledges while the commissioner extends the notice, both from
    the same ETag: exactly one wins, and an acknowledgement always stands for the end it saw."""
    auth = commissioner_headers(committed_app)
    client = committed_app.test_client()
    created = client.post(ORDERS, json=body_for(committed_app), headers=auth)
    assert created.status_code == 201, created.get_json()
    call_off_id = created.get_json()["call_off_id"]
    submitted = client.post(
        f"{ORDERS}/{call_off_id}/transitions/submit",
        json={},
        headers={**auth, "If-Match": created.headers["ETag"]},
    )
    assert submitted.status_code == 200, submitted.get_json()
    with committed_session(committed_app) as session:
        emis_id = supplier_id(session, "emis")
    emis_auth = bearer(committed_app, Role.SUPPLIER, supplier_id=emis_id)
    path = f"{ORDERS}/{call_off_id}/migrations/{PRACTICE}"
    notice = client.get(path, headers=emis_auth)
    etag, end = notice.headers["ETag"], date.fromisoformat(notice.get_json()["service_end"])
    later = months_after(end, 1).isoformat()

    def acknowledge_or_extend(client, index):
        if index % 2:
            return client.post(f"{path}/acknowledgement", headers={**emis_auth, "If-Match": etag})
        return client.post(
            f"{path}/notice-extension",
            json={"service_end": later, "reason": "New system problems"},
            headers={**auth, "If-Match": etag},
        )

    responses = race(committed_app, 2, acknowledge_or_extend)
    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 412], [r.get_json() for r in responses]
    final = client.get(path, headers=emis_auth).get_json()
    extended = final["service_end"] == later
    assert final["acknowledged"] is not extended
