"""Sending notifications: emails from templates (SMTP or .eml files), signed webhooks, and the
notifier that sends the outbox (a thread per serving process, and `gpsoc notify-worker`)."""

from __future__ import annotations

import atexit

from flask import Flask
from sqlalchemy.orm import Session

from catalogue.config import Settings
from catalogue.db import writer_engine
from service import database
from service.readiness import ReadyNote, add_readiness_check

from .email import EmlTransport, SmtpTransport, compose
from .webhooks import body_of, deliver, signed_headers
from .worker import Notifier, RoundReport, backlog_now, transport_for

EXTENSION = "gpsoc_notifier"
SERVING = "GPSOC_SERVING"  # as service.search: the app is built to serve

__all__ = [
    "EXTENSION",
    "EmlTransport",
    "Notifier",
    "RoundReport",
    "SmtpTransport",
    "body_of",
    "compose",
    "deliver",
    "init_app",
    "signed_headers",
    "transport_for",
]


def init_app(app: Flask, settings: Settings) -> None:
    """The app's notifier; its thread runs only in a serving process (GPSOC_SERVING) with
    GPSOC_NOTIFY_INTERVAL above 0. /readyz reports the lag but stays ready whatever it is: a
    mail server that is down must not take the catalogue out of service."""

    def write_session() -> Session:
        current = app.extensions[database.EXTENSION]
        if current.session_factory.kw.get("bind") is current.engine:
            return current.session_factory(bind=writer_engine(current.engine))
        return current.session_factory()

    notifier = Notifier.from_settings(settings, write_session)
    app.extensions[EXTENSION] = notifier
    add_readiness_check(app, "notifications", lambda: _lag(app))
    if settings.notify_interval > 0 and app.config.get(SERVING):
        notifier.start(settings.notify_interval)
        atexit.register(notifier.stop, 5.0)


def _lag(app: Flask) -> str:
    backlog = backlog_now(app.extensions[database.EXTENSION].session_factory)
    return ReadyNote(
        f"{backlog.events} events to fan out, {backlog.deliveries} deliveries due, "
        f"the oldest {backlog.oldest_age:.1f}s old"
    )
