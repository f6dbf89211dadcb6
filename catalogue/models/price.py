"""Prices of catalogue items. A flat price is one open-ended tier starting at 1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Money, str_enum
from .enums import ChargeType, Funding, PricePeriod, PriceUnit, TierCalculation

if TYPE_CHECKING:
    from .item import CatalogueItem


class Price(Base):
    __tablename__ = "price"
    __table_args__ = (
        CheckConstraint("currency = 'GBP'", name="currency_gbp"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_dates"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    unit: Mapped[PriceUnit] = mapped_column(str_enum(PriceUnit, "price_unit"))
    period: Mapped[PricePeriod] = mapped_column(str_enum(PricePeriod, "price_period"))
    tier_calculation: Mapped[TierCalculation] = mapped_column(
        str_enum(TierCalculation, "tier_calculation"), default=TierCalculation.VOLUME
    )
    # What the price charges for, as the supplier states it: with the lot and the item's
    # infrastructure class it decides who pays (catalogue.funding).
    charge_type: Mapped[ChargeType] = mapped_column(str_enum(ChargeType, "charge_type"))
    # Where the price states its own funding; otherwise the lot's default applies.
    funding: Mapped[Funding | None] = mapped_column(str_enum(Funding, "price_funding"))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    # True where the figure is made up for illustration rather than taken from a public source.
    illustrative: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(500), default="")

    item: Mapped[CatalogueItem] = relationship(back_populates="prices")
    tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="price", order_by="PriceTier.lower_bound", cascade="all, delete-orphan"
    )

    @property
    def is_flat(self) -> bool:
        return (
            len(self.tiers) == 1
            and self.tiers[0].lower_bound == 1
            and (self.tiers[0].upper_bound is None)
        )

    @property
    def flat_amount(self) -> Decimal | None:
        return self.tiers[0].amount if self.is_flat else None


class PriceTier(Base):
    __tablename__ = "price_tier"
    __table_args__ = (
        UniqueConstraint("price_id", "lower_bound"),
        CheckConstraint("lower_bound >= 1", name="lower_bound_positive"),
        CheckConstraint("upper_bound IS NULL OR upper_bound >= lower_bound", name="bounds_ordered"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    price_id: Mapped[int] = mapped_column(ForeignKey("price.id", ondelete="CASCADE"), index=True)
    lower_bound: Mapped[int]
    upper_bound: Mapped[int | None]  # None: open-ended (only the last tier)
    amount: Mapped[Decimal] = mapped_column(Money)

    price: Mapped[Price] = relationship(back_populates="tiers")
