"""The cost estimate of an order: the business case.

One-off and recurring costs for every year of the term, split between the three payers
(central, commissioner, practice: catalogue.funding), per recipient and in total, against a
baseline of what the order replaces, with the change per year. The baseline keeps a migrating
practice's previous system over the same term (its current catalogue prices, at their funding,
at the level the practice ran it), or the system an order renews; an order that replaces
nothing (an upgrade in place, an add-on such as a Lot 2 kiosk) has an empty baseline, so its
change is its full cost. Submitting freezes the business case with the order
(catalogue.orders.frozen): read afterwards, it gives the same figures whatever the estate or
the catalogue's prices do. An order line of
additional IT is the practice's unless the order records the commissioner's agreement to fund
it (catalogue.orders.agreements), and then the commissioner's.

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

The arithmetic (pro-rating to the day, the years of the term): catalogue.orders.cost_lines.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalogue.errors import Conflict
from catalogue.estate import runs_now
from catalogue.funding import FundingDecision
from catalogue.maturity import increment_level, paid_at_level
from catalogue.models import (
    AuditTrailOption,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CatalogueItem,
    EstateChange,
    EstateEvent,
    Funding,
    Organisation,
    PracticeEstate,
    Price,
    PricePeriod,
    PriceUnit,
)
from catalogue.orders.cost_lines import (
    Calculator,
    CostLine,
    Estimate,
    LineKind,
    RecipientEstimate,
    Split,
    Summary,
    Window,
    YearSpan,
    recurring_cost,
    year_spans,
)
from catalogue.orders.dates import ONE_DAY
from catalogue.orders.frozen import thaw
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
from catalogue.pricing import ZERO, PriceTerms, default_quantity_for

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
    calculator: Calculator,
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
    calculator: Calculator,
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
        calculator = Calculator(year_spans(commencement, term))
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


def estimate_order(session: Session, order: CallOffOrder, *, live: bool = False) -> Estimate:
    """The order's business case: as frozen when it was submitted (catalogue.orders.frozen),
    or computed now for a draft (or with `live`, to freeze it again after a recorded change
    such as a notice extension)."""
    if order.business_case is not None and not live:
        return thaw(order.business_case)
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
    """(id, ODS code, name, list size, baseline system id, baseline level) of each recipient,
    as plain rows: a hundred practices' worth of ORM objects would cost more than the
    arithmetic. The baseline is what the order replaces: a migrating practice's previous
    system at the level it ran it; nothing for a practice that keeps its system."""
    rows = session.execute(
        select(
            Organisation.id,
            Organisation.ods_code,
            Organisation.name,
            Organisation.list_size,
        )
        .join(CallOffRecipient, CallOffRecipient.organisation_id == Organisation.id)
        .where(CallOffRecipient.order_id == order.id)
        .order_by(CallOffRecipient.id)
    ).all()
    replaced = _replaced(session, order)
    return [(*row, *replaced.get(row[0], (None, None))) for row in rows]


def _renews(order: CallOffOrder, practice_id: int, system_id: int) -> bool:
    """Whether the order renews the system a practice runs: it orders that system's own
    prices (not only a level's increment) for the practice."""
    return any(
        line.catalogue_item_id == system_id
        and increment_level(line.price_name) is None
        and any(q.organisation_id == practice_id and q.quantity > 0 for q in line.quantities)
        for line in order.items
    )


def _replaced(session: Session, order: CallOffOrder) -> dict[int, tuple[int, int]]:
    """For each practice whose system the order replaces, the system and the level it runs it
    at: a migrating practice's previous system; the system itself where the order renews it.
    Read from the estate (catalogue.estate.runs_now) while the practice runs it, else from the
    estate's history of the go-live that replaced it (so the figures do not move at go-live).
    An upgrade of the level alone or an add-on replaces nothing."""
    practices = session.scalars(
        select(Organisation)
        .join(CallOffRecipient, CallOffRecipient.organisation_id == Organisation.id)
        .where(CallOffRecipient.order_id == order.id)
        .options(selectinload(Organisation.estate).joinedload(PracticeEstate.system))
    ).all()
    migrations = {migration.organisation_id: migration for migration in order.migrations}
    replaced: dict[int, tuple[int, int]] = {}
    for practice in practices:
        running = runs_now(practice)
        migration = migrations.get(practice.id)
        if migration is None:
            if running is not None and _renews(order, practice.id, running.system.id):
                replaced[practice.id] = (running.system.id, running.level)
            continue
        previous = migration.previous_system
        if running is not None and running.system.id == previous.id:
            level = running.level
        else:
            level = session.scalar(
                select(EstateChange.previous_level)
                .where(
                    EstateChange.organisation_id == practice.id,
                    EstateChange.event == EstateEvent.MIGRATION,
                    EstateChange.previous_system_id == previous.id,
                    EstateChange.call_off_id.like(order.call_off_id.split("-")[0] + "-%"),
                )
                .order_by(EstateChange.id.desc())
                .limit(1)
            )
            level = level if level is not None else previous.maturity_level
        replaced[practice.id] = (previous.id, level)
    return replaced


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
        self.calculator = Calculator(spans)
        self.term_window: Window = (self.calculator.term_start, self.calculator.term_end)
        self.quantities = _ordered_quantities(session, order)
        self.migrations = _migration_rows(session, order)
        self.ordered = _ordered_lines(order)
        self.agreed = _agreed_lines(order)
        self.systems = _systems(session, {row[4] for row in practices})
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
        running: int | None,
    ) -> RecipientEstimate:
        """One recipient's lines; `current_id` and `running` are the system the order replaces
        and the level the practice runs it at (None: the order replaces nothing)."""
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
        # Going live on the term's last day leaves the new system no day of the term: its
        # lines have no period in it (and cost nothing), so there are none.
        within = window[0] <= min(window[1], calculator.term_end)
        lines = [
            calculator.line(LineKind.ITEM, item, price, quantity, window, decision)
            for (_id, item, price, _line), quantity, decision in zip(
                self.ordered, quantities, decisions, strict=True
            )
            if quantity is not None and quantity > 0 and within
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
    calculator: Calculator,
    current: CatalogueItem | None,
    running_level: int | None,
    list_size: int,
    window: Window,
) -> list[CostLine]:
    """Keeping what the order replaces over the term: a migrating practice's previous system,
    at its current catalogue prices, at the level it runs (the increments of the levels above
    are not bought); nothing when the order replaces nothing (an upgrade, an add-on)."""
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
