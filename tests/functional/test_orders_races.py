"""Races on a database whose commits are real: racing transitions (exactly one wins), a POST
retried concurrently under one Idempotency-Key (one order), and concurrent orders (distinct
call-off ids)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from api.database import EXTENSION as DATABASE
from catalogue.db import make_session_factory
from catalogue.models import AuditEvent, CallOffOrder
from catalogue.orders.dates import months_after
from catalogue.principal import Role
from tests.functional.orders import (
    ORDERS,
    PRACTICE,
    organisation_id,
    supplier_id,
    systmone_body,
    token,
)

pytestmark = pytest.mark.committed
RACERS = 4


def committed_session(app: Flask):
    return make_session_factory(app.extensions[DATABASE].engine)()


def commissioner_token(app: Flask) -> str:
    with committed_session(app) as session:
        secret = token(session, Role.COMMISSIONER, organisation_id=organisation_id(session, "13T"))
        session.commit()
    return secret


def race(app: Flask, count: int, request: Callable) -> list:
    """Run `request(client, index)` from `count` threads released together; return the
    responses in index order."""
    barrier = threading.Barrier(count)
    responses: list = [None] * count

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = request(client, index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def body_for(app: Flask) -> dict:
    with committed_session(app) as session:
        return systmone_body(session)


def test_of_two_concurrent_transitions_exactly_one_wins(committed_app):
    secret = commissioner_token(committed_app)
    auth = {"Authorization": f"Bearer {secret}"}
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
    secret = commissioner_token(committed_app)
    body = body_for(committed_app)
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "retry-me"}

    responses = race(
        committed_app, RACERS, lambda client, _: client.post(ORDERS, json=body, headers=headers)
    )
    assert [r.status_code for r in responses] == [201] * RACERS, [r.get_json() for r in responses]
    assert len({r.get_json()["call_off_id"] for r in responses}) == 1
    assert sum(1 for r in responses if "Idempotent-Replayed" not in r.headers) == 1
    with committed_session(committed_app) as session:
        assert session.scalar(select(func.count(CallOffOrder.id))) == 1


def test_concurrent_orders_get_distinct_call_off_ids(committed_app):
    secret = commissioner_token(committed_app)
    body = body_for(committed_app)
    headers = {"Authorization": f"Bearer {secret}"}

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
    secret = commissioner_token(committed_app)
    auth = {"Authorization": f"Bearer {secret}"}
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
        emis = token(session, Role.SUPPLIER, supplier_id=supplier_id(session, "emis"))
        session.commit()
    emis_auth = {"Authorization": f"Bearer {emis}"}
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
