"""Exports must never turn supplier-written text into formulas (CSV/formula injection)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# What spreadsheet programs take as the start of a formula in a CSV cell (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value: Any) -> Any:
    """A CSV cell value that no spreadsheet will evaluate: risky text gets a leading quote."""
    return f"'{value}" if formula_like(value) else value


def keep_as_text(cells: Iterable[Any]) -> None:
    """Stop openpyxl storing text that starts with '=' as a formula: it stays the text."""
    for cell in cells:
        if formula_like(cell.value):
            cell.data_type = "s"
