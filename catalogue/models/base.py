"""Declarative base with one naming convention, and the column types the domain shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY_SCALE = 4  # money is held to a ten-thousandth of a pound (per-patient prices need it)
_MONEY_FACTOR = Decimal(10) ** MONEY_SCALE


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for bulk inserts (declarative types `__table__` as any FromClause)."""
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount of money stored as an integer count of ten-thousandths of a pound.

    SQLite has no exact decimal type (its NUMERIC is a float), so a scaled integer is the one
    representation that is exact, comparable and summable on both SQLite and PostgreSQL.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * _MONEY_FACTOR
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {MONEY_SCALE} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-MONEY_SCALE)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: a VARCHAR with a CHECK constraint holding the values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
