"""One database session per request, opened on first use and closed at teardown."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g
from sqlalchemy import Engine, event
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
    """The request's session, bound so that on SQLite its transaction takes the write lock.

    Authentication may already have opened a reading session on this request; it holds nothing
    but a read snapshot, so it is closed and replaced. (Upgrading a read transaction to a write
    fails at once on SQLite when another writer got there first, instead of waiting its turn.)
    """
    if g.get("db_session_writes"):
        return g.db_session
    reading = g.pop("db_session", None)
    if reading is not None:
        reading.close()
    current = state()
    if current.session_factory.kw.get("bind") is current.engine:
        session = current.session_factory(bind=writer_engine(current.engine))
        # Once the write has committed, what follows (loading what the response shows) only
        # reads: it must not take the write lock again and hold it to the end of the request.
        event.listen(session, "after_commit", _read_from_now_on(current.engine))
    else:  # bound elsewhere (a test's connection): keep that binding
        session = current.session_factory()
    g.db_session = session
    g.db_session_writes = True
    return session


def _read_from_now_on(engine: Engine) -> Callable[[Session], None]:
    def rebind(session: Session) -> None:
        # after_commit also fires when a SAVEPOINT is released; only the outer commit counts.
        if session.get_nested_transaction() is None:
            session.bind = engine

    return rebind


def _close_session(_exc: BaseException | None) -> None:
    g.pop("db_session_writes", None)
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back anything not committed
