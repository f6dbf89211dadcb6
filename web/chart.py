"""The cost-per-year chart of a comparison: an SVG drawn on the server, readable without colour
(every bar carries its item's name and amount in text, and bars alternate solid and hatched)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from math import ceil

from catalogue.pricing import MONTHS_PER_YEAR, ZERO, to_pennies

from .presenting import money

WIDTH = 760
LABEL_WIDTH = 250
VALUE_ROOM = 110
BAR_HEIGHT = 22
BAR_GAP = 6
GROUP_GAP = 26
TOP = 10


def cost_per_year(cost: dict, term_months: int) -> list[Decimal]:
    """A whole-life cost report's money by year of the term: one-off charges fall in the first
    year, recurring charges pro rata by the months of each year (a part year at the end)."""
    years = ceil(term_months / MONTHS_PER_YEAR)
    amounts = []
    for year in range(years):
        months = min(MONTHS_PER_YEAR, term_months - year * MONTHS_PER_YEAR)
        amount = Decimal(cost["recurring_per_year"]) * months / MONTHS_PER_YEAR
        if year == 0:
            amount += Decimal(cost["one_off"])
        amounts.append(to_pennies(amount))
    return amounts


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Decimal
    x: float
    y: float
    width: float
    hatched: bool
    text_y: float
    value_x: float


@dataclass(frozen=True)
class Group:
    heading: str
    y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    groups: list[Group]
    title: str
    description: str


def _short(name: str, limit: int = 30) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def cost_chart(names: list[str], yearly: list[list[Decimal]]) -> Chart:
    """Bars grouped by year, one bar an item; `yearly[i]` is item i's cost per year."""
    years = max((len(amounts) for amounts in yearly), default=0)
    biggest = max((a for amounts in yearly for a in amounts), default=ZERO) or Decimal(1)
    scale = (WIDTH - LABEL_WIDTH - VALUE_ROOM) / float(biggest)
    groups = []
    y = TOP
    for year in range(years):
        heading_y = y + 16
        y += 24
        bars = []
        for index, (name, amounts) in enumerate(zip(names, yearly, strict=True)):
            amount = amounts[year] if year < len(amounts) else ZERO
            width = max(float(amount) * scale, 1.0)
            bars.append(
                Bar(
                    label=_short(name),
                    amount=amount,
                    x=LABEL_WIDTH,
                    y=y,
                    width=width,
                    hatched=index % 2 == 1,
                    text_y=y + BAR_HEIGHT * 0.7,
                    value_x=LABEL_WIDTH + width + 6,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        groups.append(Group(f"Year {year + 1}", heading_y, bars))
        y += GROUP_GAP - BAR_GAP
    description = "; ".join(
        f"Year {year + 1}: "
        + ", ".join(
            f"{name} {money(amounts[year])}"
            for name, amounts in zip(names, yearly, strict=True)
            if year < len(amounts)
        )
        for year in range(years)
    )
    return Chart(
        width=WIDTH,
        height=int(y + TOP),
        groups=groups,
        title="Cost per year of the term",
        description=description,
    )
