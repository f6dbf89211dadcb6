"""Fixtures for the catalogue tests: empty, migrated SQLite file databases of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
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


@pytest.fixture
def make_database(tmp_path: Path) -> Iterator[Callable[[str], sessionmaker[Session]]]:
    """Returns a function that makes a new, empty, migrated database and its session factory."""
    engines: list[Engine] = []

    def make(name: str = "catalogue") -> sessionmaker[Session]:
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
        engines.append(engine)
        with engine.begin() as connection:
            upgrade_to_head(connection)
        return make_session_factory(engine)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def session_factory(make_database) -> sessionmaker[Session]:
    return make_database("catalogue")


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
