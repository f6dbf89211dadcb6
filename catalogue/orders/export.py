"""The order and its cost estimate as CSV and as an XLSX workbook (the business case).

Every total is split between the three payers: central, commissioner and practice
(catalogue.funding). Amounts are rounded to the penny here, at presentation, as
catalogue.pricing prescribes: each is the exact amount rounded, so a rounded total may differ
by a penny from the sum of its rounded parts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from catalogue.models import CallOffOrder
from catalogue.orders.costs import CostLine, Estimate, Split, Summary
from catalogue.orders.migration import dates_of, go_live_of
from catalogue.pricing import to_pennies
from catalogue.spreadsheets import append_row, csv_text

MONEY_FORMAT = "#,##0.00"
# The payers in the order every split is shown (the attributes of costs.Split).
PAYERS = ("central", "commissioner", "practice")


def _part(payer: str) -> Callable[[Split], Decimal]:
    return lambda split: cast(Decimal, getattr(split, payer))


def _header(estimate: Estimate) -> list[str]:
    years = [f"year_{span.year}_recurring" for span in estimate.years]
    return [
        "call_off_id",
        "ods_code",
        "practice",
        "line",
        "item",
        "supplier",
        "price",
        "unit",
        "period",
        "quantity",
        "funding",
        "funding_reason",
        "one_off",
        *years,
        "total",
    ]


def _total_rows(
    estimate: Estimate, summary: Summary, ods: str, name: str, prefix: str = "total"
) -> Iterator[list]:
    for label, pick in (
        *((f"{prefix} {payer}", _part(payer)) for payer in PAYERS),
        (prefix, lambda split: split.total),
    ):
        recurring = [pick(year.recurring) for year in summary.years]
        one_off = pick(summary.one_off)
        yield [
            estimate.call_off_id,
            ods,
            name,
            label,
            *[""] * 8,
            to_pennies(one_off),
            *[to_pennies(amount) for amount in recurring],
            to_pennies(one_off + pick(summary.recurring)),
        ]


def _line_rows(
    estimate: Estimate, ods: str, name: str, lines: Sequence[CostLine]
) -> Iterator[list]:
    for line in lines:
        yield [
            estimate.call_off_id,
            ods,
            name,
            line.kind.value,
            line.item_name,
            line.supplier_name,
            line.price_name,
            line.unit,
            line.period,
            line.quantity,
            line.funding.value if line.funding else "none",
            line.funding_reason,
            to_pennies(line.one_off),
            *[to_pennies(amount) for amount in line.per_year],
            to_pennies(line.total),
        ]


def estimate_rows(estimate: Estimate) -> Iterator[list[Any]]:
    """The header, then per recipient a row per cost line, its totals split per payer,
    the baseline's lines (keeping its current system) and totals, and the change (the order
    less the baseline); then the order's totals, baseline and change."""
    yield _header(estimate)
    for recipient in estimate.recipients:
        ods, name = recipient.ods_code, recipient.name
        yield from _line_rows(estimate, ods, name, recipient.lines)
        yield from _total_rows(estimate, recipient.summary, ods, name)
        yield from _line_rows(estimate, ods, name, recipient.baseline_lines)
        yield from _total_rows(estimate, recipient.baseline, ods, name, "baseline")
        yield from _total_rows(estimate, recipient.change, ods, name, "change")
    everyone = ("ALL", "All recipients")
    yield from _total_rows(estimate, estimate.totals, *everyone)
    yield from _total_rows(estimate, estimate.baseline, *everyone, "baseline")
    yield from _total_rows(estimate, estimate.change, *everyone, "change")


def estimate_csv(estimate: Estimate) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in estimate_rows(estimate):
        writer.writerow(
            str(value) if isinstance(value, Decimal) else csv_text(value) for value in row
        )
    return buffer.getvalue()


def _order_facts(order: CallOffOrder) -> list[tuple[str, Any]]:
    facts: list[tuple[str, Any]] = [
        ("Call-off ID", order.call_off_id),
        ("Status", order.status.value),
        ("Commissioner", f"{order.commissioner.name} ({order.commissioner.ods_code})"),
        ("Supplier", order.supplier.name),
        ("Framework", order.framework.name),
        ("Commencement date", order.commencement_date),
        ("Term (months)", order.term_months),
        ("Recipients", ", ".join(r.organisation.ods_code for r in order.recipients)),
    ]
    for migration in order.migrations:
        dates = dates_of(order, migration)
        previous = migration.previous_system
        option = migration.audit_trail_option
        go_live, actual = go_live_of(order, migration)
        facts += [
            ("Migrating practice", migration.organisation.ods_code),
            ("Previous system", previous.name),
            ("Previous supplier", previous.supplier.name),
            ("Planned go-live", migration.planned_go_live),
            ("Business go-live", go_live if actual else None),
            ("Bedding-in ends", dates.bedding_in_end if dates else None),
            ("Notice given on", dates.notice_given_on if dates else None),
            ("Previous service ends", dates.service_end if dates else None),
            ("Audit trail option", option.value if option else None),
        ]
    return facts


def _split_cells(split: Split) -> list[Decimal]:
    return [to_pennies(getattr(split, payer)) for payer in PAYERS]


def estimate_xlsx(order: CallOffOrder, estimate: Estimate) -> bytes:
    """The order's facts, the yearly summary, the business case against the baseline and the
    cost lines, one sheet each."""
    workbook = Workbook()
    bold = Font(bold=True)
    _facts_sheet(cast(Worksheet, workbook.active), order, bold)
    summary = _summary_sheet(workbook.create_sheet("Summary"), estimate)
    case = _business_case_sheet(workbook.create_sheet("Business case"), estimate)
    lines = _lines_sheet(workbook.create_sheet("Cost estimate"), estimate)
    for sheet in (summary, case, lines):
        for cell in sheet[1]:
            cell.font = bold

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _facts_sheet(facts: Worksheet, order: CallOffOrder, bold: Font) -> None:
    facts.title = "Order"
    for label, value in _order_facts(order):
        append_row(facts, [label, value])
        facts.cell(facts.max_row, 1).font = bold
        if hasattr(value, "isoformat"):
            facts.cell(facts.max_row, 2).number_format = "yyyy-mm-dd"
    facts.column_dimensions["A"].width = 24
    facts.column_dimensions["B"].width = 48


def _per_payer(prefix: str) -> list[str]:
    return [f"{prefix} {payer}" for payer in PAYERS]


SUMMARY_HEADER = [
    "Year",
    "From",
    "To",
    *_per_payer("One-off"),
    *_per_payer("Recurring"),
    "Total",
]


BUSINESS_CASE_HEADER = [
    "ODS code",
    "Practice",
    "Keeps (baseline)",
    "Year",
    *_per_payer("Order"),
    "Order total",
    *_per_payer("Baseline"),
    "Baseline total",
    *_per_payer("Change"),
    "Change total",
]


def _summary_sheet(summary: Worksheet, estimate: Estimate) -> Worksheet:
    """A row a contract year, then the whole term."""
    summary.append(SUMMARY_HEADER)
    for span, year in zip(estimate.years, estimate.totals.years, strict=True):
        summary.append(
            [
                span.year,
                span.start,
                span.end,
                *_split_cells(year.one_off),
                *_split_cells(year.recurring),
                to_pennies(year.total),
            ]
        )
    totals = estimate.totals
    summary.append(
        [
            "Term",
            estimate.commencement_date,
            estimate.years[-1].end,
            *_split_cells(totals.one_off),
            *_split_cells(totals.recurring),
            to_pennies(totals.total),
        ]
    )
    for row in summary.iter_rows(min_row=2):
        row[1].number_format = row[2].number_format = "yyyy-mm-dd"
        for cell in row[3:]:
            cell.number_format = MONEY_FORMAT
    return summary


def _business_case_sheet(case: Worksheet, estimate: Estimate) -> Worksheet:
    """Per practice and for all, per year and for the term: the order, the baseline (keeping
    the current system) and the change, per payer and in total."""
    case.append(BUSINESS_CASE_HEADER)
    parties = [
        (r.ods_code, r.name, r.current_system or "", r.summary, r.baseline, r.change)
        for r in estimate.recipients
    ]
    parties.append(
        ("ALL", "All recipients", "", estimate.totals, estimate.baseline, estimate.change)
    )
    for ods, name, keeps, ordered, baseline, change in parties:
        periods: list[tuple[str, Any, Any, Any]] = [
            (str(year.year), year, base, delta)
            for year, base, delta in zip(ordered.years, baseline.years, change.years, strict=True)
        ]
        periods.append(("Term", ordered, baseline, change))
        for label, mine, base, delta in periods:
            cells = append_row(
                case,
                [
                    ods,
                    name,
                    keeps,
                    label,
                    *_split_cells(mine.whole),
                    to_pennies(mine.total),
                    *_split_cells(base.whole),
                    to_pennies(base.total),
                    *_split_cells(delta.whole),
                    to_pennies(delta.total),
                ],
            )
            for cell in list(cells)[4:]:
                cell.number_format = MONEY_FORMAT
    return case


def _lines_sheet(lines: Worksheet, estimate: Estimate) -> Worksheet:
    for row in estimate_rows(estimate):
        for cell in append_row(lines, row):
            if isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
    return lines
