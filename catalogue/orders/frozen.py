"""A business case kept with the order: the estimate as JSON (amounts as exact decimal strings,
dates in ISO 8601) and back, to the same figures.

Submitting an order freezes its business case (catalogue.orders.transitions): what the
commissioner decided on is what the order shows afterwards, whatever later happens to the
practice's estate (a go-live changes what it runs) or to the catalogue's prices. Lines that
several practices share are stored once and referred to by their index.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from catalogue.models import Funding
from catalogue.orders.cost_lines import (
    CostLine,
    Estimate,
    LineKind,
    RecipientEstimate,
    Split,
    Summary,
    YearSpan,
    YearSummary,
)

FORMAT = 1


def _split(split: Split) -> list[str]:
    return [str(split.central), str(split.commissioner), str(split.practice)]


def _unsplit(values: list[str]) -> Split:
    return Split(*(Decimal(value) for value in values))


def _summary(summary: Summary) -> dict[str, Any]:
    return {
        "one_off": _split(summary.one_off),
        "recurring": _split(summary.recurring),
        "years": [
            [year.year, _split(year.one_off), _split(year.recurring)] for year in summary.years
        ],
    }


def _unsummary(data: dict[str, Any]) -> Summary:
    return Summary(
        years=[
            YearSummary(year, _unsplit(one_off), _unsplit(recurring))
            for year, one_off, recurring in data["years"]
        ],
        one_off=_unsplit(data["one_off"]),
        recurring=_unsplit(data["recurring"]),
    )


def _line(line: CostLine) -> dict[str, Any]:
    return {
        "kind": line.kind.value,
        "catalogue_item_id": line.catalogue_item_id,
        "item_name": line.item_name,
        "supplier_name": line.supplier_name,
        "price_id": line.price_id,
        "price_name": line.price_name,
        "unit": line.unit,
        "period": line.period,
        "quantity": line.quantity,
        "funding": line.funding.value if line.funding is not None else None,
        "funding_reason": line.funding_reason,
        "first_day": line.first_day.isoformat(),
        "last_day": line.last_day.isoformat(),
        "one_off": str(line.one_off),
        "one_off_year": line.one_off_year,
        "recurring_per_year": str(line.recurring_per_year),
        "per_year": [str(amount) for amount in line.per_year],
    }


def _unline(data: dict[str, Any]) -> CostLine:
    return CostLine(
        kind=LineKind(data["kind"]),
        catalogue_item_id=data["catalogue_item_id"],
        item_name=data["item_name"],
        supplier_name=data["supplier_name"],
        price_id=data["price_id"],
        price_name=data["price_name"],
        unit=data["unit"],
        period=data["period"],
        quantity=data["quantity"],
        funding=Funding(data["funding"]) if data["funding"] is not None else None,
        funding_reason=data["funding_reason"],
        first_day=date.fromisoformat(data["first_day"]),
        last_day=date.fromisoformat(data["last_day"]),
        one_off=Decimal(data["one_off"]),
        one_off_year=data["one_off_year"],
        recurring_per_year=Decimal(data["recurring_per_year"]),
        per_year=tuple(Decimal(amount) for amount in data["per_year"]),
    )


def freeze(estimate: Estimate) -> dict[str, Any]:
    """The estimate as JSON-ready data."""
    lines: list[dict[str, Any]] = []
    index: dict[int, int] = {}

    def ref(line: CostLine) -> int:
        key = id(line)
        if key not in index:
            index[key] = len(lines)
            lines.append(_line(line))
        return index[key]

    recipients = [
        {
            "ods_code": r.ods_code,
            "name": r.name,
            "list_size": r.list_size,
            "lines": [ref(line) for line in r.lines],
            "summary": _summary(r.summary),
            "current_system": r.current_system,
            "baseline_lines": [ref(line) for line in r.baseline_lines],
            "baseline": _summary(r.baseline),
        }
        for r in estimate.recipients
    ]
    return {
        "format": FORMAT,
        "call_off_id": estimate.call_off_id,
        "commencement_date": estimate.commencement_date.isoformat(),
        "term_months": estimate.term_months,
        "years": [
            [span.year, span.start.isoformat(), span.end.isoformat(), span.months]
            for span in estimate.years
        ],
        "lines": lines,
        "recipients": recipients,
        "totals": _summary(estimate.totals),
        "baseline": _summary(estimate.baseline),
    }


def thaw(data: dict[str, Any]) -> Estimate:
    """The estimate `freeze` made, to the same figures."""
    lines = [_unline(line) for line in data["lines"]]
    return Estimate(
        call_off_id=data["call_off_id"],
        commencement_date=date.fromisoformat(data["commencement_date"]),
        term_months=data["term_months"],
        years=[
            YearSpan(year, date.fromisoformat(start), date.fromisoformat(end), months)
            for year, start, end, months in data["years"]
        ],
        recipients=[
            RecipientEstimate(
                ods_code=r["ods_code"],
                name=r["name"],
                list_size=r["list_size"],
                lines=[lines[i] for i in r["lines"]],
                summary=_unsummary(r["summary"]),
                current_system=r["current_system"],
                baseline_lines=[lines[i] for i in r["baseline_lines"]],
                baseline=_unsummary(r["baseline"]),
            )
            for r in data["recipients"]
        ],
        totals=_unsummary(data["totals"]),
        baseline=_unsummary(data["baseline"]),
    )
