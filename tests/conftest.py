"""Shared fixtures, and the one database-isolation scheme of the suite.

One migrated, seeded database per test session (`engine`), and one migrated, empty one
(`empty_engine`) for the tests of seeding itself. Each test runs inside a transaction on one
connection that is rolled back afterwards; the app's sessions and every session a test opens
(`db`, `session_factory`, `empty_session_factory`) join it through savepoints, so a commit is
real to the test yet leaves nothing behind.

The exceptions get a database of their own (`tests.databases.fresh_database`), dropped after
the test, because something in them must really commit or change the schema:
- `committed_app`: races between requests on several threads, and the failed-login throttle;
- the CLI tests (tests/api/test_cli*.py, tests/functional/test_supplier_journey.py): the
  command opens its own engine from DATABASE_URL;
- tests/catalogue/test_migrations.py: it upgrades and downgrades the schema;
- the synthetic generator's determinism test: it compares the primary keys of two databases
  (PostgreSQL's sequences do not roll back).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from api.auth import EXTENSION as AUTH
from catalogue.db import make_session_factory
from search import reindex
from service.database import EXTENSION as DATABASE
from service.search import EXTENSION as SEARCH
from tests.databases import fresh_database, joining_sessions, rolled_back


@pytest.fixture(scope="session")
def engine(tmp_path_factory) -> Iterator[Engine]:
    """The seeded database."""
    with fresh_database(tmp_path_factory.mktemp("db")) as engine:
        yield engine


@pytest.fixture(scope="session")
def empty_engine(tmp_path_factory) -> Iterator[Engine]:
    """A migrated database holding no rows."""
    with fresh_database(tmp_path_factory.mktemp("empty-db"), seed=False) as engine:
        yield engine


@pytest.fixture(scope="session")
def app(engine: Engine, tmp_path_factory) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_ENGINE": engine,
            "GPSOC_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            # Failures counted in memory, reset by `client` for each test; the default, in the
            # database, is tested on apps of its own (tests/functional/test_tokens_api.py).
            "AUTH_THROTTLE_STORAGE_URI": "memory://",
        }
    )
    # Its search index holds the seed, as `gpsoc seed` leaves a fresh install (with no index,
    # search and /readyz would rightly answer 503); search tests use indexes of their own.
    search = app.extensions[SEARCH]
    sessions = make_session_factory(engine)
    reindex(search.engine, search.lock, sessions, sessions)
    return app


@pytest.fixture
def connection(engine: Engine, app: Flask) -> Iterator[Connection]:
    """The test's transaction on the seeded database; the app's sessions join it."""
    state = app.extensions[DATABASE]
    default_factory = state.session_factory
    with rolled_back(engine) as connection:
        state.session_factory = joining_sessions(connection)
        try:
            yield connection
        finally:
            state.session_factory = default_factory


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction, for arranging and checking rows."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions inside the test's transaction on the seeded database, as the app's and the
    CLI's would be (their commits release a savepoint)."""
    return joining_sessions(connection)


@pytest.fixture
def empty_session_factory(empty_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions inside the test's transaction on the empty database."""
    with rolled_back(empty_engine) as connection:
        yield joining_sessions(connection)


@pytest.fixture
def client(app: Flask, connection: Connection) -> FlaskClient:
    # Each test starts with no failed authentications counted against the test client's
    # address (the throttle itself is tested on an app of its own).
    app.extensions[AUTH].limiter.storage.reset()
    return app.test_client()


@pytest.fixture
def committed_app(tmp_path) -> Iterator[Flask]:
    """An app on a database of its own whose commits are real (for concurrency tests)."""
    with fresh_database(tmp_path) as engine:
        yield create_app(
            {"TESTING": True, "DATABASE_ENGINE": engine, "GPSOC_DATA_DIR": str(tmp_path)}
        )
