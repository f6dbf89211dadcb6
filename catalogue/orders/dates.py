"""Calendar arithmetic for orders: whole months, clamped to the end of shorter months."""

from __future__ import annotations

import calendar
from datetime import date

from catalogue.errors import InvalidInput


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; 31 January + 1 month is 28 (or 29) February. A result
    outside the calendar (before year 1, after 9999) is an InvalidInput, never a crash."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    try:
        last = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(day.day, last))
    except (ValueError, OverflowError) as error:
        raise InvalidInput(
            f"{day.isoformat()} moved by {months} months is outside the calendar.",
            {"date": ["Too far in the past or the future."]},
        ) from error


def whole_months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when `end` is before `start`)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)
