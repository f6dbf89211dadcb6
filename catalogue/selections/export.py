"""Exports of a selection's result: CSV (sections one after another) and an XLSX workbook (one
sheet per section). Both print the tables built here from the rounded result report, so they
hold the numbers the JSON result shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from catalogue.models import Selection
from catalogue.spreadsheets import append_row, csv_text

Table = tuple[str, list[str], list[list[Any]]]  # title, header, rows

MONEY_FORMAT = "#,##0.00"
SCORE_FORMAT = "0.0000"
MONEY_COLUMNS = {
    "one_off",
    "recurring_per_year",
    "recurring",
    "total",
    "central",
    "commissioner",
    "practice",
    "local",
}
SCORE_COLUMNS = {"price_points", "non_price_points", "total_score", "points", "weight_percent"}


def tables(selection: Selection, report: dict[str, Any]) -> list[Table]:
    """The export's sections, in order."""
    return [
        _summary_table(selection, report),
        _criteria_table(selection, report),
        _ranking_table(report),
        _scores_table(report),
        _evaluations_table(report),
        _costs_table(report),
        _eliminated_table(report),
        _sign_off_table(selection),
    ]


def _summary_table(selection: Selection, report: dict[str, Any]) -> Table:
    practice = selection.practice
    rows: list[list[Any]] = [
        ["selection", selection.name],
        ["selection_id", selection.id],
        ["status", report["status"]],
        ["mode", report["mode"]],
        ["practice", f"{practice.name} ({practice.ods_code})"],
        ["list_size", practice.list_size],
        ["framework", selection.framework.slug],
        ["term_months", report["term_months"]],
        ["priced_on", report["priced_on"].isoformat()],
        ["price_weight", report["price_weight"]],
        ["non_price_weight", 100 - report["price_weight"]],
        *[[f"{group}_weight", weight] for group, weight in report["non_price_weights"].items()],
        ["complete", "yes" if report["complete"] else "no"],
        ["problems", "; ".join(report["problems"])],
        ["sensitivity", (report["sensitivity"] or {}).get("explanation", "")],
    ]
    return ("Summary", ["field", "value"], rows)


CRITERIA_HEADER = [
    "criterion_id",
    "name",
    "kind",
    "group",
    "weight_in_group",
    "weight_percent",
    "scoring",
    "requirement",
    "capabilities",
    "min_maturity_level",
    "max_whole_life_cost",
]


def _criteria_table(selection: Selection, report: dict[str, Any]) -> Table:
    weights: dict[int, Decimal] = {}
    for candidate in report["ranked"]:
        for line in candidate["breakdown"]:
            weights[line["criterion_id"]] = line["weight_percent"]
    rows = []
    for criterion in selection.criteria:
        scored = criterion.kind.is_scored
        rows.append(
            [
                criterion.id,
                criterion.name,
                criterion.kind.value,
                criterion.criterion_group.value if criterion.criterion_group else "",
                criterion.weight if scored else "",
                weights.get(criterion.id, "") if scored else "",
                criterion.scoring.value if criterion.scoring else "",
                criterion.requirement.value if criterion.requirement else "",
                ", ".join(criterion.capabilities or []),
                criterion.min_maturity_level if criterion.min_maturity_level is not None else "",
                criterion.max_whole_life_cost if criterion.max_whole_life_cost is not None else "",
            ]
        )
    return ("Criteria", CRITERIA_HEADER, rows)


RANKING_HEADER = [
    "rank",
    "tied",
    "item_id",
    "candidate",
    "supplier",
    "listing_version",
    "maturity_level",
    "total",
    "price_score",
    "price_points",
    "non_price_points",
    "total_score",
]


def _ranking_table(report: dict[str, Any]) -> Table:
    rows = [
        [
            c["rank"],
            "yes" if c["tied"] else "",
            c["item_id"],
            c["name"],
            c["supplier"],
            c["version"],
            c["maturity_level"],
            c["whole_life_cost"]["total"],
            c["price_score"],
            c["price_points"],
            c["non_price_points"],
            c["total_score"],
        ]
        for c in report["ranked"]
    ]
    return ("Ranking", RANKING_HEADER, rows)


SCORES_HEADER = [
    "item_id",
    "candidate",
    "criterion_id",
    "criterion",
    "group",
    "weight_percent",
    "score",
    "source",
    "justification",
    "points",
]


def _scores_table(report: dict[str, Any]) -> Table:
    rows = [
        [
            c["item_id"],
            c["name"],
            line["criterion_id"],
            line["name"],
            line["group"],
            line["weight_percent"],
            line["score"],
            line["source"],
            line["justification"],
            line["points"],
        ]
        for c in report["ranked"]
        for line in c["breakdown"]
    ]
    return ("Scores", SCORES_HEADER, rows)


EVALUATIONS_HEADER = [
    "item_id",
    "candidate",
    "criterion_id",
    "criterion",
    "evaluator",
    "side",
    "score",
    "justification",
    "spread",
    "flagged",
    "agreed_score",
]


def _evaluations_table(report: dict[str, Any]) -> Table:
    """Each evaluator's score beside the agreed one (once scoring has closed)."""
    rows = [
        [
            c["item_id"],
            c["name"],
            line["criterion_id"],
            line["name"],
            evaluation["evaluator"],
            evaluation["side"],
            evaluation["score"],
            evaluation["justification"],
            line["spread"],
            "yes" if line["flagged"] else "",
            line["score"],
        ]
        for c in report["ranked"] + report["eliminated"]
        for line in c["breakdown"]
        for evaluation in line["evaluations"]
    ]
    return ("Evaluations", EVALUATIONS_HEADER, rows)


def _sign_off_table(selection: Selection) -> Table:
    rows = [
        [side, by or "", at.isoformat() if at else ""]
        for side, by, at in (
            ("commissioner", selection.commissioner_signed_by, selection.commissioner_signed_at),
            ("practice", selection.practice_signed_by, selection.practice_signed_at),
        )
    ]
    return ("Sign-off", ["party", "signed_by", "signed_at"], rows)


COSTS_HEADER = [
    "item_id",
    "candidate",
    "price",
    "unit",
    "period",
    "quantity",
    "funding",
    "one_off",
    "recurring_per_year",
    "recurring",
    "total",
]


def _costs_table(report: dict[str, Any]) -> Table:
    """Each candidate's cost lines, then its whole-life total; eliminated candidates too."""
    rows: list[list[Any]] = []
    for c in report["ranked"] + report["eliminated"]:
        cost = c["whole_life_cost"]
        for line in cost["lines"]:
            rows.append(
                [
                    c["item_id"],
                    c["name"],
                    line["price_name"],
                    line["unit"],
                    line["period"],
                    line["quantity"],
                    line["funding"] or "",
                    line["one_off"],
                    line["recurring_per_year"],
                    line["recurring_total"],
                    line["total"],
                ]
            )
        rows.append(
            [
                c["item_id"],
                c["name"],
                "Whole-life cost",
                "",
                "",
                "",
                f"central {cost['central']} / commissioner {cost['commissioner']} / "
                f"practice {cost['practice']}",
                cost["one_off"],
                cost["recurring_per_year"],
                cost["recurring"],
                cost["total"],
            ]
        )
    return ("Costs", COSTS_HEADER, rows)


def _eliminated_table(report: dict[str, Any]) -> Table:
    rows = [
        [c["item_id"], c["name"], c["supplier"], " ".join(c["eliminated_because"])]
        for c in report["eliminated"]
    ]
    return ("Eliminated", ["item_id", "candidate", "supplier", "reasons"], rows)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(selection: Selection, report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, (title, header, rows) in enumerate(tables(selection, report)):
        if index:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow(header)
        writer.writerows([[csv_text(_text(value)) for value in row] for row in rows])
    return out.getvalue()


def _format_for(column: str) -> str | None:
    if column in MONEY_COLUMNS or column == "max_whole_life_cost":
        return MONEY_FORMAT
    if column in SCORE_COLUMNS:
        return SCORE_FORMAT
    return None


def _write_sheet(sheet: Worksheet, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = [_format_for(column) for column in header]
    for row in rows:
        cells = append_row(sheet, [None if value == "" else value for value in row])
        for cell, number_format in zip(cells, formats, strict=False):
            if number_format and isinstance(cell.value, int | float | Decimal):
                cell.number_format = number_format
    for column_cells in sheet.columns:
        width = max(len(_text(cell.value)) for cell in column_cells)
        letter = cast(Cell, column_cells[0]).column_letter  # no merged cells here
        sheet.column_dimensions[letter].width = min(max(width, 8) + 2, 80)
    sheet.freeze_panes = "A2"


def to_xlsx(selection: Selection, report: dict[str, Any]) -> bytes:
    workbook = Workbook()
    workbook.remove(cast(Worksheet, workbook.active))
    for title, header, rows in tables(selection, report):
        _write_sheet(workbook.create_sheet(title), header, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
