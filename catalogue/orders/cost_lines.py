"""The arithmetic of a cost estimate: the years of the term, the three payers' split, cost lines
and the calculator that prices a line over a period.

Pro-rating to the day: a recurring charge over a period is its monthly rate (a yearly price /
12) times the period's length in months, counted exactly (`catalogue.orders.dates.months_in`):
whole calendar months by corresponding dates, then the days left over as a fraction of that
month's length in days (so a day of February 2028 is 1/29 of a month). Each year of the term
is counted on its own. Amounts are Decimals computed to 34 significant digits, never floats;
callers round only to present (to the penny, halves up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from enum import StrEnum
from functools import cached_property

from catalogue.funding import FundingDecision
from catalogue.models import (
    CatalogueItem,
    Funding,
    Price,
    PricePeriod,
)
from catalogue.orders.dates import ONE_DAY, months_in, period_end
from catalogue.pricing import ZERO, PriceTerms, charge_for_units

MONTHS_PER_YEAR = 12
_EXACT = Context(prec=34)


class LineKind(StrEnum):
    ITEM = "item"  # an item of the order
    PREVIOUS_SYSTEM = "previous_system"  # the previous system, until business go-live
    BEDDING_IN = "bedding_in"  # the previous system, kept during bedding-in
    NOTICE = "notice"  # the previous system, after bedding-in to the end of the notice
    AUDIT_TRAIL = "audit_trail"  # the audit-trail option, after the previous service ends
    BASELINE = "baseline"  # keeping the current system (the baseline, not the order)


@dataclass(frozen=True)
class YearSpan:
    year: int
    start: date
    end: date  # inclusive
    months: int


@dataclass
class Split:
    """An amount split between the three payers. Every amount is added to exactly one of them
    (an unfunded line costs nothing), so the total is their exact sum."""

    central: Decimal = ZERO
    commissioner: Decimal = ZERO
    practice: Decimal = ZERO

    @property
    def local(self) -> Decimal:
        """What is not central (the one "local" figure before the three payers)."""
        return self.commissioner + self.practice

    @property
    def total(self) -> Decimal:
        return self.central + self.commissioner + self.practice

    def add(self, funding: Funding | None, amount: Decimal) -> None:
        # An unfunded line costs nothing, so it changes no payer's part.
        if funding is Funding.CENTRAL:
            self.central += amount
        elif funding is Funding.COMMISSIONER:
            self.commissioner += amount
        elif funding is Funding.PRACTICE:
            self.practice += amount

    def merge(self, other: Split) -> None:
        self.central += other.central
        self.commissioner += other.commissioner
        self.practice += other.practice

    def minus(self, other: Split) -> Split:
        return Split(
            self.central - other.central,
            self.commissioner - other.commissioner,
            self.practice - other.practice,
        )

    def plus(self, other: Split) -> Split:
        return Split(
            self.central + other.central,
            self.commissioner + other.commissioner,
            self.practice + other.practice,
        )


class _OneOffAndRecurring:
    """What a year's or a term's costs say per payer, one-off and recurring together."""

    one_off: Split
    recurring: Split

    @property
    def whole(self) -> Split:
        return self.one_off.plus(self.recurring)

    @property
    def central(self) -> Decimal:
        return self.whole.central

    @property
    def commissioner(self) -> Decimal:
        return self.whole.commissioner

    @property
    def practice(self) -> Decimal:
        return self.whole.practice

    @property
    def local(self) -> Decimal:
        return self.whole.local

    @property
    def total(self) -> Decimal:
        return self.whole.total


@dataclass
class YearSummary(_OneOffAndRecurring):
    year: int
    one_off: Split = field(default_factory=Split)
    recurring: Split = field(default_factory=Split)


@dataclass
class Summary(_OneOffAndRecurring):
    years: list[YearSummary]
    one_off: Split = field(default_factory=Split)
    recurring: Split = field(default_factory=Split)

    @classmethod
    def empty(cls, spans: Sequence[YearSpan]) -> Summary:
        return cls(years=[YearSummary(span.year) for span in spans])

    def add(self, line: CostLine) -> None:
        self.one_off.add(line.funding, line.one_off)
        self.recurring.add(line.funding, line.recurring_total)
        for year, amount in zip(self.years, line.per_year, strict=True):
            year.recurring.add(line.funding, amount)
        if line.one_off:
            self.years[line.one_off_year - 1].one_off.add(line.funding, line.one_off)

    def merge(self, other: Summary) -> None:
        self.one_off.merge(other.one_off)
        self.recurring.merge(other.recurring)
        for year, more in zip(self.years, other.years, strict=True):
            year.one_off.merge(more.one_off)
            year.recurring.merge(more.recurring)

    def minus(self, other: Summary) -> Summary:
        """This summary less `other`, year by year: the change from a baseline."""
        return Summary(
            years=[
                YearSummary(
                    mine.year,
                    mine.one_off.minus(theirs.one_off),
                    mine.recurring.minus(theirs.recurring),
                )
                for mine, theirs in zip(self.years, other.years, strict=True)
            ],
            one_off=self.one_off.minus(other.one_off),
            recurring=self.recurring.minus(other.recurring),
        )


@dataclass(frozen=True)
class CostLine:
    kind: LineKind
    catalogue_item_id: int
    item_name: str
    supplier_name: str
    price_id: int | None  # None once the catalogue price is deleted
    price_name: str
    unit: str
    period: str
    quantity: int
    funding: Funding | None
    funding_reason: str
    first_day: date  # the period the line is charged over (inclusive)
    last_day: date
    one_off: Decimal
    one_off_year: int
    recurring_per_year: Decimal  # the full annual rate
    per_year: tuple[Decimal, ...]  # recurring cost falling in each year of the term

    @cached_property
    def recurring_total(self) -> Decimal:
        return sum(self.per_year, ZERO)

    @property
    def total(self) -> Decimal:
        return self.one_off + self.recurring_total


@dataclass(frozen=True)
class RecipientEstimate:
    ods_code: str
    name: str
    list_size: int
    lines: list[CostLine]
    summary: Summary
    current_system: str | None  # what the baseline keeps
    baseline_lines: list[CostLine]
    baseline: Summary

    @property
    def change(self) -> Summary:
        return self.summary.minus(self.baseline)


@dataclass(frozen=True)
class Estimate:
    call_off_id: str
    commencement_date: date
    term_months: int
    years: list[YearSpan]
    recipients: list[RecipientEstimate]
    totals: Summary
    baseline: Summary

    @property
    def change(self) -> Summary:
        return self.totals.minus(self.baseline)


def year_spans(commencement: date, term_months: int) -> list[YearSpan]:
    spans = []
    for index, first in enumerate(range(0, term_months, MONTHS_PER_YEAR)):
        months = min(MONTHS_PER_YEAR, term_months - first)
        start = period_end(commencement, first) + ONE_DAY if first else commencement
        end = period_end(commencement, first + months)
        spans.append(YearSpan(index + 1, start, end, months))
    return spans


def recurring_cost(price: PriceTerms, quantity: int, first: date, last: date) -> Decimal:
    """A recurring price over the days `first`..`last`, pro rata to the day."""
    months = months_in(first, last)
    if not months:
        return ZERO
    charge = charge_for_units(price, quantity)
    if price.period is PricePeriod.MONTH:
        return charge * months
    return _EXACT.divide(charge * months, Decimal(MONTHS_PER_YEAR))


Window = tuple[date, date]  # first and last day, inclusive


class Calculator:
    """Costs one price over a period of the term, memoised: a hundred practices with the same
    quantities and dates cost the same, and the estimate is computed on every request."""

    def __init__(self, spans: Sequence[YearSpan]):
        self.spans = spans
        self.term_start = spans[0].start
        self.term_end = spans[-1].end
        self._costs: dict[tuple, tuple[Decimal, int, Decimal, tuple[Decimal, ...]]] = {}
        self._terms: dict[tuple[int, int], PriceTerms] = {}
        self._lines: dict[tuple, CostLine] = {}

    def terms(self, item: CatalogueItem, price: Price) -> PriceTerms:
        """A catalogue price's current terms (the previous supplier's, for a migration)."""
        key = (item.id, price.id)
        if key not in self._terms:
            self._terms[key] = PriceTerms.from_price(item, price)
        return self._terms[key]

    def year_of(self, day: date) -> int:
        for span in self.spans:
            if day <= span.end:
                return span.year
        return self.spans[-1].year

    def cost(
        self, price: PriceTerms, quantity: int, window: Window
    ) -> tuple[Decimal, int, Decimal, tuple[Decimal, ...]]:
        """(one-off, year of the one-off, annual rate, recurring per year) over `window`.
        `price` objects live as long as the estimate: keyed by identity (an order line's
        terms have no catalogue price id once it is deleted)."""
        key = (id(price), quantity, window)
        cached = self._costs.get(key)
        if cached is not None:
            return cached
        first, last = max(window[0], self.term_start), min(window[1], self.term_end)
        one_off_year = self.year_of(min(first, self.term_end))
        if price.period is PricePeriod.ONE_OFF:
            one_off = charge_for_units(price, quantity) if first <= last else ZERO
            result = (one_off, one_off_year, ZERO, tuple(ZERO for _ in self.spans))
        else:
            charge = charge_for_units(price, quantity)
            rate = charge * MONTHS_PER_YEAR if price.period is PricePeriod.MONTH else charge
            per_year = tuple(
                recurring_cost(price, quantity, max(first, span.start), min(last, span.end))
                for span in self.spans
            )
            result = (ZERO, one_off_year, rate, per_year)
        self._costs[key] = result
        return result

    def line(
        self,
        kind: LineKind,
        item: CatalogueItem,
        price: PriceTerms,
        quantity: int,
        window: Window,
        decision: FundingDecision,
    ) -> CostLine:
        """One cost line; lines that come out the same for many recipients are one object."""
        # Object identities, not ids: no ORM attribute access on this hot path.
        key = (kind, id(item), id(price), quantity, window, decision)
        cached = self._lines.get(key)
        if cached is not None:
            return cached
        one_off, one_off_year, rate, per_year = self.cost(price, quantity, window)
        line = CostLine(
            kind=kind,
            catalogue_item_id=item.id,
            item_name=item.name,
            supplier_name=item.supplier.name,
            price_id=price.price_id,
            price_name=price.name,
            unit=price.unit.value,
            period=price.period.value,
            quantity=quantity,
            funding=decision.funding,
            funding_reason=decision.reason,
            first_day=max(window[0], self.term_start),
            last_day=min(window[1], self.term_end),
            one_off=one_off,
            one_off_year=one_off_year,
            recurring_per_year=rate,
            per_year=per_year,
        )
        self._lines[key] = line
        return line
