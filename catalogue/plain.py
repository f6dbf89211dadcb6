"""JSON-safe spellings of domain values, one per value, so that stored copies compare equal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def money_text(value: Decimal) -> str:
    """One spelling per amount ("3000.00", "0.055"), so that specs compare equal."""
    whole, _, fraction = format(value.normalize(), "f").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def plain(value: Any) -> Any:
    """A scalar as JSON stores it: an amount as its money text, a date in ISO form, an enum as
    its value; anything else as it is."""
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value
