"""Per-app search state: the engine, its drain lock, the after-commit drain and readiness."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from api import database
from api.common.readiness import add_readiness_check
from catalogue.config import Settings
from catalogue.db import writer_engine
from catalogue.outbox import take_committed
from search import DrainReport, SearchEngine, drain_outbox, make_drain_lock, make_search_engine
from search.locking import DrainLock

log = logging.getLogger(__name__)

EXTENSION = "gpsoc_search"


@dataclass
class SearchState:
    engine: SearchEngine
    lock: DrainLock


def init_app(app: Flask, settings: Settings) -> None:
    db = app.extensions[database.EXTENSION]
    engine = make_search_engine(settings)
    app.extensions[EXTENSION] = SearchState(
        engine, make_drain_lock(engine, db.engine, settings.data_dir)
    )
    add_readiness_check(app, "search", lambda: state(app).engine.check())
    app.after_request(_drain_after_commit)


def state(app: Flask | None = None) -> SearchState:
    return (app or current_app).extensions[EXTENSION]


def _read_session() -> Session:
    return database.state().session_factory()


def _write_session() -> Session:
    current = database.state()
    if current.session_factory.kw.get("bind") is current.engine:
        return current.session_factory(bind=writer_engine(current.engine))
    return current.session_factory()  # bound elsewhere (a test's connection): keep that


def drain_now() -> DrainReport:
    """Index the outbox's pending changes now (in this request, after its commit)."""
    current = state()
    return drain_outbox(current.engine, current.lock, _read_session, _write_session)


def _drain_after_commit(response: Response) -> Response:
    session = g.get("db_session")
    if session is not None and take_committed(session):
        try:
            drain_now()
        except Exception:  # the change is committed; the outbox keeps it for the next drain
            log.exception("draining the search outbox failed")
    return response
