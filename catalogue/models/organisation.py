"""Commissioners (PCT, CCG, ICB) and the practices they commission for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import OrganisationKind

if TYPE_CHECKING:
    from .estate import PracticeEstate


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "kind <> 'practice' OR (list_size IS NOT NULL AND commissioner_id IS NOT NULL)",
            name="practice_has_list_and_commissioner",
        ),
        CheckConstraint(
            "kind <> 'commissioner' OR (list_size IS NULL AND commissioner_id IS NULL)",
            name="commissioner_fields",
        ),
        CheckConstraint("list_size IS NULL OR list_size >= 0", name="list_size_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "organisation_kind"))
    ods_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # For commissioners: PCT, CCG or ICB.
    commissioner_type: Mapped[str | None] = mapped_column(String(8))
    postcode: Mapped[str | None] = mapped_column(String(10))
    commissioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    list_size: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    commissioner: Mapped[Organisation | None] = relationship(remote_side=[id])
    # What a practice runs: read it through catalogue.estate.runs_now, change it only through
    # catalogue.estate (recorded events).
    estate: Mapped[PracticeEstate | None] = relationship(
        cascade="all, delete-orphan", single_parent=True
    )

    __mapper_args__ = {"version_id_col": version}

    @staticmethod
    def level_run(recorded: int | None, system_level: int) -> int:
        """The level a practice runs at, from its recorded level and its system's (never above
        the system's own)."""
        return system_level if recorded is None else min(recorded, system_level)
