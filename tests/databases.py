"""Test databases: a SQLite file by default, or an isolated schema on the PostgreSQL server
named by DATABASE_URL, so that concurrent runs never see each other's rows; and the
rolled-back transaction each test runs in (see tests/conftest.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import upgrade_to_head


def server_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    return url if url and url.startswith("postgresql") else None


@contextmanager
def fresh_database(directory: Path, seed: bool = True, migrate: bool = True) -> Iterator[Engine]:
    """A migrated (and seeded) database that is dropped afterwards; its URL is `engine.url`."""
    base = server_url()
    schema = None
    if base is None:
        url = f"sqlite:///{directory / f'test-{uuid.uuid4().hex[:8]}.sqlite3'}"
    else:
        schema = f"test_{uuid.uuid4().hex[:12]}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        if migrate:
            with engine.begin() as connection:
                upgrade_to_head(connection)
        if seed and migrate:
            from catalogue.seeding import seed_catalogue

            with make_session_factory(engine).begin() as session:
                seed_catalogue(session)
        yield engine
    finally:
        engine.dispose()
        if schema is not None:
            admin = make_engine(base)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back at the end, whatever was committed
    by the sessions that joined it."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


def joining_sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions that join the connection's transaction: each begins a savepoint, and its commit
    releases the savepoint instead of committing."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
