"""Running notifications: the settings (a bad one named), the embedded default writing .eml
files, the serving process's thread, and /readyz reporting the lag."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import insert

from catalogue import accounts
from catalogue.config import ConfigurationError, Settings
from catalogue.db import make_session_factory
from catalogue.models import NotificationEvent, table_of, utcnow
from catalogue.notifications.events import Derived, EventType, write
from catalogue.principal import CONSOLE, Role
from service.notify import EXTENSION, EmlTransport, Notifier, SmtpTransport, transport_for
from tests.factories import organisation_id, supplier_id
from tests.notifications.servers import smtp_server


def test_notification_settings_default_and_override():
    defaults = Settings.from_env({})
    assert defaults.smtp_host is None and defaults.smtp_port == 587 and defaults.smtp_starttls
    assert defaults.webhooks_allow_loopback is False and defaults.notify_interval == 5.0
    assert defaults.base_url == "http://localhost:8000"
    settings = Settings.from_env(
        {
            "GPSOC_BASE_URL": "https://gpsoc.example.org/",
            "GPSOC_SMTP_HOST": "mail.example.org",
            "GPSOC_SMTP_PORT": "2525",
            "GPSOC_SMTP_STARTTLS": "no",
            "GPSOC_SMTP_USER": "gpsoc",
            "GPSOC_SMTP_PASSWORD": "pw",
            "GPSOC_MAIL_FROM": "GPSoC <noreply@example.org>",
            "GPSOC_WEBHOOKS_ALLOW_LOOPBACK": "true",
            "GPSOC_NOTIFY_INTERVAL": "0",
        }
    )
    assert settings.base_url == "https://gpsoc.example.org"
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "mail.example.org",
        2525,
        False,
    )
    assert settings.webhooks_allow_loopback and settings.notify_interval == 0
    assert isinstance(transport_for(settings), SmtpTransport)
    assert isinstance(transport_for(defaults), EmlTransport)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("GPSOC_SMTP_PORT", "0"),
        ("GPSOC_SMTP_PORT", "smtp"),
        ("GPSOC_SMTP_STARTTLS", "perhaps"),
        ("GPSOC_WEBHOOKS_ALLOW_LOOPBACK", "2"),
        ("GPSOC_BASE_URL", "gpsoc.example.org"),
        ("GPSOC_MAIL_FROM", "nobody"),
        ("GPSOC_NOTIFY_INTERVAL", "-1"),
    ],
)
def test_unusable_notification_settings_are_refused_with_their_name(name, bad):
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: bad})


def _event(session) -> None:
    write(
        session.connection(),
        [
            Derived(
                EventType.ORDER_SUBMITTED,
                supplier_id(session, "tpp"),
                organisation_id(session, "13T"),
                {"title": "Order C09999-01", "path": "/orders/C09999-01"},
            )
        ],
        object_type="call_off_order",
        object_id="C09999-01",
        actor_role="commissioner",
    )


def _person(session) -> None:
    accounts.create_user(
        session,
        CONSOLE,
        email="ann@example.org",
        name="Ann",
        role=Role.SUPPLIER,
        supplier_id=supplier_id(session, "tpp"),
    )


def test_the_embedded_default_writes_eml_files_and_a_retry_replaces_its_own(
    db, session_factory, tmp_path
):
    _person(db)
    _event(db)
    db.commit()
    folder = Path(tmp_path) / "mail"
    notifier = Notifier(session_factory, EmlTransport(folder), "http://localhost:8000", "a@b.c")
    assert notifier.run_round().sent == 1
    files = list(folder.glob("*.eml"))
    assert len(files) == 1
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["Subject"] == "Order C09999-01 has been placed with you"
    EmlTransport(folder).send(message)  # type: ignore[arg-type]
    assert list(folder.glob("*.eml")) == files


def test_a_serving_process_thread_sends_what_is_due(committed_app):
    engine = committed_app.extensions["gpsoc_db"].engine
    sessions = make_session_factory(engine)
    notifier: Notifier = committed_app.extensions[EXTENSION]
    assert not notifier.running  # not built to serve: no thread behind the tests' backs
    with smtp_server() as (inbox, port):
        notifier.transport = SmtpTransport("127.0.0.1", port, starttls=False)
        with sessions.begin() as session:
            _person(session)
            _event(session)
        notifier.start(0.05)
        try:
            assert len(inbox.wait_for(1)) == 1
        finally:
            notifier.stop()
        assert not notifier.running


def test_readyz_reports_the_lag_and_stays_ready(client, db):
    stuck = utcnow() - timedelta(hours=2)
    db.execute(
        insert(table_of(NotificationEvent)),
        [
            {
                "type": "order.submitted",
                "occurred_at": stuck,
                "object_type": "call_off_order",
                "object_id": "C1",
                "data": {},
            }
        ],
    )
    db.commit()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    lag = body["checks"]["notifications"]
    assert lag.startswith("1 events to fan out, 0 deliveries due, the oldest 7")
