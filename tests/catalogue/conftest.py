"""Fixtures for the catalogue tests: SQLite file databases of their own.

Migrating (and seeding) once per session and copying the file for each test keeps the tests
fast while every test still gets a real, private, migrated database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import make_engine, make_session_factory
from catalogue.migrate import upgrade_to_head
from catalogue.models import Base

# The tables the seed writes, in dependency order.
SEED_TABLES = (
    "framework",
    "lot",
    "capability",
    "maturity_level",
    "maturity_level_capability",
    "supplier",
    "catalogue_item",
    "item_capability",
    "price",
    "price_tier",
    "organisation",
)


def _close(engine: Engine) -> None:
    # Fold the write-ahead log into the main file so that copying the file copies everything.
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory) -> dict[str, Path]:
    """An empty migrated database file and a seeded one, made once per session."""
    from catalogue.seeding import seed_catalogue

    directory = tmp_path_factory.mktemp("catalogue-templates")
    empty, seeded = directory / "empty.sqlite3", directory / "seeded.sqlite3"
    engine = make_engine(f"sqlite:///{empty}")
    with engine.begin() as connection:
        upgrade_to_head(connection)
    _close(engine)
    shutil.copy(empty, seeded)
    engine = make_engine(f"sqlite:///{seeded}")
    with make_session_factory(engine).begin() as session:
        seed_catalogue(session)
    _close(engine)
    return {"empty": empty, "seeded": seeded}


@pytest.fixture
def make_database(
    tmp_path: Path, database_templates: dict[str, Path]
) -> Iterator[Callable[..., sessionmaker[Session]]]:
    """make_database(name, seeded=False): a new migrated database file and its sessions."""
    engines: list[Engine] = []

    def make(name: str = "catalogue", *, seeded: bool = False) -> sessionmaker[Session]:
        path = tmp_path / f"{name}.sqlite3"
        shutil.copy(database_templates["seeded" if seeded else "empty"], path)
        engine = make_engine(f"sqlite:///{path}")
        engines.append(engine)
        return make_session_factory(engine)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def session_factory(make_database) -> sessionmaker[Session]:
    """Sessions on an empty, migrated database."""
    return make_database("catalogue")


@pytest.fixture
def seeded(make_database) -> sessionmaker[Session]:
    """Sessions on a migrated database holding the seed catalogue."""
    return make_database("seeded", seeded=True)


def _dump(session: Session, *, skip_columns: frozenset[str] = frozenset()) -> dict[str, list]:
    tables = Base.metadata.tables
    result = {}
    for name in SEED_TABLES:
        table = tables[name]
        columns = [column for column in table.columns if column.name not in skip_columns]
        rows = session.execute(select(*columns).order_by(*table.primary_key.columns))
        result[name] = [tuple(row) for row in rows]
    return result


@pytest.fixture
def dump() -> Callable[..., dict[str, list]]:
    """dump(session, skip_columns=...): every row of the seeded tables, in primary-key order."""
    return _dump
