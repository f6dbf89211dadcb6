"""A comparison as a CSV file (sections one after another) or an XLSX workbook (one sheet a
section), with the numbers the compare page shows. Text from suppliers never becomes a
formula (catalogue.spreadsheets)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from catalogue.selections import Comparison
from catalogue.spreadsheets import csv_text, keep_as_text, printable

from .chart import cost_per_year

Table = tuple[str, list[str], list[list[Any]]]
MONEY_FORMAT = "#,##0.00"


def tables(comparison: Comparison) -> list[Table]:
    items = comparison.items
    practice = comparison.practice
    summary: list[list[Any]] = [
        ["items", len(items)],
        ["practice", f"{practice.name} ({practice.ods_code})" if practice else ""],
        ["list_size", practice.list_size if practice else ""],
        ["term_months", comparison.term_months],
        ["priced_on", comparison.priced_on.isoformat()],
    ]
    listed = [
        [
            item.id,
            item.name,
            item.kind.value,
            item.supplier.name,
            item.lot.framework.slug,
            item.lot.number,
            item.maturity_level,
            item.hosting.value,
            item.rfa_version or "",
            "; ".join(s["name"] for s in row["migration_services"]),
            "; ".join(s["name"] for s in row["audit_trail_services"]),
        ]
        for item, row in zip(items, comparison.rows, strict=True)
    ]
    matrix = [
        [c["code"], c["name"], c["category"]]
        + ["yes" if row["capability_matrix"][c["code"]] else "no" for row in comparison.rows]
        for c in comparison.capabilities
    ]
    result: list[Table] = [
        ("Summary", ["field", "value"], summary),
        (
            "Items",
            [
                "item_id",
                "name",
                "kind",
                "supplier",
                "framework",
                "lot",
                "maturity_level",
                "hosting",
                "rfa_version",
                "migration_services",
                "audit_trail_services",
            ],
            listed,
        ),
        ("Capabilities", ["code", "capability", "category"] + [i.name for i in items], matrix),
    ]
    if practice is not None:
        costs: list[list[Any]] = []
        years: list[list[Any]] = []
        for item, row in zip(items, comparison.rows, strict=True):
            cost = row["whole_life_cost"]
            for line in cost["lines"]:
                costs.append(
                    [
                        item.id,
                        item.name,
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
            costs.append(
                [
                    item.id,
                    item.name,
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
            for year, amount in enumerate(cost_per_year(cost, comparison.term_months), 1):
                years.append([item.id, item.name, year, amount])
        result.append(
            (
                "Costs",
                [
                    "item_id",
                    "item",
                    "price",
                    "unit",
                    "period",
                    "quantity",
                    "funding",
                    "one_off",
                    "recurring_per_year",
                    "recurring",
                    "total",
                ],
                costs,
            )
        )
        result.append(("Cost per year", ["item_id", "item", "year", "cost"], years))
    return result


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(comparison: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, (title, header, rows) in enumerate(tables(comparison)):
        if index:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow([csv_text(h) for h in header])
        writer.writerows([[csv_text(_text(value)) for value in row] for row in rows])
    return out.getvalue()


def to_xlsx(comparison: Comparison) -> bytes:
    workbook = Workbook()
    if workbook.active is not None:  # a new workbook has its one empty sheet
        workbook.remove(workbook.active)
    for title, header, rows in tables(comparison):
        sheet = workbook.create_sheet(title)
        sheet.append([printable(value) for value in header])  # item names head some columns
        keep_as_text(sheet[1])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            # printable: text stored before the text rule may hold what no cell can.
            sheet.append([None if value == "" else printable(value) for value in row])
            keep_as_text(sheet[sheet.max_row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = MONEY_FORMAT
        for column in sheet.columns:
            width = max(len(_text(cell.value)) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8) + 2, 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
