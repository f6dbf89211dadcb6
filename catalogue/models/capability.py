"""Capabilities an item can be accredited for, and the maturity levels they define."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

maturity_level_capability = Table(
    "maturity_level_capability",
    Base.metadata,
    Column(
        "maturity_level_id",
        ForeignKey("maturity_level.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("capability_id", ForeignKey("capability.id", ondelete="RESTRICT"), primary_key=True),
)


class Capability(Base):
    __tablename__ = "capability"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # e.g. "interoperability", "clinical", "patient_online": the selection process scores
    # interoperability from the capabilities in that category.
    category: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class MaturityLevel(Base):
    """A rung of GPSoC's ladder. Reaching level N needs the capabilities of every level <= N."""

    __tablename__ = "maturity_level"
    __table_args__ = (CheckConstraint("level > 0", name="level_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    required_capabilities: Mapped[list[Capability]] = relationship(
        secondary=maturity_level_capability, order_by=Capability.code
    )

    __mapper_args__ = {"version_id_col": version}
