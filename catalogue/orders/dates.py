"""Calendar arithmetic for orders: whole months, clamped to the end of shorter months
(dateutil's relativedelta), and the exact length in months of a period of days (see
`months_in`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Context, Decimal

from dateutil.relativedelta import relativedelta

from catalogue.errors import InvalidInput

_EXACT = Context(prec=34)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; 31 January + 1 month is 28 (or 29) February. A result
    outside the calendar (before year 1, after 9999) is an InvalidInput, never a crash."""
    try:
        moved: date = day + relativedelta(months=months)
        return moved
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


ONE_DAY = timedelta(days=1)


def _is_month_end(day: date) -> bool:
    last: date = day + relativedelta(day=31)  # relativedelta's day=31: the month's last day
    return day == last


def months_after(day: date, months: int) -> date:
    """The day `months` months after `day` by the corresponding date, the month's last day when
    it has none (31 January + 3 months is 30 April); from the last day of a month, the last day
    of the month reached (28 February 2027 + 3 months is 31 May), so that a period after a
    month end is whole calendar months."""
    moved = add_months(day, months)
    if _is_month_end(day):
        last: date = moved + relativedelta(day=31)
        return last
    return moved


def period_end(first: date, months: int) -> date:
    """The last day of a period of `months` months whose first day is `first`: a term from
    1 December 2026 for 36 months ends on 30 November 2029; from 1 March 2027 for 12 months, on
    29 February 2028."""
    return months_after(first - ONE_DAY, months)


def months_in(first: date, last: date) -> Decimal:
    """The length of the period `first`..`last` (both inclusive) in months, exactly: whole
    months by `months_after` from the day before `first`, then the days left over as a fraction
    of the month they fall in, by that month's length in days (28, 29, 30 or 31). So 1 February
    to 30 April is 3 months, 1 May 2027 to 30 November 2029 is 31, 1 to 14 February 2028 is
    14/29. Zero when `last` is before `first`."""
    if last < first:
        return Decimal(0)
    anchor = first - ONE_DAY
    whole = whole_months_between(anchor, last)
    while months_after(anchor, whole + 1) <= last:
        whole += 1
    while whole and months_after(anchor, whole) > last:
        whole -= 1
    reached = months_after(anchor, whole)
    days = (last - reached).days
    if days == 0:
        return Decimal(whole)
    month_length = (months_after(anchor, whole + 1) - reached).days
    return Decimal(whole) + _EXACT.divide(Decimal(days), Decimal(month_length))
