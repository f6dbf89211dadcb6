"""Whole-life cost: the one function that turns an item's prices into money for a practice.

Everything that shows a cost (compare, selections, orders, the business case) calls this module,
so a price means the same thing everywhere.

Rounding: amounts are exact Decimals throughout. A yearly price over a term that is not a
whole number of years is pro rata (amount x months / 12), computed in a Decimal context of
34 significant digits, far beyond a penny. Nothing is rounded here; callers round only to
present, to 2 places with ROUND_HALF_UP (`to_pennies`). A total is therefore the exact sum of
its lines, and may differ by a penny from the sum of the lines as rounded for display.

The core works on plain data (`PriceTerms`, `Tier`) so that it is fast, can be run over a
locked selection's snapshot, and never touches the database; `whole_life_cost` adapts the
ORM rows to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Protocol

from .errors import InvalidInput
from .funding import funding_for
from .models import (
    CatalogueItem,
    Funding,
    Organisation,
    Price,
    PricePeriod,
    PriceUnit,
    TierCalculation,
)

ZERO = Decimal(0)
PENNY = Decimal("0.01")
MONTHS_PER_YEAR = 12
_EXACT = Context(prec=34)


def to_pennies(amount: Decimal) -> Decimal:
    """Round for presentation: 2 places, halves away from zero."""
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def validate_tiers(bounds: Sequence[tuple[int, int | None]]) -> None:
    """Raise ValueError unless the (lower, upper) bounds start at 1, are contiguous and the
    last (and only the last) is open-ended (upper None)."""
    if not bounds:
        raise ValueError("a price needs at least one tier")
    expected = 1
    for position, (lower, upper) in enumerate(bounds, start=1):
        last = position == len(bounds)
        if lower != expected:
            if position == 1:
                raise ValueError(f"tiers must start at 1, not {lower}")
            raise ValueError(f"tier {position} must start at {expected} (contiguous), not {lower}")
        if upper is None:
            if not last:
                raise ValueError(f"only the last tier may be open-ended, not tier {position}")
            return
        if last:
            raise ValueError(f"the last tier must be open-ended (upper_bound null), not {upper}")
        if upper < lower:
            raise ValueError(f"tier {position} ends ({upper}) before it starts ({lower})")
        expected = upper + 1


# Read-only members, so that both the ORM rows and the frozen dataclasses below satisfy them.
class TierLike(Protocol):
    @property
    def lower_bound(self) -> int: ...
    @property
    def upper_bound(self) -> int | None: ...
    @property
    def amount(self) -> Decimal: ...


class PriceLike(Protocol):
    @property
    def tier_calculation(self) -> TierCalculation: ...
    @property
    def unit(self) -> PriceUnit: ...
    @property
    def period(self) -> PricePeriod: ...
    @property
    def tiers(self) -> Sequence[TierLike]: ...


@dataclass(frozen=True)
class Tier:
    lower_bound: int
    upper_bound: int | None
    amount: Decimal


@dataclass(frozen=True)
class PriceTerms:
    """A price as plain data, with its funding decided: what a snapshot freezes."""

    price_id: int
    name: str
    unit: PriceUnit
    period: PricePeriod
    tier_calculation: TierCalculation
    tiers: tuple[Tier, ...]
    funding: Funding | None
    funding_reason: str
    effective_from: date
    effective_to: date | None = None

    @classmethod
    def from_price(cls, item: CatalogueItem, price: Price) -> PriceTerms:
        decision = funding_for(item, price)
        return cls(
            price_id=price.id,
            name=price.name,
            unit=price.unit,
            period=price.period,
            tier_calculation=price.tier_calculation,
            tiers=tuple(Tier(t.lower_bound, t.upper_bound, t.amount) for t in price.tiers),
            funding=decision.funding,
            funding_reason=decision.reason,
            effective_from=price.effective_from,
            effective_to=price.effective_to,
        )

    def effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "price_id": self.price_id,
            "name": self.name,
            "unit": self.unit.value,
            "period": self.period.value,
            "tier_calculation": self.tier_calculation.value,
            "tiers": [
                {
                    "lower_bound": t.lower_bound,
                    "upper_bound": t.upper_bound,
                    "amount": str(t.amount),
                }
                for t in self.tiers
            ],
            "funding": self.funding.value if self.funding else None,
            "funding_reason": self.funding_reason,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceTerms:
        return cls(
            price_id=data["price_id"],
            name=data["name"],
            unit=PriceUnit(data["unit"]),
            period=PricePeriod(data["period"]),
            tier_calculation=TierCalculation(data["tier_calculation"]),
            tiers=tuple(
                Tier(t["lower_bound"], t["upper_bound"], Decimal(t["amount"]))
                for t in data["tiers"]
            ),
            funding=Funding(data["funding"]) if data["funding"] else None,
            funding_reason=data["funding_reason"],
            effective_from=date.fromisoformat(data["effective_from"]),
            effective_to=date.fromisoformat(data["effective_to"]) if data["effective_to"] else None,
        )


def price_terms(item: CatalogueItem) -> list[PriceTerms]:
    return [PriceTerms.from_price(item, price) for price in item.prices]


# ------------------------------------------------------------------------------- one price


def charge_for_units(price: PriceLike, quantity: int) -> Decimal:
    """One charge for `quantity` units by the price's tiers.

    Volume: every unit at the price of the band the quantity reaches.
    Cumulative: the units in each band at that band's own price.
    """
    if quantity < 0:
        raise InvalidInput("A quantity cannot be negative.", {"quantity": ["Must be >= 0."]})
    if quantity == 0:
        return ZERO
    if price.tier_calculation is TierCalculation.CUMULATIVE:
        total = ZERO
        for tier in price.tiers:
            if quantity < tier.lower_bound:
                break
            top = quantity if tier.upper_bound is None else min(quantity, tier.upper_bound)
            total += tier.amount * (top - tier.lower_bound + 1)
        return total
    for tier in price.tiers:
        if tier.lower_bound <= quantity and (
            tier.upper_bound is None or quantity <= tier.upper_bound
        ):
            return tier.amount * quantity
    raise InvalidInput(
        f"No tier of the price covers a quantity of {quantity}.", {"quantity": ["Out of range."]}
    )


def default_quantity_for(unit: PriceUnit, list_size: int) -> int:
    """Per registered patient: the list size; per practice and anything else: 1."""
    return list_size if unit is PriceUnit.PATIENT else 1


def default_quantity(price: PriceLike, practice: Organisation) -> int:
    return default_quantity_for(price.unit, practice.list_size or 0)


@dataclass(frozen=True)
class PriceCost:
    one_off: Decimal
    recurring_per_year: Decimal
    recurring_total: Decimal

    @property
    def total(self) -> Decimal:
        return self.one_off + self.recurring_total


def _check_term(term_months: int) -> None:
    if term_months < 1:
        raise InvalidInput(
            "The term must be at least one month.", {"term_months": ["Must be >= 1."]}
        )


def price_cost(price: PriceLike, quantity: int, term_months: int) -> PriceCost:
    """The cost of one price over a term: a one-off charge once; a monthly charge every month of
    the term; a yearly charge pro rata by months / 12."""
    _check_term(term_months)
    charge = charge_for_units(price, quantity)
    if price.period is PricePeriod.ONE_OFF:
        return PriceCost(one_off=charge, recurring_per_year=ZERO, recurring_total=ZERO)
    if price.period is PricePeriod.MONTH:
        return PriceCost(ZERO, charge * MONTHS_PER_YEAR, charge * term_months)
    pro_rata = _EXACT.divide(charge * term_months, Decimal(MONTHS_PER_YEAR))
    return PriceCost(ZERO, charge, pro_rata)


# ------------------------------------------------------------------------------ whole life


@dataclass(frozen=True)
class CostLine:
    price_id: int
    price_name: str
    unit: PriceUnit
    period: PricePeriod
    quantity: int
    funding: Funding | None
    funding_reason: str
    one_off: Decimal
    recurring_per_year: Decimal
    recurring_total: Decimal

    @property
    def total(self) -> Decimal:
        return self.one_off + self.recurring_total


@dataclass(frozen=True)
class WholeLifeCost:
    term_months: int
    lines: list[CostLine] = field(default_factory=list)

    @property
    def one_off(self) -> Decimal:
        return sum((line.one_off for line in self.lines), ZERO)

    @property
    def recurring_per_year(self) -> Decimal:
        return sum((line.recurring_per_year for line in self.lines), ZERO)

    @property
    def recurring(self) -> Decimal:
        """Recurring charges over the whole term."""
        return sum((line.recurring_total for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.one_off + self.recurring

    def _funded(self, funding: Funding) -> Decimal:
        return sum((line.total for line in self.lines if line.funding is funding), ZERO)

    @property
    def central(self) -> Decimal:
        return self._funded(Funding.CENTRAL)

    @property
    def commissioner(self) -> Decimal:
        return self._funded(Funding.COMMISSIONER)

    @property
    def practice(self) -> Decimal:
        return self._funded(Funding.PRACTICE)

    @property
    def local(self) -> Decimal:
        """What is not central: the commissioner's and the practice's (the one "local" figure
        of before schema revision 0010, kept for its readers)."""
        return self.commissioner + self.practice


def whole_life_cost_of(
    terms: Iterable[PriceTerms],
    list_size: int,
    term_months: int,
    quantities: Mapping[int, int] | None = None,
    on: date | None = None,
) -> WholeLifeCost:
    """The whole-life cost of a set of prices (one item's) for a practice of `list_size`
    patients over `term_months`, using the prices effective on `on` (default today).

    `quantities` overrides the default quantity of a price by its id (users, days...)."""
    _check_term(term_months)
    day = on or date.today()
    quantities = quantities or {}
    lines = []
    for price in terms:
        if not price.effective_on(day):
            continue
        quantity = quantities.get(price.price_id, default_quantity_for(price.unit, list_size))
        cost = price_cost(price, quantity, term_months)
        lines.append(
            CostLine(
                price_id=price.price_id,
                price_name=price.name,
                unit=price.unit,
                period=price.period,
                quantity=quantity,
                funding=price.funding,
                funding_reason=price.funding_reason,
                one_off=cost.one_off,
                recurring_per_year=cost.recurring_per_year,
                recurring_total=cost.recurring_total,
            )
        )
    return WholeLifeCost(term_months=term_months, lines=lines)


def whole_life_cost(
    item: CatalogueItem,
    practice: Organisation,
    term_months: int,
    quantities: Mapping[int, int] | None = None,
    on: date | None = None,
) -> WholeLifeCost:
    """The whole-life cost of a catalogue item for a practice over a term (see the module
    docstring for rounding). Funding of each line comes from `catalogue.funding`."""
    return whole_life_cost_of(
        price_terms(item), practice.list_size or 0, term_months, quantities, on
    )


def cost_report(cost: WholeLifeCost) -> dict[str, Any]:
    """The cost as plain values rounded to pennies, for responses and exports."""
    return {
        "term_months": cost.term_months,
        "one_off": to_pennies(cost.one_off),
        "recurring_per_year": to_pennies(cost.recurring_per_year),
        "recurring": to_pennies(cost.recurring),
        "total": to_pennies(cost.total),
        "central": to_pennies(cost.central),
        "commissioner": to_pennies(cost.commissioner),
        "practice": to_pennies(cost.practice),
        "local": to_pennies(cost.local),
        "lines": [
            {
                "price_id": line.price_id,
                "price_name": line.price_name,
                "unit": line.unit.value,
                "period": line.period.value,
                "quantity": line.quantity,
                "funding": line.funding.value if line.funding else None,
                "funding_reason": line.funding_reason,
                "one_off": to_pennies(line.one_off),
                "recurring_per_year": to_pennies(line.recurring_per_year),
                "recurring_total": to_pennies(line.recurring_total),
                "total": to_pennies(line.total),
            }
            for line in cost.lines
        ],
    }
