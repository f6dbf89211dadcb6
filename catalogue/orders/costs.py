"""The cost estimate of an order: the business case.

One-off and recurring costs for every year of the term, split central / local, per recipient
and in total. Every amount is an exact Decimal from `catalogue.pricing` (a yearly price over a
part year is pro rata by months / 12); callers round only to present.

A migration order adds, per recipient, the previous system kept during the 3 months of
bedding-in after go-live (at its usual funding: the licence stays central), and after
bedding-in the chosen audit-trail option, paid locally to the previous supplier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Conflict
from catalogue.funding import FundingDecision
from catalogue.models import (
    AuditTrailOption,
    CallOffItem,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CatalogueItem,
    Funding,
    Organisation,
    Price,
    PricePeriod,
)
from catalogue.orders.dates import add_months, whole_months_between
from catalogue.orders.migration import BEDDING_IN_MONTHS, audit_trail_sources, order_migration_dates
from catalogue.orders.terms import terms_of
from catalogue.pricing import ZERO, PriceTerms, default_quantity_for, price_cost

MONTHS_PER_YEAR = 12


class LineKind(StrEnum):
    ITEM = "item"  # an item of the order
    BEDDING_IN = "bedding_in"  # the previous system, kept during bedding-in
    AUDIT_TRAIL = "audit_trail"  # the audit-trail option, after bedding-in


@dataclass(frozen=True)
class YearSpan:
    year: int
    start: date
    end: date  # inclusive
    months: int
    first_month: int  # months from commencement to the start of this year


@dataclass
class Split:
    central: Decimal = ZERO
    local: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.central + self.local

    def add(self, funding: Funding | None, amount: Decimal) -> None:
        # An unfunded line costs nothing, so it changes neither side.
        if funding is Funding.CENTRAL:
            self.central += amount
        elif funding is Funding.LOCAL:
            self.local += amount

    def merge(self, other: Split) -> None:
        self.central += other.central
        self.local += other.local


@dataclass
class YearSummary:
    year: int
    one_off: Split = field(default_factory=Split)
    recurring: Split = field(default_factory=Split)

    @property
    def total(self) -> Decimal:
        return self.one_off.total + self.recurring.total


@dataclass
class Summary:
    years: list[YearSummary]
    one_off: Split = field(default_factory=Split)
    recurring: Split = field(default_factory=Split)

    @classmethod
    def empty(cls, spans: Sequence[YearSpan]) -> Summary:
        return cls(years=[YearSummary(span.year) for span in spans])

    @property
    def central(self) -> Decimal:
        return self.one_off.central + self.recurring.central

    @property
    def local(self) -> Decimal:
        return self.one_off.local + self.recurring.local

    @property
    def total(self) -> Decimal:
        return self.central + self.local

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


@dataclass(frozen=True)
class Estimate:
    call_off_id: str
    commencement_date: date
    term_months: int
    years: list[YearSpan]
    recipients: list[RecipientEstimate]
    totals: Summary


def year_spans(commencement: date, term_months: int) -> list[YearSpan]:
    spans = []
    for index, first in enumerate(range(0, term_months, MONTHS_PER_YEAR)):
        months = min(MONTHS_PER_YEAR, term_months - first)
        start = add_months(commencement, first)
        end = add_months(commencement, first + months) - timedelta(days=1)
        spans.append(YearSpan(index + 1, start, end, months, first))
    return spans


class _Calculator:
    """Costs one price over a window of months of the term, memoised: a hundred practices
    with the same quantities cost the same, and the estimate is computed on every request."""

    def __init__(self, spans: Sequence[YearSpan], term_months: int):
        self.spans = spans
        self.term_months = term_months
        self._costs: dict[tuple, tuple[Decimal, int, Decimal, tuple[Decimal, ...]]] = {}
        self._terms: dict[tuple[int, int], PriceTerms] = {}
        self._lines: dict[tuple, CostLine] = {}

    def terms(self, item: CatalogueItem, price: Price) -> PriceTerms:
        """A catalogue price's current terms (the previous supplier's, for a migration)."""
        key = (item.id, price.id)
        if key not in self._terms:
            self._terms[key] = PriceTerms.from_price(item, price)
        return self._terms[key]

    def cost(
        self, price: PriceTerms, quantity: int, start: int, end: int
    ) -> tuple[Decimal, int, Decimal, tuple[Decimal, ...]]:
        """(one-off, year of the one-off, annual rate, recurring per year) for months
        [start, end) of the term. `price` objects live as long as the estimate: keyed by
        identity (an order line's terms have no catalogue price id once it is deleted)."""
        key = (id(price), quantity, start, end)
        cached = self._costs.get(key)
        if cached is not None:
            return cached
        start = min(max(start, 0), self.term_months - 1)
        end = min(end, self.term_months)
        one_off_year = start // MONTHS_PER_YEAR + 1
        if price.period is PricePeriod.ONE_OFF:
            one_off = price_cost(price, quantity, 1).one_off
            result = (one_off, one_off_year, ZERO, tuple(ZERO for _ in self.spans))
        else:
            per_year = []
            rate = ZERO
            for span in self.spans:
                overlap = min(span.first_month + span.months, end) - max(span.first_month, start)
                if overlap > 0:
                    cost = price_cost(price, quantity, overlap)
                    per_year.append(cost.recurring_total)
                    rate = cost.recurring_per_year
                else:
                    per_year.append(ZERO)
            result = (ZERO, one_off_year, rate, tuple(per_year))
        self._costs[key] = result
        return result

    def line(
        self,
        kind: LineKind,
        item: CatalogueItem,
        price: PriceTerms,
        quantity: int,
        window: tuple[int, int],
        decision: FundingDecision,
    ) -> CostLine:
        """One cost line; lines that come out the same for many recipients are one object."""
        # Object identities, not ids: no ORM attribute access on this hot path.
        key = (kind, id(item), id(price), quantity, window, decision)
        cached = self._lines.get(key)
        if cached is not None:
            return cached
        one_off, one_off_year, rate, per_year = self.cost(price, quantity, *window)
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
            one_off=one_off,
            one_off_year=one_off_year,
            recurring_per_year=rate,
            per_year=per_year,
        )
        self._lines[key] = line
        return line


_AFTER_BEDDING_IN = FundingDecision(
    Funding.LOCAL,
    "After the 3 months of bedding-in the previous system is no longer centrally funded; the "
    "commissioner pays the previous supplier.",
)


# kind, item, terms, a fixed quantity (None: the practice's default), months window, funding
_PlannedLine = tuple[
    LineKind, CatalogueItem, PriceTerms, int | None, tuple[int, int], FundingDecision
]


def _migration_lines(
    session: Session, order: CallOffOrder, calculator: _Calculator, commencement: date, term: int
) -> list[_PlannedLine]:
    """The previous supplier's lines, with a quantity rule (a callable of the practice)."""
    previous = order.previous_system
    if previous is None:
        return []
    dates = order_migration_dates(order)
    go_live = dates.go_live if dates else commencement
    go_live_month = min(whole_months_between(commencement, go_live), term)
    bedding_in = (go_live_month, go_live_month + BEDDING_IN_MONTHS)
    after = (go_live_month + BEDDING_IN_MONTHS, term)
    planned: list[_PlannedLine] = []
    for price in previous.prices:
        if price.period is PricePeriod.ONE_OFF or bedding_in[0] >= term:
            continue
        terms = calculator.terms(previous, price)
        decision = FundingDecision(
            terms.funding,
            f"Bedding-in: the previous system is kept for up to {BEDDING_IN_MONTHS} months after "
            f"go-live at its usual funding. {terms.funding_reason}",
        )
        planned.append((LineKind.BEDDING_IN, previous, terms, None, bedding_in, decision))
    option = order.audit_trail_option
    if option is None or after[0] >= term:
        return planned
    source = audit_trail_sources(session, previous)[option]
    if not source.available:
        return planned
    item = cast(CatalogueItem, source.item)  # an available source has its item
    fixed = order.audit_trail_quantity or 1
    for price in source.prices:
        quantity = None if option is AuditTrailOption.FULL_SUPPORT else fixed
        terms = calculator.terms(item, price)
        planned.append((LineKind.AUDIT_TRAIL, item, terms, quantity, after, _AFTER_BEDDING_IN))
    return planned


# order item id, catalogue item, the terms it was ordered at, their funding
_OrderedLine = tuple[int, CatalogueItem, PriceTerms, FundingDecision]


def _ordered_quantities(session: Session, order: CallOffOrder) -> dict[int, dict[int, int]]:
    """Each order item's quantity for each practice, by order item id, then practice id."""
    # Recipients and quantities as plain rows: a hundred practices' worth of ORM objects would
    # cost more than the arithmetic.
    quantities: dict[int, dict[int, int]] = {item.id: {} for item in order.items}
    for item_id, organisation_id, quantity in session.execute(
        select(CallOffQuantity.item_id, CallOffQuantity.organisation_id, CallOffQuantity.quantity)
        .join(CallOffItem, CallOffItem.id == CallOffQuantity.item_id)
        .where(CallOffItem.order_id == order.id)
    ):
        quantities[item_id][organisation_id] = quantity
    return quantities


def _practice_lines(
    calculator: _Calculator,
    ordered: Sequence[_OrderedLine],
    migration: Sequence[_PlannedLine],
    quantities: Mapping[int, Mapping[int, int]],
    practice_id: int,
    list_size: int,
    term: int,
) -> list[CostLine]:
    """One practice's cost lines: what is ordered for it, then the migration's."""
    lines = []
    for order_item_id, catalogue_item, price, decision in ordered:
        ordered_quantity = quantities[order_item_id].get(practice_id)
        if ordered_quantity is not None:
            lines.append(
                calculator.line(
                    LineKind.ITEM, catalogue_item, price, ordered_quantity, (0, term), decision
                )
            )
    for kind, catalogue_item, price, fixed, window, decision in migration:
        quantity = fixed if fixed is not None else default_quantity_for(price.unit, list_size)
        lines.append(calculator.line(kind, catalogue_item, price, quantity, window, decision))
    return lines


def estimate_order(session: Session, order: CallOffOrder) -> Estimate:
    if order.commencement_date is None or order.term_months is None:
        raise Conflict(
            "The estimate needs the commencement date and the term.",
            {
                name: ["Required for the estimate."]
                for name in ("commencement_date", "term_months")
                if getattr(order, name) is None
            },
        )
    term = order.term_months
    spans = year_spans(order.commencement_date, term)
    calculator = _Calculator(spans, term)
    migration = _migration_lines(session, order, calculator, order.commencement_date, term)
    quantities = _ordered_quantities(session, order)
    practices = session.execute(
        select(Organisation.id, Organisation.ods_code, Organisation.name, Organisation.list_size)
        .join(CallOffRecipient, CallOffRecipient.organisation_id == Organisation.id)
        .where(CallOffRecipient.order_id == order.id)
        .order_by(CallOffRecipient.id)
    ).all()
    # Each line at the terms it was ordered at, not the catalogue's current price.
    ordered: list[_OrderedLine] = []
    for item in order.items:
        terms = terms_of(item)
        decision = FundingDecision(terms.funding, terms.funding_reason)
        ordered.append((item.id, item.catalogue_item, terms, decision))
    totals = Summary.empty(spans)
    # Practices with the same lines have the same summary: compute it once (never mutated).
    summaries: dict[tuple[int, ...], Summary] = {}
    recipients = []
    for practice_id, ods_code, name, list_size in practices:
        # A practice always has a list size (a check constraint).
        lines = _practice_lines(
            calculator, ordered, migration, quantities, practice_id, cast(int, list_size), term
        )
        key = tuple(id(line) for line in lines)
        summary = summaries.get(key)
        if summary is None:
            summary = summaries[key] = Summary.empty(spans)
            for line in lines:
                summary.add(line)
        totals.merge(summary)
        recipients.append(RecipientEstimate(ods_code, name, list_size or 0, lines, summary))
    return Estimate(order.call_off_id, order.commencement_date, term, spans, recipients, totals)
