"""The cost estimate of an order: the business case.

One-off and recurring costs for every year of the term, split between the three payers
(central, commissioner, practice: catalogue.funding), per recipient and in total, against a
baseline of keeping each practice's current system over the same term (its current catalogue
prices, at their funding), with the change per year. An order line of additional IT is the
practice's unless the order records the commissioner's agreement to fund it
(catalogue.orders.agreements), and then the commissioner's.

When each charge runs (periods are inclusive, day by day):

- the term runs from the commencement date for `term_months` calendar months; year 1 is its
  first 12 months, and so on (the last year may be shorter);
- a recipient that does not change system is charged the order's recurring prices from
  commencement to the end of the term;
- a recipient that changes system (see catalogue.orders.migration for its dates) is charged
  the new system's recurring prices from the day after business go-live (planned, then
  recorded) to the end of the term: the day of go-live is the last of the previous
  arrangement, as every period "after go-live" starts the next day (the corresponding-date
  rule). Its previous system is costed as well, so that the business case is whole: at its
  usual funding from commencement through go-live day (under its current call-off) and
  through the 3 months of bedding-in that follow (the licence stays central); then by the
  commissioner to the end of the notice when notice was given late or extended; then the
  chosen audit-trail option, paid by the commissioner to the previous supplier, to the end of
  the term. So with commencement on 1 December 2026 and go-live on 31 January 2027 over 36
  months: the previous system December and January, the new system February 2027 to
  November 2029 (34 months), bedding-in February to April, single-user retention May 2027 to
  November 2029 (31 months: 1150.00 a year is 2970.83);
- a one-off charge falls in the year its period starts (commencement, or the day after
  go-live for a practice changing system; the start of the option for the audit-trail
  retrieval service).

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
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalogue.errors import Conflict
from catalogue.funding import FundingDecision
from catalogue.maturity import paid_at_level
from catalogue.models import (
    AuditTrailOption,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CatalogueItem,
    Funding,
    Organisation,
    Price,
    PricePeriod,
    PriceUnit,
)
from catalogue.orders.dates import ONE_DAY, months_in, period_end
from catalogue.orders.migration import (
    BEDDING_IN_MONTHS,
    OPTION_ORDER,
    AuditTrailSource,
    MigrationDates,
    MigrationTerms,
    audit_trail_sources,
    dates_of,
    migration_dates,
)
from catalogue.orders.terms import funding_of, terms_of
from catalogue.pricing import ZERO, PriceTerms, charge_for_units, default_quantity_for

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


class _Calculator:
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


_UNTIL_GO_LIVE = (
    "Until business go-live the practice runs its previous system under its current call-off, "
    "at its usual funding."
)
_AFTER_BEDDING_IN = FundingDecision(
    Funding.COMMISSIONER,
    "After the 3 months of bedding-in the previous system is no longer centrally funded; the "
    "commissioner pays the previous supplier.",
)
_NOTICE = FundingDecision(
    Funding.COMMISSIONER,
    "After bedding-in, to the end of the notice given to the previous supplier (3 months at "
    "least, or as extended), the commissioner pays for the previous system.",
)

# (kind, item, terms, fixed quantity or None for the practice's default, window, decision)
Planned = tuple[LineKind, CatalogueItem, PriceTerms, int | None, Window, FundingDecision]


def _recurring_prices(system: CatalogueItem) -> list[Price]:
    return [price for price in system.prices if price.period is not PricePeriod.ONE_OFF]


def _option_lines(
    calculator: _Calculator,
    source: AuditTrailSource,
    quantity: int,
    window: Window,
) -> list[Planned]:
    planned: list[Planned] = []
    item = cast(CatalogueItem, source.item)  # an available source has its item
    for price in source.prices:
        fixed = None if source.option is AuditTrailOption.FULL_SUPPORT else quantity
        terms = calculator.terms(item, price)
        planned.append((LineKind.AUDIT_TRAIL, item, terms, fixed, window, _AFTER_BEDDING_IN))
    return planned


def _migration_plan(
    session: Session,
    calculator: _Calculator,
    previous: CatalogueItem,
    migration: MigrationTerms,
    dates: MigrationDates,
) -> list[Planned]:
    """The previous supplier's lines for one practice changing system (`migration` may be a
    plain row of its columns)."""
    planned: list[Planned] = []
    windows = (
        (LineKind.PREVIOUS_SYSTEM, (calculator.term_start, dates.go_live)),
        (LineKind.BEDDING_IN, (dates.go_live + ONE_DAY, dates.bedding_in_end)),
    )
    for price in _recurring_prices(previous):
        terms = calculator.terms(previous, price)
        for kind, window in windows:
            if kind is LineKind.PREVIOUS_SYSTEM:
                reason = f"{_UNTIL_GO_LIVE} {terms.funding_reason}"
            else:
                reason = (
                    f"Bedding-in: the previous system is kept for up to {BEDDING_IN_MONTHS} "
                    f"months after go-live at its usual funding. {terms.funding_reason}"
                )
            planned.append(
                (kind, previous, terms, None, window, FundingDecision(terms.funding, reason))
            )
        if dates.service_end > dates.bedding_in_end:
            window = (dates.bedding_in_end + ONE_DAY, dates.service_end)
            planned.append((LineKind.NOTICE, previous, terms, None, window, _NOTICE))
    option = migration.audit_trail_option
    if option is None:
        return planned
    source = audit_trail_sources(session, previous)[option]
    if source.available:
        window = (dates.option_starts, calculator.term_end)
        planned += _option_lines(calculator, source, migration.audit_trail_quantity or 1, window)
    return [line for line in planned if line[4][0] <= min(line[4][1], calculator.term_end)]


def _check_estimable(order: CallOffOrder) -> tuple[date, int]:
    """The commencement date and the term, which an estimate needs."""
    if order.commencement_date is None or order.term_months is None:
        raise Conflict(
            "The estimate needs the commencement date and the term.",
            {
                name: ["Required for the estimate."]
                for name in ("commencement_date", "term_months")
                if getattr(order, name) is None
            },
        )
    return order.commencement_date, order.term_months


@dataclass(frozen=True)
class OptionCost:
    """An audit-trail option priced for one practice over the rest of the term."""

    source: AuditTrailSource
    cost: Decimal | None  # None when the option or the order's term is not priced yet
    first_day: date | None
    last_day: date | None


def option_costs(
    session: Session,
    order: CallOffOrder,
    migration: CallOffMigration,
    sources: dict[AuditTrailOption, AuditTrailSource] | None = None,
) -> list[OptionCost]:
    """The three audit-trail options for a practice, dearest first by their priced cost from
    the day after the previous service ends to the end of the term (the source's order where
    a cost is unknown, unavailable options last). `sources`: the previous system's, if the
    caller has them already."""
    if sources is None:
        sources = audit_trail_sources(session, migration.previous_system)
    dates = dates_of(order, migration)
    commencement, term = order.commencement_date, order.term_months
    priced = []
    for option in OPTION_ORDER:
        source = sources[option]
        if commencement is None or term is None or dates is None or not source.available:
            priced.append(OptionCost(source, None, None, None))
            continue
        calculator = _Calculator(year_spans(commencement, term))
        window = (dates.option_starts, calculator.term_end)
        cost = ZERO
        list_size = migration.organisation.list_size or 0
        for _kind, item, terms, fixed, span, _decision in _option_lines(
            calculator, source, migration.audit_trail_quantity or 1, window
        ):
            quantity = fixed if fixed is not None else default_quantity_for(terms.unit, list_size)
            line = calculator.line(LineKind.AUDIT_TRAIL, item, terms, quantity, span, _NOTICE)
            cost += line.total if span[0] <= calculator.term_end else ZERO
        priced.append(OptionCost(source, cost, window[0], window[1]))
    rank = {option: index for index, option in enumerate(OPTION_ORDER)}
    return sorted(
        priced,
        key=lambda p: (
            not p.source.available,
            p.cost is None,
            -(p.cost or ZERO),
            rank[p.source.option],
        ),
    )


@dataclass(frozen=True)
class _MigrationRow:
    """A migration's columns, read as a plain row (see MigrationTerms)."""

    organisation_id: int
    previous_system_id: int
    planned_go_live: date | None
    audit_trail_option: AuditTrailOption | None
    audit_trail_quantity: int | None
    notice_given_on: date | None
    service_end: date | None

    @property
    def plan_key(self) -> tuple:
        """What the previous supplier's lines depend on (the order's go-live is shared)."""
        return (
            self.previous_system_id,
            self.planned_go_live,
            self.audit_trail_option,
            self.audit_trail_quantity,
            self.notice_given_on,
            self.service_end,
        )


# order item id, catalogue item, the terms it was ordered at, their funding
_OrderedLine = tuple[int, CatalogueItem, PriceTerms, FundingDecision]
# a practice's lines and summary, and its baseline's
_Costed = tuple[list[CostLine], Summary, list[CostLine], Summary]


def estimate_order(session: Session, order: CallOffOrder) -> Estimate:
    commencement, term = _check_estimable(order)
    practices = _practices(session, order)
    costing = _Costing(session, order, year_spans(commencement, term), practices)
    recipients = [costing.recipient(*practice) for practice in practices]
    return Estimate(
        order.call_off_id,
        commencement,
        term,
        costing.spans,
        recipients,
        costing.totals,
        costing.baseline_totals,
    )


def _practices(session: Session, order: CallOffOrder) -> list[tuple]:
    """(id, ODS code, name, list size, current system id, recorded level) of each recipient, as
    plain rows: a hundred practices' worth of ORM objects would cost more than the arithmetic."""
    return list(
        session.execute(
            select(
                Organisation.id,
                Organisation.ods_code,
                Organisation.name,
                Organisation.list_size,
                Organisation.current_system_id,
                Organisation.current_level,
            )
            .join(CallOffRecipient, CallOffRecipient.organisation_id == Organisation.id)
            .where(CallOffRecipient.order_id == order.id)
            .order_by(CallOffRecipient.id)
        ).all()
    )


def _ordered_quantities(session: Session, order: CallOffOrder) -> dict[int, dict[int, int]]:
    """Each order item's quantity for each practice, by order item id, then practice id."""
    quantities: dict[int, dict[int, int]] = {item.id: {} for item in order.items}
    for item_id, organisation_id, quantity in session.execute(
        select(CallOffQuantity.item_id, CallOffQuantity.organisation_id, CallOffQuantity.quantity)
        .join(CallOffItem, CallOffItem.id == CallOffQuantity.item_id)
        .where(CallOffItem.order_id == order.id)
    ):
        quantities[item_id][organisation_id] = quantity
    return quantities


def _migration_rows(session: Session, order: CallOffOrder) -> dict[int, _MigrationRow]:
    """The order's migrations as plain rows, by practice id."""
    rows = session.execute(
        select(
            CallOffMigration.organisation_id,
            CallOffMigration.previous_system_id,
            CallOffMigration.planned_go_live,
            CallOffMigration.audit_trail_option,
            CallOffMigration.audit_trail_quantity,
            CallOffMigration.notice_given_on,
            CallOffMigration.service_end,
        ).where(CallOffMigration.order_id == order.id)
    )
    return {columns[0]: _MigrationRow(*columns) for columns in rows}


def _ordered_lines(order: CallOffOrder) -> list[_OrderedLine]:
    """Each line at the terms it was ordered at, not the catalogue's current price, paid by
    whom the order says (for additional IT, per practice: see `_Costing.decisions`)."""
    ordered = []
    for item in order.items:
        terms = terms_of(item)
        ordered.append((item.id, item.catalogue_item, terms, funding_of(item)))
    return ordered


def _agreed_lines(order: CallOffOrder) -> dict[int, CallOffItem]:
    """The lines whose payer may differ by practice (additional IT some practice agreed)."""
    return {line.id: line for line in order.items if line.practice_agreements}


class _Costing:
    """One estimate's shared state: what is loaded once, the totals, and the memos that let
    practices alike (same migration plan, quantities and current system) share their lines
    and summaries (never mutated once made)."""

    def __init__(
        self,
        session: Session,
        order: CallOffOrder,
        spans: list[YearSpan],
        practices: Sequence[tuple],
    ) -> None:
        self.session, self.order, self.spans = session, order, spans
        self.calculator = _Calculator(spans)
        self.term_window: Window = (self.calculator.term_start, self.calculator.term_end)
        self.quantities = _ordered_quantities(session, order)
        self.migrations = _migration_rows(session, order)
        self.ordered = _ordered_lines(order)
        self.agreed = _agreed_lines(order)
        current_ids = {row[4] for row in practices}
        previous_ids = {row.previous_system_id for row in self.migrations.values()}
        self.systems = _systems(session, current_ids | previous_ids)
        self.totals = Summary.empty(spans)
        self.baseline_totals = Summary.empty(spans)
        self._plans: dict[tuple, tuple[Window, list[Planned]]] = {}
        self._summaries: dict[tuple[int, ...], Summary] = {}
        self._costed: dict[tuple, _Costed] = {}

    def plan(self, migration: _MigrationRow) -> tuple[Window, list[Planned]]:
        """The window of the new system's charges and the previous supplier's lines."""
        key = migration.plan_key
        if key not in self._plans:
            calculator = self.calculator
            dates = dates_of(self.order, migration) or migration_dates(
                # No go-live date yet: costed as if it went live the day before the term.
                calculator.term_start - ONE_DAY,
                notice_given_on=migration.notice_given_on,
                extended_to=migration.service_end,
            )
            previous = self.systems[migration.previous_system_id]
            self._plans[key] = (
                (dates.go_live + ONE_DAY, calculator.term_end),
                _migration_plan(self.session, calculator, previous, migration, dates),
            )
        return self._plans[key]

    def decisions(self, practice_id: int) -> tuple[FundingDecision, ...]:
        """Who pays each line for this practice: as the line says, but for additional IT the
        commissioner and this practice both agreed the commissioner funds."""
        return tuple(
            funding_of(self.agreed[line_id], practice_id) if line_id in self.agreed else decision
            for line_id, _item, _terms, decision in self.ordered
        )

    def recipient(
        self,
        practice_id: int,
        ods_code: str,
        name: str,
        list_size: int | None,
        current_id: int | None,
        current_level: int | None,
    ) -> RecipientEstimate:
        migration = self.migrations.get(practice_id)
        window, planned = self.plan(migration) if migration else (self.term_window, [])
        current = self.systems.get(current_id) if current_id is not None else None
        quantities = tuple(self.quantities[line[0]].get(practice_id) for line in self.ordered)
        # The list size counts only for a per-patient price of the previous or current system.
        by_patients = any(
            price.unit is PriceUnit.PATIENT
            for _k, _i, price, fixed, _s, _d in planned
            if fixed is None
        ) or (current is not None and any(p.unit is PriceUnit.PATIENT for p in current.prices))
        running = Organisation.level_run(current_level, current.maturity_level) if current else None
        decisions = self.decisions(practice_id)
        alike = (
            migration.plan_key if migration else None,
            current_id,
            running,
            quantities,
            list_size if by_patients else None,
            tuple(decision.funding for decision in decisions),
        )
        if alike not in self._costed:
            self._costed[alike] = self._cost(
                window, planned, quantities, list_size or 0, current, running, decisions
            )
        lines, summary, baseline_lines, baseline = self._costed[alike]
        self.totals.merge(summary)
        self.baseline_totals.merge(baseline)
        return RecipientEstimate(
            ods_code,
            name,
            list_size or 0,
            lines,
            summary,
            current.name if current is not None else None,
            baseline_lines,
            baseline,
        )

    def _cost(
        self,
        window: Window,
        planned: list[Planned],
        quantities: tuple[int | None, ...],
        list_size: int,
        current: CatalogueItem | None,
        running_level: int | None,
        decisions: tuple[FundingDecision, ...],
    ) -> _Costed:
        """One practice's lines (what is ordered for it, then the migration's) and baseline."""
        calculator = self.calculator
        lines = [
            calculator.line(LineKind.ITEM, item, price, quantity, window, decision)
            for (_id, item, price, _line), quantity, decision in zip(
                self.ordered, quantities, decisions, strict=True
            )
            if quantity is not None
        ]
        for kind, item, price, fixed, span, decision in planned:
            quantity = fixed if fixed is not None else default_quantity_for(price.unit, list_size)
            lines.append(calculator.line(kind, item, price, quantity, span, decision))
        baseline_lines = _baseline_lines(
            calculator, current, running_level, list_size, self.term_window
        )
        return (
            lines,
            _summary_of(self._summaries, self.spans, lines),
            baseline_lines,
            _summary_of(self._summaries, self.spans, baseline_lines),
        )


def _systems(session: Session, ids: set[int | None]) -> dict[int, CatalogueItem]:
    return {
        item.id: item
        for item in session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.id.in_(ids - {None}))
            .options(
                joinedload(CatalogueItem.supplier),
                joinedload(CatalogueItem.lot),
                selectinload(CatalogueItem.prices).selectinload(Price.tiers),
            )
        )
    }


def _baseline_lines(
    calculator: _Calculator,
    current: CatalogueItem | None,
    running_level: int | None,
    list_size: int,
    window: Window,
) -> list[CostLine]:
    """Keeping the practice's current system over the term, at its current catalogue prices,
    at the level it runs (the increments of the levels above are not bought)."""
    if current is None or running_level is None:
        return []
    lines = []
    for price in _recurring_prices(current):
        if not paid_at_level(price.name, running_level):
            continue
        terms = calculator.terms(current, price)
        decision = FundingDecision(
            terms.funding,
            f"The baseline: keeping {current.name} over the same term. {terms.funding_reason}",
        )
        quantity = default_quantity_for(terms.unit, list_size)
        lines.append(calculator.line(LineKind.BASELINE, current, terms, quantity, window, decision))
    return lines


def _summary_of(
    cache: dict[tuple[int, ...], Summary], spans: Sequence[YearSpan], lines: Sequence[CostLine]
) -> Summary:
    key = tuple(id(line) for line in lines)
    summary = cache.get(key)
    if summary is None:
        summary = cache[key] = Summary.empty(spans)
        for line in lines:
            summary.add(line)
    return summary


__all__ = [
    "CostLine",
    "Estimate",
    "LineKind",
    "OptionCost",
    "RecipientEstimate",
    "Split",
    "Summary",
    "YearSpan",
    "estimate_order",
    "option_costs",
    "recurring_cost",
    "year_spans",
]
