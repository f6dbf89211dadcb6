"""A practice's estate: the one record of what it runs (catalogue.estate reads and changes it).

- `PracticeEstate`: the principal system a practice runs now and the level it runs it at (one
  row per practice that has a system recorded);
- `EstateLine`: the call-off lines (contracts) it runs under, from go-live to the end of the
  order's term, ended early by a termination or by the next system's go-live;
- `EstateChange`: the history, one row per recorded event (seeding, the authority's record, a
  migration's or an upgrade's go-live, a line's end), with the order that caused it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, str_enum, utcnow
from .item import CatalogueItem


class EstateEvent(StrEnum):
    SEEDED = "seeded"  # from the seed data
    RECORDED = "recorded"  # the framework authority's record (a correction)
    MIGRATION = "migration"  # a migration's business go-live: a new system
    UPGRADE = "upgrade"  # an upgrade's business go-live: a new level
    LINE_STARTED = "line_started"  # an order's go-live: a call-off line starts
    LINE_ENDED = "line_ended"  # a line ends before its term (completion, termination, a move)


class PracticeEstate(Base):
    __tablename__ = "practice_estate"
    __table_args__ = (
        CheckConstraint("level IS NULL OR level >= 1", name="level_positive"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    system_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id", ondelete="RESTRICT"))
    # The level the practice runs its system at, where recorded (below the system's own while
    # it has not moved up: GPSoC does not make a practice climb before it is ready). Null: the
    # system's own level.
    level: Mapped[int | None]
    since: Mapped[date | None]  # the go-live it dates from (null: before the records)
    # The order whose go-live set it (null: seeded or recorded by the authority).
    call_off_id: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(default=1)

    system: Mapped[CatalogueItem] = relationship()

    __mapper_args__ = {"version_id_col": version}


class EstateLine(Base):
    __tablename__ = "estate_line"
    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="ends_after_start",
        ),
        Index("ix_estate_line_practice", "organisation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    # The principal system the line is for (null: an order of add-ons only, e.g. a kiosk).
    system_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="RESTRICT")
    )
    # The order (null: the contract the practice had before the records, from the seed).
    call_off_id: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(500), default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]  # the end of the term, or earlier when ended
    ended_reason: Mapped[str | None] = mapped_column(Text)

    system: Mapped[CatalogueItem | None] = relationship()


class EstateChange(Base):
    __tablename__ = "estate_change"
    __table_args__ = (Index("ix_estate_change_practice", "organisation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    event: Mapped[EstateEvent] = mapped_column(str_enum(EstateEvent, "estate_event"))
    effective_on: Mapped[date | None]
    system_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="SET NULL")
    )
    level: Mapped[int | None]
    previous_system_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="SET NULL")
    )
    previous_level: Mapped[int | None]
    call_off_id: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    system: Mapped[CatalogueItem | None] = relationship(foreign_keys=[system_id])
    previous_system: Mapped[CatalogueItem | None] = relationship(foreign_keys=[previous_system_id])
