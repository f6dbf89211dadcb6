"""Shared fixtures.

One migrated, seeded database per test session. Each test runs inside a transaction on one
connection that is rolled back afterwards; the app's sessions join it through savepoints, so a
commit in a request is real to the test yet leaves nothing behind. Tests that need real,
separate commits (races) use `committed_app`, which gets a database of its own.
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
from api.database import EXTENSION as DATABASE
from tests.databases import fresh_database


@pytest.fixture(scope="session")
def engine(tmp_path_factory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("db")) as engine:
        yield engine


@pytest.fixture(scope="session")
def app(engine: Engine, tmp_path_factory) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_ENGINE": engine,
            "GPSOC_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        }
    )


@pytest.fixture
def connection(engine: Engine, app: Flask) -> Iterator[Connection]:
    connection = engine.connect()
    transaction = connection.begin()
    state = app.extensions[DATABASE]
    default_factory = state.session_factory
    state.session_factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield connection
    finally:
        state.session_factory = default_factory
        transaction.rollback()
        connection.close()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session inside the test's transaction, for arranging and checking rows."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()


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
