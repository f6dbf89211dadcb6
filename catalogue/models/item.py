"""Catalogue items (systems, modules, services) and their accreditations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, str_enum, utcnow
from .capability import Capability
from .enums import (
    Hosting,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
    ItemStatus,
    ServiceCategory,
)
from .framework import Lot
from .price import Price
from .roadmap import RoadmapEntry
from .supplier import Supplier

item_capability = Table(
    "item_capability",
    Base.metadata,
    Column("item_id", ForeignKey("catalogue_item.id", ondelete="CASCADE"), primary_key=True),
    Column("capability_id", ForeignKey("capability.id", ondelete="RESTRICT"), primary_key=True),
    Index("ix_item_capability_capability_id", "capability_id", "item_id"),
)


class CatalogueItem(Base):
    __tablename__ = "catalogue_item"
    __table_args__ = (
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint("maturity_level >= 0", name="maturity_level_non_negative"),
        CheckConstraint("kind = 'service' OR category IS NULL", name="category_only_on_services"),
        CheckConstraint("kind <> 'system' OR parent_id IS NULL", name="system_has_no_parent"),
        CheckConstraint(
            "(infrastructure_category IS NULL) = (infrastructure_class IS NULL)",
            name="infrastructure_category_with_class",
        ),
        # Name order within a status, so a page can be read in order without sorting every
        # match (kind is carried along so that checking it needs no table read).
        Index("ix_catalogue_item_listing", "status", "name", "id", "kind"),
        # Covers the listing filters and the name, so counting the matches and sorting them
        # by name need no table reads.
        Index(
            "ix_catalogue_item_filters",
            "kind",
            "status",
            "lot_id",
            "maturity_level",
            "category",
            "hosting",
            "supplier_id",
            "name",
            "capability_bits",
        ),
        # Services are filtered by category first: its own short index.
        Index("ix_catalogue_item_category", "kind", "status", "category", "name"),
        Index("ix_catalogue_item_supplier", "supplier_id", "status"),
        Index("ix_catalogue_item_lot", "lot_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind, "item_kind"))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="RESTRICT"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    # The principal system a module or service belongs to, where it belongs to one.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="RESTRICT"), index=True
    )
    category: Mapped[ServiceCategory | None] = mapped_column(
        str_enum(ServiceCategory, "service_category")
    )
    rfa_version: Mapped[str | None] = mapped_column(String(32))
    # Where the item is part of a practice's IT infrastructure: the specification's heading
    # and its class (core: the commissioner funds it; additional: the practice, unless the
    # commissioner agrees). Both or neither (catalogue.infrastructure keeps them in step).
    infrastructure_category: Mapped[InfrastructureCategory | None] = mapped_column(
        str_enum(InfrastructureCategory, "infrastructure_category")
    )
    infrastructure_class: Mapped[InfrastructureClass | None] = mapped_column(
        str_enum(InfrastructureClass, "infrastructure_class")
    )
    hosting: Mapped[Hosting] = mapped_column(str_enum(Hosting, "hosting"))
    status: Mapped[ItemStatus] = mapped_column(
        str_enum(ItemStatus, "item_status"), default=ItemStatus.DRAFT
    )
    # Derived from the accredited capabilities by catalogue.maturity; kept here so that
    # listings can filter and sort on it in SQL. Never set from input.
    maturity_level: Mapped[int] = mapped_column(default=0)
    # Also derived from the accredited capabilities (see catalogue.maturity.capability_bits):
    # bit n set when the item holds the capability of id n (ids below 63), so that listings
    # filter on capabilities inside the covering index instead of probing item_capability.
    capability_bits: Mapped[int] = mapped_column(BigInteger, default=0)
    accredited_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the authority last sent a submission back to draft; cleared on the next submission.
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    supplier: Mapped[Supplier] = relationship()
    lot: Mapped[Lot] = relationship()
    parent: Mapped[CatalogueItem | None] = relationship(remote_side=[id])
    capabilities: Mapped[list[Capability]] = relationship(
        secondary=item_capability, order_by=Capability.code
    )
    prices: Mapped[list[Price]] = relationship(
        back_populates="item", order_by="Price.id", cascade="all, delete-orphan"
    )
    roadmap: Mapped[list[RoadmapEntry]] = relationship(
        back_populates="item",
        order_by=(RoadmapEntry.target_date, RoadmapEntry.id),
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def capability_codes(self) -> set[str]:
        return {capability.code for capability in self.capabilities}
