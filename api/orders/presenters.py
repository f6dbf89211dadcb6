"""Shape orders for the schemas: names beside ids, funding with its reason, migration dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from catalogue import orders
from catalogue.models import CallOffOrder, CatalogueItem, Organisation, Price, Supplier
from catalogue.orders.costs import CostLine, Estimate, Split, Summary
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


def _migration(session: Session, order: CallOffOrder) -> dict[str, Any] | None:
    previous = order.previous_system
    if previous is None:
        return None
    dates = orders.migration.order_migration_dates(order)
    sources = orders.audit_trail_sources(session, previous)
    options = []
    for option in orders.migration.OPTION_ORDER:
        source = sources[option]
        options.append(
            {
                "option": option.value,
                "description": orders.migration.OPTION_DESCRIPTIONS[option],
                "available": source.available,
                "chosen": order.audit_trail_option is option,
                "catalogue_item_id": source.item.id if source.item else None,
                "item_name": source.item.name if source.item else None,
                "prices": [_price_ref(price) for price in source.prices],
            }
        )
    return {
        "previous_system": _party(previous),
        "previous_supplier": _party(previous.supplier),
        "planned_go_live": order.planned_go_live,
        "go_live_date": order.go_live_date,
        "bedding_in_end": dates.bedding_in_end if dates else None,
        "notice_to_be_given_by": dates.notice_to_be_given_by if dates else None,
        "earliest_notice_end": dates.earliest_notice_end if dates else None,
        "audit_trail_option": order.audit_trail_option.value if order.audit_trail_option else None,
        "audit_trail_quantity": order.audit_trail_quantity,
        "audit_trail_options": options,
    }


def detail(session: Session, order: CallOffOrder) -> dict[str, Any]:
    ods = {r.organisation_id: r.organisation.ods_code for r in order.recipients}
    items = []
    for item in order.items:
        # The terms the line was ordered at, not the catalogue's current price.
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
                "funding": item.funding.value if item.funding else None,
                "funding_reason": item.funding_reason,
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
        "migration": _migration(session, order),
    }


class _EstimateShaper:
    """Shapes the parts of one estimate, memoised: an estimate repeats the same few amounts,
    and a line shared between recipients is shaped once."""

    def __init__(self) -> None:
        self._amounts: dict[Decimal, str] = {}
        self._lines: dict[int, dict[str, Any]] = {}

    def money(self, amount: Decimal) -> str:
        """To the penny, as a string."""
        text = self._amounts.get(amount)
        if text is None:
            text = self._amounts[amount] = format_money(to_pennies(amount))
        return text

    def split(self, part: Split) -> dict[str, str]:
        money = self.money
        return {
            "central": money(part.central),
            "local": money(part.local),
            "total": money(part.total),
        }

    def summary(self, summary: Summary) -> dict[str, Any]:
        money, split = self.money, self.split
        return {
            "one_off": split(summary.one_off),
            "recurring": split(summary.recurring),
            "years": [
                {
                    "year": year.year,
                    "one_off": split(year.one_off),
                    "recurring": split(year.recurring),
                    "total": money(year.total),
                }
                for year in summary.years
            ],
            "central": money(summary.central),
            "local": money(summary.local),
            "total": money(summary.total),
        }

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
            }
            for recipient in found.recipients
        ],
        "totals": shape.summary(found.totals),
    }
