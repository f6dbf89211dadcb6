"""Anchors the audit chain automatically (catalogue.audit.record_anchor): every serving process
appends the chain's head, when it has moved, to the anchor file (GPSOC_DATA_DIR's
audit-anchors.jsonl) every GPSOC_AUDIT_ANCHOR_INTERVAL seconds (60; 0: never), so that events
older than that cannot be deleted unnoticed. `GET /audit-events/verify` checks the newest
stored anchor when it is given none."""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path

from flask import Flask, current_app

from catalogue import audit
from service import database

log = logging.getLogger(__name__)

ANCHOR_FILE = "audit-anchors.jsonl"
FILE_CONFIG = "GPSOC_AUDIT_ANCHOR_FILE"


def anchor_file(app: Flask | None = None) -> Path:
    config = (app or current_app).config
    return Path(config.get(FILE_CONFIG) or config["GPSOC_SETTINGS"].data_dir / ANCHOR_FILE)


def anchor_key(app: Flask | None = None) -> str | None:
    config = (app or current_app).config
    key: str | None = config.get("GPSOC_AUDIT_ANCHOR_KEY")
    configured = config["GPSOC_SETTINGS"].audit_anchor_key
    return key or (configured.get_secret_value() if configured else None)


def anchor_now(app: Flask) -> audit.ChainAnchor | None:
    """One anchor, if the head moved since the last: what the timer does each interval."""
    with app.extensions[database.EXTENSION].session_factory() as session:
        return audit.record_anchor(session, anchor_key(app), anchor_file(app))


def start(app: Flask, interval: float) -> threading.Event:
    """Anchor every `interval` seconds in a daemon thread (a greenlet under gevent) until the
    process exits; returns the event that stops it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                anchor_now(app)
            except Exception:  # the database or the disk is away: try again next time
                log.exception("audit anchor failed")

    threading.Thread(target=run, name="audit-anchor", daemon=True).start()
    atexit.register(stop.set)
    return stop


def init_app(app: Flask, interval: float) -> None:
    if interval > 0 and app.config.get("GPSOC_SERVING"):
        start(app, interval)
