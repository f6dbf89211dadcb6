"""Commissioners (PCT, CCG, ICB) and the practices they commission for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .enums import OrganisationKind

if TYPE_CHECKING:
    from .item import CatalogueItem


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "kind <> 'practice' OR (list_size IS NOT NULL AND commissioner_id IS NOT NULL)",
            name="practice_has_list_and_commissioner",
        ),
        CheckConstraint(
            "kind <> 'commissioner' OR (list_size IS NULL AND commissioner_id IS NULL"
            " AND current_system_id IS NULL)",
            name="commissioner_fields",
        ),
        CheckConstraint("list_size IS NULL OR list_size >= 0", name="list_size_non_negative"),
        CheckConstraint(
            "current_level IS NULL OR (current_level >= 1 AND current_system_id IS NOT NULL)",
            name="current_level_of_a_system",
        ),
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
    current_system_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="SET NULL")
    )
    # The maturity level the practice runs its system at, where below the system's own: a
    # practice moves up the ladder when it is ready (upgrades in place). Null: the system's.
    current_level: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    commissioner: Mapped[Organisation | None] = relationship(remote_side=[id])
    current_system: Mapped[CatalogueItem | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def running_level(self) -> int | None:
        """The level the practice runs at: its recorded level, never above its system's."""
        if self.current_system is None:
            return None
        return self.level_run(self.current_level, self.current_system.maturity_level)

    @staticmethod
    def level_run(recorded: int | None, system_level: int) -> int:
        """The level a practice runs at, from its recorded level and its system's."""
        return system_level if recorded is None else min(recorded, system_level)
