"""Emails to a real SMTP server and signed webhooks to a real receiver, both on 127.0.0.1:
who gets what, what it says, retries, the endpoint switched off, daily summaries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue import accounts, notifications
from catalogue.models import NotificationDelivery, WebhookEndpoint, utcnow
from catalogue.principal import CONSOLE, Role
from service.notify import Notifier, SmtpTransport
from tests.factories import migration_order_body, organisation_id, supplier_id, supplier_principal
from tests.functional.orders import commissioner_caller, move, place
from tests.notifications.servers import smtp_server, verify, webhook_receiver

BASE = "https://gpsoc.example.org"


@pytest.fixture
def inbox():
    with smtp_server() as (inbox, port):
        inbox.port = port  # type: ignore[attr-defined]
        yield inbox


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def people(db):
    made = {}
    for key, role, binding in (
        ("ann", Role.SUPPLIER, {"supplier_id": supplier_id(db, "tpp")}),
        ("bob", Role.SUPPLIER, {"supplier_id": supplier_id(db, "emis")}),
        ("cat", Role.COMMISSIONER, {"organisation_id": organisation_id(db, "13T")}),
    ):
        made[key] = accounts.create_user(
            db, CONSOLE, email=f"{key}@example.org", name=key.title(), role=role, **binding
        )
    db.commit()
    return made


def _notifier(session_factory, inbox) -> Notifier:
    transport = SmtpTransport("127.0.0.1", inbox.port, starttls=False)
    return Notifier(session_factory, transport, BASE, "GPSoC <noreply@example.org>", True)


def _endpoint(db, receiver, types=("order.submitted",)) -> WebhookEndpoint:
    endpoint = notifications.register(
        db, supplier_principal(db, "tpp"), receiver.url, list(types), allow_loopback=True
    )
    db.commit()
    receiver.secret = endpoint.secret
    return endpoint


def _submit(client, db) -> str:
    commissioner = commissioner_caller(client, db, "13T")
    order, etag = place(commissioner, migration_order_body(db))
    assert move(commissioner, order["call_off_id"], "submit", etag).status_code == 200
    return order["call_off_id"]


def test_the_people_who_should_know_get_one_email_each_and_the_endpoint_a_signed_call(
    client, db, session_factory, inbox, receiver, people
):
    _endpoint(db, receiver)
    call_off_id = _submit(client, db)
    report = _notifier(session_factory, inbox).run_round()
    assert (report.fanned_out, report.sent, report.failed) == (2, 3, 0)

    messages = inbox.wait_for(2)
    by_recipient = {m["To"].addresses[0].username: m for m in messages}
    # TPP's person of the order placed with it; EMIS's of its practice leaving; the
    # commissioner, who did it, of neither.
    assert sorted(by_recipient) == ["ann", "bob"]
    ann = by_recipient["ann"]
    assert ann["Subject"] == f"Order {call_off_id} has been placed with you"
    text = ann.get_body(("plain",)).get_content()
    html = ann.get_body(("html",)).get_content()
    # The link is to the supplier's own page of the order.
    assert f"{BASE}/supplier/orders/{call_off_id}" in text
    assert f'href="{BASE}/supplier/orders/{call_off_id}"' in html
    bob = by_recipient["bob"].get_body(("plain",)).get_content()
    assert f"{BASE}/supplier/notices/{call_off_id}/A81001" in bob
    assert "Dear Ann," in text
    assert "leaving your system" in by_recipient["bob"]["Subject"]

    assert receiver.wait_for(lambda got: len(got) == 1)
    delivery = receiver.received[0]
    assert delivery.refusal == ""  # verified from the specification alone
    body = __import__("json").loads(delivery.body)
    assert body["type"] == "order.submitted"
    assert body["data"]["url"] == f"{BASE}/supplier/orders/{call_off_id}"
    assert body["data"]["api_url"] == f"{BASE}/api/v1/orders/{call_off_id}"
    assert body["data"]["event_id"] == delivery.headers["webhook-id"]
    # The same delivery replayed six minutes later is refused.
    later = int(delivery.headers["webhook-timestamp"]) + 6 * 60
    assert verify(receiver.secret, delivery.headers, delivery.body, now=later) != ""

    # Nothing goes twice.
    again = _notifier(session_factory, inbox).run_round()
    assert (again.fanned_out, again.sent) == (0, 0)
    assert len(inbox.messages) == 2 and len(receiver.received) == 1


def test_a_failing_endpoint_is_retried_with_backoff_then_switched_off_and_its_owner_told(
    client, db, session_factory, inbox, receiver, people
):
    endpoint = _endpoint(db, receiver)
    receiver.answer = lambda _got: 500
    _submit(client, db)
    notifier = _notifier(session_factory, inbox)
    now = utcnow()
    notifier.run_round(now)
    elapsed = 0
    for delay in notifications.RETRY_DELAYS:
        assert notifier.run_round(now + timedelta(seconds=elapsed + delay - 1)).sent == 0
        elapsed += delay
        notifier.run_round(now + timedelta(seconds=elapsed))
    assert elapsed >= 24 * 3600
    assert len(receiver.received) == len(notifications.RETRY_DELAYS) + 1
    db.expire_all()
    assert db.get(WebhookEndpoint, endpoint.id).disabled_at is not None
    delivery = db.scalars(
        select(NotificationDelivery).where(NotificationDelivery.endpoint_id == endpoint.id)
    ).one()
    assert delivery.status == notifications.FAILED
    log, _ = notifications.endpoint_deliveries(db, db.get(WebhookEndpoint, endpoint.id))
    assert log[0]["last_status_code"] == 500 and log[0]["attempts"] == 12

    notifier.run_round(now + timedelta(seconds=elapsed + 1))
    messages = inbox.wait_for(3)
    subjects = [m["Subject"] for m in messages if m["To"].addresses[0].username == "ann"]
    assert "Your webhook endpoint has been switched off" in subjects

    # Replayed by its owner (after switching it back on), it goes at once.
    receiver.answer = lambda _got: 204
    notifications.update(
        db,
        supplier_principal(db, "tpp"),
        db.get(WebhookEndpoint, endpoint.id),
        enabled=True,
        allow_loopback=True,
    )
    notifications.replay(db, db.get(WebhookEndpoint, endpoint.id), delivery.id)
    db.commit()
    assert notifier.run_round().sent == 1
    assert receiver.received[-1].refusal == ""


def test_a_daily_summary_is_one_message_at_summary_time(client, db, session_factory, inbox, people):
    notifications.set_preferences(db, people["ann"].id, {"order.submitted": "daily"})
    db.commit()
    _submit(client, db)
    _submit(client, db)
    notifier = _notifier(session_factory, inbox)
    now = utcnow()
    notifier.run_round(now)
    assert [m["To"].addresses[0].username for m in inbox.wait_for(2)] == ["bob", "bob"]
    notifier.run_round(notifications.next_digest_at(now))
    messages = inbox.wait_for(3)
    summary = messages[-1]
    assert summary["To"].addresses[0].username == "ann"
    assert summary["Subject"] == "GPSoC catalogue: 2 updates today"


def test_never_means_no_email(client, db, session_factory, inbox, people):
    notifications.set_preferences(db, people["bob"].id, {"migration.notice_given": "never"})
    db.commit()
    _submit(client, db)
    assert _notifier(session_factory, inbox).run_round().sent == 1
    assert [m["To"].addresses[0].username for m in inbox.wait_for(1)] == ["ann"]


def test_a_daily_summary_larger_than_a_batch_is_still_one_message(
    db, session_factory, inbox, people
):
    from catalogue.notifications.events import Derived, EventType, write

    notifications.set_preferences(db, people["ann"].id, {"order.submitted": "daily"})
    tpp, ccg = supplier_id(db, "tpp"), organisation_id(db, "13T")
    write(
        db.connection(),
        [
            Derived(EventType.ORDER_SUBMITTED, tpp, ccg, {"title": f"Order {n}", "path": "/"})
            for n in range(25)
        ],
        object_type="call_off_order",
        object_id="-",
        actor_role="commissioner",
    )
    db.commit()
    notifier = _notifier(session_factory, inbox)
    now = utcnow()
    assert notifier.run_round(now).sent == 0
    report = notifier.run_round(notifications.next_digest_at(now))
    assert report.sent == 25
    (summary,) = inbox.wait_for(1)
    assert summary["Subject"] == "GPSoC catalogue: 25 updates today"
