"""Frameworks and their lots."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import FrameworkStatus, Funding


class Framework(Base):
    __tablename__ = "framework"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint("max_term_months > 0", name="max_term_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FrameworkStatus] = mapped_column(
        str_enum(FrameworkStatus, "framework_status"), default=FrameworkStatus.COMING
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    continuity_end_date: Mapped[date | None]
    max_term_months: Mapped[int]
    funding_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    lots: Mapped[list[Lot]] = relationship(
        back_populates="framework", order_by="Lot.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Lot(Base):
    __tablename__ = "lot"
    __table_args__ = (
        UniqueConstraint("framework_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="RESTRICT"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    default_funding: Mapped[Funding] = mapped_column(str_enum(Funding, "lot_funding"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    framework: Mapped[Framework] = relationship(back_populates="lots")

    __mapper_args__ = {"version_id_col": version}
