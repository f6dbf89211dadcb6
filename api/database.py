"""One database session per request, opened on first use and closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import make_session_factory, writer_engine

EXTENSION = "gpsoc_db"


class DatabaseState:
    def __init__(self, engine: Engine, session_factory: sessionmaker[Session]):
        self.engine = engine
        self.session_factory = session_factory


def init_app(app: Flask, engine: Engine) -> None:
    app.extensions[EXTENSION] = DatabaseState(engine, make_session_factory(engine))
    app.teardown_appcontext(_close_session)


def state() -> DatabaseState:
    return current_app.extensions[EXTENSION]


def get_session() -> Session:
    """The request's session; a request that writes should call writing_session() instead."""
    if "db_session" not in g:
        g.db_session = state().session_factory()
    return g.db_session


def writing_session() -> Session:
    """The request's session, bound so that on SQLite its transaction takes the write lock."""
    if "db_session" not in g:
        current = state()
        if current.session_factory.kw.get("bind") is current.engine:
            g.db_session = current.session_factory(bind=writer_engine(current.engine))
        else:  # bound elsewhere (a test's connection): keep that binding
            g.db_session = current.session_factory()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything not committed
