"""Safe cells for CSV and XLSX exports.

Exports must never turn supplier-written text into formulas (CSV/formula injection), and no
stored text may break one: control characters, which no XLSX cell can hold, are rejected on
input (`catalogue.validation`) and dropped here for whatever was stored before that rule.
Write XLSX rows with `append_row` and CSV cells through `csv_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from .validation import CONTROL_CHARACTERS

# What spreadsheet programs take as the start of a formula in a CSV cell: OWASP's list (= + - @,
# tab, carriage return), a line feed, and the full-width forms some spreadsheets read as the
# same signs. Tested against OWASP's payloads (tests/catalogue/test_spreadsheets.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def printable(value: Any) -> Any:
    """Text without the control characters no spreadsheet can hold; other values as given."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


def csv_text(value: Any) -> Any:
    """A CSV cell value that no spreadsheet will evaluate: risky text gets a leading quote (the
    one helper every CSV export writes its cells through; the csv module quotes the rest)."""
    value = printable(value)
    return f"'{value}" if formula_like(value) else value


def keep_as_text(cells: Iterable[Cell]) -> None:
    """Stop openpyxl storing text that starts with '=' as a formula: it stays the text."""
    for cell in cells:
        if formula_like(cell.value):
            cell.data_type = "s"


def append_row(sheet: Worksheet, values: Iterable[Any]) -> tuple[Cell, ...]:
    """Append a row of safe cells to `sheet` and return them."""
    sheet.append([printable(value) for value in values])
    row = cast(tuple[Cell, ...], sheet[sheet.max_row])  # a row just appended merges nothing
    keep_as_text(row)
    return row
