"""`gpsoc notify-worker` processes on a database of their own: killed in the middle of sending,
nothing is lost and nothing goes twice to the same recipient except the one call whose answer
the killed worker never had (again with the same webhook-id, which receivers deduplicate on);
two workers at once never send the same delivery."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalogue import accounts, notifications
from catalogue.db import make_session_factory
from catalogue.models import NotificationDelivery
from catalogue.notifications.events import Derived, EventType, write
from catalogue.principal import CONSOLE, Role
from tests.databases import fresh_database
from tests.factories import organisation_id, supplier_id, supplier_principal
from tests.notifications.servers import smtp_server, webhook_receiver

PEOPLE = ("ann", "al")
pytestmark = pytest.mark.xdist_group("notify-worker-processes")


@pytest.fixture
def world(tmp_path):
    with (
        fresh_database(tmp_path) as engine,
        smtp_server() as (inbox, port),
        webhook_receiver() as receiver,
    ):
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            tpp = supplier_id(session, "tpp")
            for name in PEOPLE:
                accounts.create_user(
                    session,
                    CONSOLE,
                    email=f"{name}@example.org",
                    name=name.title(),
                    role=Role.SUPPLIER,
                    supplier_id=tpp,
                )
            endpoint = notifications.register(
                session,
                supplier_principal(session, "tpp"),
                receiver.url,
                ["order.submitted"],
                allow_loopback=True,
            )
            receiver.secret = endpoint.secret
        env = {
            **os.environ,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "GPSOC_DATA_DIR": str(tmp_path / "data"),
            "GPSOC_SMTP_HOST": "127.0.0.1",
            "GPSOC_SMTP_PORT": str(port),
            "GPSOC_SMTP_STARTTLS": "false",
            "GPSOC_WEBHOOKS_ALLOW_LOOPBACK": "true",
        }
        env.pop("ELASTICSEARCH_URL", None)
        yield engine, sessions, inbox, receiver, env, tmp_path


def _events(sessions, count: int) -> None:
    with sessions.begin() as session:
        tpp, ccg = supplier_id(session, "tpp"), organisation_id(session, "13T")
        derived = [
            Derived(
                EventType.ORDER_SUBMITTED,
                tpp,
                ccg,
                {"title": f"Order C{n:05d}-01", "path": f"/orders/C{n:05d}-01"},
            )
            for n in range(count)
        ]
        write(
            session.connection(),
            derived,
            object_type="call_off_order",
            object_id="C00000-01",
            actor_role="commissioner",
        )


def _worker(env: dict[str, str], log: Path, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-c", "from api.cli import main; main()", "notify-worker"]
    return subprocess.Popen(
        [*command, "--interval", "0.1", *options],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


def _all_sent(sessions) -> bool:
    with sessions() as session:
        waiting = session.scalar(
            select(func.count()).where(NotificationDelivery.status != notifications.SENT)
        )
        return waiting == 0


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_the_unanswered_call(world):
    engine, sessions, inbox, receiver, env, tmp_path = world
    events = 30
    _events(sessions, events)
    gate = threading.Event()
    held: list[str] = []

    def answer(got) -> int:
        with receiver.changed:
            first_time = not held and len(receiver.received) == 10
            if first_time:
                held.append(got.headers["webhook-id"])
        if first_time:
            gate.wait(60)  # the worker waits for this answer until it is killed
        return 204

    receiver.answer = answer
    first = _worker(env, tmp_path / "first.log", "--lease", "1")
    try:
        assert receiver.wait_for(lambda got: len(got) >= 10, timeout=120)
    finally:
        first.kill()
        first.wait(30)
        gate.set()

    second = _worker(env, tmp_path / "second.log")
    try:
        assert receiver.wait_for(
            lambda got: len({r.headers["webhook-id"] for r in got}) == events, timeout=120
        )
        inbox.wait_for(events * len(PEOPLE), timeout=120)
        assert _wait(lambda: _all_sent(sessions))
    finally:
        _stop(second)

    assert all(r.refusal == "" for r in receiver.received)
    calls = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(calls) == events
    assert {webhook_id for webhook_id, n in calls.items() if n > 1} == set(held)
    assert calls[held[0]] == 2
    emails = Counter((str(m["To"]), m["Message-ID"]) for m in inbox.messages)
    assert len(emails) == events * len(PEOPLE)
    assert set(emails.values()) == {1}


def test_two_workers_at_once_never_send_the_same_delivery(world):
    engine, sessions, inbox, receiver, env, tmp_path = world
    events = 40
    _events(sessions, events)
    workers = [_worker(env, tmp_path / f"w{n}.log") for n in range(2)]
    try:
        assert receiver.wait_for(lambda got: len(got) >= events, timeout=120)
        inbox.wait_for(events * len(PEOPLE), timeout=120)
        assert _wait(lambda: _all_sent(sessions))
    finally:
        for worker in workers:
            _stop(worker)
    calls = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(calls) == events and set(calls.values()) == {1}
    emails = Counter((str(m["To"]), m["Message-ID"]) for m in inbox.messages)
    assert len(emails) == events * len(PEOPLE) and set(emails.values()) == {1}


def _wait(condition, timeout: float = 60.0) -> bool:
    done = threading.Event()
    for _ in range(int(timeout * 10)):
        if condition():
            return True
        done.wait(0.1)
    return condition()
