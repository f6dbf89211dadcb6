"""Suppliers' roadmaps: capabilities a listing plans to gain, with a target date.

A practice whose system is not at Level 2 needs to know whether its supplier plans a Level 2
version (shared/seeds, "System change and choice"). The supplier keeps the entries; the
authority reviews them like any other change to a published listing, and an entry the supplier
calls delivered becomes an accreditation only when the authority grants the capability
(then `accredited_on` records the day).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum
from .capability import Capability

if TYPE_CHECKING:
    from .item import CatalogueItem


class RoadmapStatus(StrEnum):
    PLANNED = "planned"
    IN_ACCREDITATION = "in_accreditation"
    DELIVERED = "delivered"


class RoadmapEntry(Base):
    __tablename__ = "roadmap_entry"
    __table_args__ = (UniqueConstraint("item_id", "capability_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="CASCADE"), index=True
    )
    capability_id: Mapped[int] = mapped_column(ForeignKey("capability.id", ondelete="RESTRICT"))
    target_date: Mapped[date]
    status: Mapped[RoadmapStatus] = mapped_column(
        str_enum(RoadmapStatus, "roadmap_status"), default=RoadmapStatus.PLANNED
    )
    note: Mapped[str] = mapped_column(Text, default="")
    # Set when the authority grants the capability: the plan became an accreditation.
    accredited_on: Mapped[date | None]

    item: Mapped[CatalogueItem] = relationship(back_populates="roadmap")
    capability: Mapped[Capability] = relationship(lazy="joined")
