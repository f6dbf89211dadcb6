"""Call-off orders: a commissioner buying from one supplier for its practices.

An order is one revision of a call-off (`C000014-01`); an amendment is a new row with the same
number and the next revision, so every revision stays readable.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, str_enum, utcnow
from .enums import Funding, PricePeriod, PriceUnit, TierCalculation
from .framework import Framework
from .item import CatalogueItem
from .organisation import Organisation
from .price import Price
from .supplier import Supplier


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    LIVE = "live"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    TERMINATED = "terminated"


class AuditTrailOption(StrEnum):
    """How a migrating practice keeps access to the previous system's audit trail, in falling
    order of cost (GPSoC "System change and choice")."""

    FULL_SUPPORT = "full_support"
    SINGLE_USER_RETENTION = "single_user_retention"
    AUDIT_TRAIL_RETRIEVAL = "audit_trail_retrieval"


class CallOffCounter(Base):
    """One row holding the last call-off number given out. Writers lock it, so two orders
    never get the same number (the unique constraint on the order backs this up)."""

    __tablename__ = "call_off_counter"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    last_number: Mapped[int] = mapped_column(default=0)


class CallOffOrder(Base):
    __tablename__ = "call_off_order"
    __table_args__ = (
        UniqueConstraint("number", "revision"),
        # A retried POST finds the first order by this pair; the constraint makes it race-safe.
        UniqueConstraint("commissioner_id", "idempotency_key"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("revision > 0", name="revision_positive"),
        CheckConstraint("term_months IS NULL OR term_months > 0", name="term_positive"),
        CheckConstraint("version > 0", name="version_positive"),
        Index("ix_call_off_order_commissioner", "commissioner_id", "id"),
        Index("ix_call_off_order_supplier", "supplier_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    revision: Mapped[int] = mapped_column(default=1)
    call_off_id: Mapped[str] = mapped_column(String(16), unique=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="RESTRICT"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="RESTRICT"))
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "order_status"), default=OrderStatus.DRAFT
    )
    description: Mapped[str] = mapped_column(String(500), default="")
    commencement_date: Mapped[date | None]
    term_months: Mapped[int | None]
    # The selection the order was made from (its table belongs to the selections change).
    selection_id: Mapped[int | None]
    # The revision this one amends.
    amends_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_off_order.id", ondelete="RESTRICT")
    )

    go_live_date: Mapped[date | None]  # business go-live, recorded on the live transition
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The business case as it stood when the order was submitted (catalogue.orders.frozen):
    # what was decided on, read back unchanged whatever happens to the estate or the prices.
    business_case: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    commissioner: Mapped[Organisation] = relationship()
    supplier: Mapped[Supplier] = relationship()
    framework: Mapped[Framework] = relationship()
    amends: Mapped[CallOffOrder | None] = relationship(remote_side=[id])
    recipients: Mapped[list[CallOffRecipient]] = relationship(
        back_populates="order", order_by="CallOffRecipient.id", cascade="all, delete-orphan"
    )
    items: Mapped[list[CallOffItem]] = relationship(
        back_populates="order", order_by="CallOffItem.id", cascade="all, delete-orphan"
    )
    migrations: Mapped[list[CallOffMigration]] = relationship(
        back_populates="order", order_by="CallOffMigration.id", cascade="all, delete-orphan"
    )
    upgrades: Mapped[list[CallOffUpgrade]] = relationship(
        back_populates="order", order_by="CallOffUpgrade.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_migration(self) -> bool:
        return bool(self.migrations)


class CallOffMigration(Base):
    """One recipient of an order changing system: from the system it runs (its previous
    system, with its supplier) to the order's, under the GPSoC migration rules.

    The previous supplier is given notice and sees this row (and nothing else of the order);
    the commissioner may extend the old service's end (which asks for a new acknowledgement);
    the previous supplier acknowledges the notice as it stands."""

    __tablename__ = "call_off_migration"
    __table_args__ = (
        UniqueConstraint("order_id", "organisation_id"),
        CheckConstraint(
            "audit_trail_quantity IS NULL OR audit_trail_quantity > 0",
            name="audit_trail_quantity_positive",
        ),
        CheckConstraint("version > 0", name="version_positive"),
        Index("ix_call_off_migration_previous_system", "previous_system_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("call_off_order.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    previous_system_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="RESTRICT")
    )
    planned_go_live: Mapped[date | None]
    audit_trail_option: Mapped[AuditTrailOption | None] = mapped_column(
        str_enum(AuditTrailOption, "audit_trail_option")
    )
    # Users kept on single-user retention, or retrieval requests expected; default 1.
    audit_trail_quantity: Mapped[int | None]
    # The day notice is given to the previous supplier (by default business go-live).
    notice_given_on: Mapped[date | None]
    # The last day of the previous service when the commissioner extended the notice period
    # (null: the end of bedding-in), and why.
    service_end: Mapped[date | None]
    service_end_reason: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    # The practice's agreement to the planned go-live (seed 002: "the PCT, practice and
    # supplier will need to agree a planned date"): the date it agreed, who and when. It stands
    # while the planned date is the one agreed.
    go_live_agreed_on: Mapped[date | None]
    go_live_agreed_by: Mapped[str | None] = mapped_column(String(64))
    go_live_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    order: Mapped[CallOffOrder] = relationship(back_populates="migrations")
    organisation: Mapped[Organisation] = relationship()
    previous_system: Mapped[CatalogueItem] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def notice_key(self) -> str:
        """How the notice is addressed: `C000014-01/A81001`."""
        return f"{self.order.call_off_id}/{self.organisation.ods_code}"


class CallOffUpgrade(Base):
    """One recipient keeping its system and moving up the maturity ladder: the order buys the
    level increments from the level it runs at to `to_level`, and no migration is involved.
    Going live records the new level on the practice."""

    __tablename__ = "call_off_upgrade"
    __table_args__ = (
        UniqueConstraint("order_id", "organisation_id"),
        CheckConstraint("to_level > from_level", name="upgrade_goes_up"),
        CheckConstraint("from_level >= 0", name="from_level_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("call_off_order.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    # The system the practice runs and keeps.
    system_id: Mapped[int] = mapped_column(ForeignKey("catalogue_item.id", ondelete="RESTRICT"))
    from_level: Mapped[int]
    to_level: Mapped[int]

    order: Mapped[CallOffOrder] = relationship(back_populates="upgrades")
    organisation: Mapped[Organisation] = relationship()
    system: Mapped[CatalogueItem] = relationship()


class CallOffRecipient(Base):
    """A practice the order is for (a service recipient)."""

    __tablename__ = "call_off_recipient"
    __table_args__ = (UniqueConstraint("order_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("call_off_order.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))

    order: Mapped[CallOffOrder] = relationship(back_populates="recipients")
    organisation: Mapped[Organisation] = relationship()


class CallOffItem(Base):
    """A catalogue item ordered at one of its prices.

    The price's terms are copied onto the line when it is ordered (from a locked selection's
    snapshot when the order is made from one), and the order is costed from that copy: a later
    change to the catalogue price does not rewrite an order already placed. `price_id` stays as
    a reference to the catalogue price, and becomes null if the supplier later deletes it.
    """

    __tablename__ = "call_off_item"
    __table_args__ = (UniqueConstraint("order_id", "price_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("call_off_order.id", ondelete="CASCADE"))
    catalogue_item_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="RESTRICT")
    )
    price_id: Mapped[int | None] = mapped_column(ForeignKey("price.id", ondelete="SET NULL"))

    # The price's terms as ordered (see catalogue.orders.terms).
    price_name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[PriceUnit] = mapped_column(str_enum(PriceUnit, "price_unit"))
    period: Mapped[PricePeriod] = mapped_column(str_enum(PricePeriod, "price_period"))
    tier_calculation: Mapped[TierCalculation] = mapped_column(
        str_enum(TierCalculation, "tier_calculation")
    )
    # [{lower_bound, upper_bound, amount}], amounts as decimal strings.
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    funding: Mapped[Funding | None] = mapped_column(str_enum(Funding, "price_funding"))
    funding_reason: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    # The commissioner's agreement to fund a line of additional IT (catalogue.orders.agreements):
    # who agreed, when, and why in their words. Null: no agreement, the practice pays.
    funding_agreed_by: Mapped[str | None] = mapped_column(String(200))
    funding_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    funding_agreement_reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[CallOffOrder] = relationship(back_populates="items")
    catalogue_item: Mapped[CatalogueItem] = relationship()
    price: Mapped[Price | None] = relationship()
    quantities: Mapped[list[CallOffQuantity]] = relationship(
        back_populates="item",
        order_by="CallOffQuantity.organisation_id",
        cascade="all, delete-orphan",
    )
    # The practices' side of the agreement to fund additional IT, one row per practice.
    practice_agreements: Mapped[list[PracticeFundingAgreement]] = relationship(
        back_populates="line",
        order_by="PracticeFundingAgreement.practice_id",
        cascade="all, delete-orphan",
    )


class PracticeFundingAgreement(Base):
    """A practice's agreement that the commissioner funds a line of additional IT for it
    (catalogue.orders.agreements): the line moves to the commissioner, for this practice, only
    when the commissioner has agreed too."""

    __tablename__ = "practice_funding_agreement"
    __table_args__ = (UniqueConstraint("line_id", "practice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("call_off_item.id", ondelete="CASCADE"))
    practice_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    agreed_by: Mapped[str] = mapped_column(String(200))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    line: Mapped[CallOffItem] = relationship(back_populates="practice_agreements")
    practice: Mapped[Organisation] = relationship()


class CallOffQuantity(Base):
    """How many units of an ordered item one recipient gets."""

    __tablename__ = "call_off_quantity"
    # 0: the line is not for this recipient (a line can be for some practices only).
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_non_negative"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("call_off_item.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True
    )
    quantity: Mapped[int]

    item: Mapped[CallOffItem] = relationship(back_populates="quantities")
