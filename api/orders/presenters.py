"""Shape orders for the schemas: names beside ids, funding with its reason, migration dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from api.orders.estimate_schemas import BASELINE_NOTE
from api.orders.schemas import signed_pennies
from catalogue import orders
from catalogue.models import (
    AuditTrailOption,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CatalogueItem,
    Organisation,
    Price,
    Supplier,
)
from catalogue.orders.costs import CostLine, Estimate, RecipientEstimate, Split, Summary
from catalogue.orders.migration import AuditTrailSource
from catalogue.pricing import to_pennies
from service.fields import format_money


def _party(thing: Supplier | Organisation | CatalogueItem) -> dict[str, Any]:
    return {"id": thing.id, "name": thing.name}


def summary(order: CallOffOrder) -> dict[str, Any]:
    return {
        "call_off_id": order.call_off_id,
        "number": order.number,
        "revision": order.revision,
        "status": order.status,
        "commissioner": {**_party(order.commissioner), "ods_code": order.commissioner.ods_code},
        "supplier": _party(order.supplier),
        "framework": {
            "slug": order.framework.slug,
            "name": order.framework.name,
            "status": order.framework.status.value,
            "max_term_months": order.framework.max_term_months,
        },
        "description": order.description,
        "commencement_date": order.commencement_date,
        "term_months": order.term_months,
        "go_live_date": order.go_live_date,
        "status_reason": order.status_reason,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "submitted_at": order.submitted_at,
        "accepted_at": order.accepted_at,
    }


def _price_ref(price: Price) -> dict[str, Any]:
    return {
        "price_id": price.id,
        "name": price.name,
        "unit": price.unit.value,
        "period": price.period.value,
        "amount": price.flat_amount,
    }


def _money(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else to_pennies(amount)


class Sources(dict):
    """The audit-trail sources of each previous system, looked up once per response."""

    def of(
        self, session: Session, previous: CatalogueItem
    ) -> dict[AuditTrailOption, AuditTrailSource]:
        if previous.id not in self:
            self[previous.id] = orders.audit_trail_sources(session, previous)
        return self[previous.id]


def linked_line(
    session: Session, migration: CallOffMigration, sources: Sources | None = None
) -> dict[str, Any] | None:
    """The chosen audit-trail option when it is a service of the previous supplier: the line
    both sides see (full support is the previous system itself, not a new line)."""
    option = migration.audit_trail_option
    if option is None:
        return None
    source = (sources or Sources()).of(session, migration.previous_system)[option]
    item = source.item
    if item is None or not source.available or not source.needs_previous_supplier:
        return None
    return {
        "supplier": _party(item.supplier),
        "catalogue_item_id": item.id,
        "item_name": item.name,
        "quantity": migration.audit_trail_quantity or 1,
        "prices": [_price_ref(price) for price in source.prices],
    }


def _dates(order: CallOffOrder, migration: CallOffMigration) -> dict[str, Any]:
    dates = orders.migration.dates_of(order, migration)
    return {
        "bedding_in_end": dates.bedding_in_end if dates else None,
        "notice_to_be_given_by": dates.notice_to_be_given_by if dates else None,
        "notice_given_on": migration.notice_given_on,
        "earliest_notice_end": dates.earliest_notice_end if dates else None,
        "service_end": dates.service_end if dates else None,
        "service_end_extended": bool(dates and dates.extended),
        "service_end_reason": migration.service_end_reason,
    }


def _acknowledgement(migration: CallOffMigration) -> dict[str, Any]:
    return {
        "acknowledged": migration.acknowledged_at is not None,
        "acknowledged_at": migration.acknowledged_at,
        "acknowledged_by": migration.acknowledged_by,
        "go_live_agreed": orders.go_live_agreed(migration),
        "go_live_agreed_on": migration.go_live_agreed_on,
        "go_live_agreed_by": migration.go_live_agreed_by,
        "go_live_agreed_at": migration.go_live_agreed_at,
    }


OPTIONS_ORDER_NOTE = (
    "Listed by their priced cost for this practice from the day after the previous service "
    "ends to the end of the term, dearest first; an option not yet priced (no go-live, "
    "commencement or term) or not offered comes after, in the source documents' order."
)


def migration(
    session: Session, order: CallOffOrder, found: CallOffMigration, sources: Sources | None = None
) -> dict[str, Any]:
    previous = found.previous_system
    sources = sources if sources is not None else Sources()
    options = []
    known = sources.of(session, previous)
    for priced in orders.option_costs(session, order, found, known):
        source = priced.source
        options.append(
            {
                "option": source.option.value,
                "description": orders.migration.OPTION_DESCRIPTIONS[source.option],
                "available": source.available,
                "chosen": found.audit_trail_option is source.option,
                "catalogue_item_id": source.item.id if source.item else None,
                "item_name": source.item.name if source.item else None,
                "prices": [_price_ref(price) for price in source.prices],
                "cost": _money(priced.cost),
                "cost_from": priced.first_day,
                "cost_to": priced.last_day,
            }
        )
    go_live, actual = orders.migration.go_live_of(order, found)
    return {
        "ods_code": found.organisation.ods_code,
        "practice_name": found.organisation.name,
        "previous_system": _party(previous),
        "previous_supplier": _party(previous.supplier),
        "planned_go_live": found.planned_go_live,
        "go_live_date": go_live if actual else None,
        **_dates(order, found),
        "audit_trail_option": found.audit_trail_option.value if found.audit_trail_option else None,
        "audit_trail_quantity": found.audit_trail_quantity,
        "audit_trail_options": options,
        "audit_trail_options_order": OPTIONS_ORDER_NOTE,
        "linked_line": linked_line(session, found, sources),
        **_acknowledgement(found),
    }


def notice(
    session: Session, order: CallOffOrder, found: CallOffMigration, sources: Sources | None = None
) -> dict[str, Any]:
    """What the previous supplier sees of an order: the migration of its practice, and nothing
    else of the order."""
    go_live, actual = orders.migration.go_live_of(order, found)
    return {
        "call_off_id": order.call_off_id,
        "order_status": order.status.value,
        "commissioner": {**_party(order.commissioner), "ods_code": order.commissioner.ods_code},
        "ods_code": found.organisation.ods_code,
        "practice_name": found.organisation.name,
        "previous_system": _party(found.previous_system),
        "go_live": go_live,
        "go_live_is_actual": actual,
        **_dates(order, found),
        "audit_trail_option": found.audit_trail_option.value if found.audit_trail_option else None,
        "audit_trail_quantity": found.audit_trail_quantity,
        "linked_line": linked_line(session, found, sources),
        **_acknowledgement(found),
    }


def _value(member: Any) -> Any:
    return member.value if member is not None else None


def _agreement(line: CallOffItem) -> dict[str, Any] | None:
    if line.funding_agreed_at is None:
        return None
    return {
        "agreed_by": line.funding_agreed_by,
        "agreed_at": line.funding_agreed_at,
        "reason": line.funding_agreement_reason,
    }


def _practice_agreements(line: CallOffItem) -> list[dict[str, Any]]:
    return [
        {
            "ods_code": agreed.practice.ods_code,
            "agreed_by": agreed.agreed_by,
            "agreed_at": agreed.agreed_at,
            "reason": agreed.reason,
        }
        for agreed in line.practice_agreements
    ]


def detail(session: Session, order: CallOffOrder) -> dict[str, Any]:
    sources = Sources()
    shown = [migration(session, order, found, sources) for found in order.migrations]
    ods = {r.organisation_id: r.organisation.ods_code for r in order.recipients}
    items = []
    for item in order.items:
        # The terms the line was ordered at, not the catalogue's current price; paid by whom
        # the order says (the commissioner's and every practice's agreement to fund additional
        # IT count; the cost estimate splits a line per practice).
        funding = orders.funding_of(item)
        items.append(
            {
                "id": item.id,
                "catalogue_item_id": item.catalogue_item.id,
                "item_name": item.catalogue_item.name,
                "kind": item.catalogue_item.kind.value,
                "lot": item.catalogue_item.lot.number,
                "price_id": item.price_id,
                "price_name": item.price_name,
                "unit": item.unit.value,
                "period": item.period.value,
                "funding": funding.funding.value if funding.funding else None,
                "funding_reason": funding.reason,
                "infrastructure_class": _value(item.catalogue_item.infrastructure_class),
                "funding_agreement_possible": orders.agreement_possible(item),
                "funding_agreement": _agreement(item),
                "practice_funding_agreements": _practice_agreements(item),
                "quantities": [
                    {"ods_code": ods.get(q.organisation_id, "?"), "quantity": q.quantity}
                    for q in item.quantities
                ],
            }
        )
    return {
        **summary(order),
        "selection_id": order.selection_id,
        "amends": order.amends.call_off_id if order.amends is not None else None,
        "revisions": orders.revisions_of(session, order),
        "allowed_transitions": orders.allowed_from(order.status),
        "recipients": [
            {
                "ods_code": r.organisation.ods_code,
                "name": r.organisation.name,
                "list_size": r.organisation.list_size or 0,
            }
            for r in order.recipients
        ],
        "items": items,
        "migrations": shown,
        # The single-migration form, kept for its clients: the migration of an order with one.
        "migration": shown[0] if len(shown) == 1 else None,
        "upgrades": [
            {
                "ods_code": upgrade.organisation.ods_code,
                "practice_name": upgrade.organisation.name,
                "system": _party(upgrade.system),
                "from_level": upgrade.from_level,
                "to_level": upgrade.to_level,
            }
            for upgrade in order.upgrades
        ],
        "warnings": orders.level_warnings(order),
    }


class _EstimateShaper:
    """Shapes the parts of one estimate, memoised: an estimate repeats the same few amounts,
    and a line or summary shared between recipients is shaped once."""

    def __init__(self) -> None:
        self._amounts: dict[Decimal, str] = {}
        self._lines: dict[int, dict[str, Any]] = {}
        self._summaries: dict[int, dict[str, Any]] = {}
        self._changes: dict[tuple[int, int], Summary] = {}

    def money(self, amount: Decimal) -> str:
        """To the penny, as a string (a change may be negative; never a negative zero)."""
        text = self._amounts.get(amount)
        if text is None:
            text = self._amounts[amount] = format_money(signed_pennies(amount))
        return text

    def split(self, part: Split) -> dict[str, str]:
        money = self.money
        return {
            "central": money(part.central),
            "commissioner": money(part.commissioner),
            "practice": money(part.practice),
            "local": money(part.local),
            "total": money(part.total),
        }

    def summary(self, summary: Summary) -> dict[str, Any]:
        shown = self._summaries.get(id(summary))
        if shown is None:
            money, split = self.money, self.split
            shown = self._summaries[id(summary)] = {
                "one_off": split(summary.one_off),
                "recurring": split(summary.recurring),
                "years": [
                    {
                        "year": year.year,
                        "one_off": split(year.one_off),
                        "recurring": split(year.recurring),
                        "central": money(year.central),
                        "commissioner": money(year.commissioner),
                        "practice": money(year.practice),
                        "local": money(year.local),
                        "total": money(year.total),
                    }
                    for year in summary.years
                ],
                "central": money(summary.central),
                "commissioner": money(summary.commissioner),
                "practice": money(summary.practice),
                "local": money(summary.local),
                "total": money(summary.total),
            }
        return shown

    def change(self, recipient: RecipientEstimate) -> dict[str, Any]:
        # Practices alike share their summaries, so their change too.
        key = (id(recipient.summary), id(recipient.baseline))
        if key not in self._changes:
            self._changes[key] = recipient.change
        return self.summary(self._changes[key])

    def line(self, line: CostLine) -> dict[str, Any]:
        shown = self._lines.get(id(line))
        if shown is None:
            money = self.money
            shown = self._lines[id(line)] = {
                "kind": line.kind.value,
                "catalogue_item_id": line.catalogue_item_id,
                "item_name": line.item_name,
                "supplier_name": line.supplier_name,
                "price_id": line.price_id,
                "price_name": line.price_name,
                "unit": line.unit,
                "period": line.period,
                "quantity": line.quantity,
                "funding": line.funding.value if line.funding else None,
                "funding_reason": line.funding_reason,
                "first_day": line.first_day.isoformat(),
                "last_day": line.last_day.isoformat(),
                "one_off": money(line.one_off),
                "recurring_per_year": money(line.recurring_per_year),
                "per_year": [money(amount) for amount in line.per_year],
                "total": money(line.total),
            }
        return shown


def estimate(found: Estimate) -> dict[str, Any]:
    """The estimate as CostEstimateSchema dumps it, built directly: an order of 100 recipients
    has a thousand lines, too many for a per-field serialiser within the latency budget. A
    test holds this equal to the schema's dump."""
    shape = _EstimateShaper()
    return {
        "call_off_id": found.call_off_id,
        "commencement_date": found.commencement_date.isoformat(),
        "term_months": found.term_months,
        "years": [
            {
                "year": span.year,
                "start": span.start.isoformat(),
                "end": span.end.isoformat(),
                "months": span.months,
            }
            for span in found.years
        ],
        "recipients": [
            {
                "ods_code": recipient.ods_code,
                "name": recipient.name,
                "list_size": recipient.list_size,
                "lines": [shape.line(line) for line in recipient.lines],
                "summary": shape.summary(recipient.summary),
                "current_system": recipient.current_system,
                "baseline_lines": [shape.line(line) for line in recipient.baseline_lines],
                "baseline": shape.summary(recipient.baseline),
                "change": shape.change(recipient),
            }
            for recipient in found.recipients
        ],
        "totals": shape.summary(found.totals),
        "baseline": shape.summary(found.baseline),
        "change": shape.summary(found.change),
        "baseline_note": BASELINE_NOTE,
    }
