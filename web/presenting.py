"""Words for the catalogue's codes, and money as people read it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from catalogue.funding import CENTRAL_FUNDING_MIN_LEVEL
from catalogue.models import (
    Hosting,
    ItemKind,
    PricePeriod,
    PriceUnit,
    ServiceCategory,
    TierCalculation,
)
from catalogue.pricing import to_pennies

KIND_WORDS = {
    ItemKind.SYSTEM: "GP clinical system",
    ItemKind.MODULE: "Module",
    ItemKind.SERVICE: "Service",
}
KIND_PLURALS = {
    ItemKind.SYSTEM: "Systems",
    ItemKind.MODULE: "Modules",
    ItemKind.SERVICE: "Services",
}
HOSTING_WORDS = {
    Hosting.HOSTED: "Hosted by the supplier",
    Hosting.PRACTICE_BASED: "Practice-based (on the practice's own servers)",
}
HOSTING_SHORT = {Hosting.HOSTED: "Hosted", Hosting.PRACTICE_BASED: "Practice-based"}
UNIT_WORDS = {
    PriceUnit.PRACTICE: "per practice",
    PriceUnit.PATIENT: "per registered patient",
    PriceUnit.USER: "per user",
    PriceUnit.DAY: "per day",
    PriceUnit.MIGRATION: "per migration",
    PriceUnit.DEVICE: "per device",
    PriceUnit.ITEM: "per item",
}
UNIT_NOUNS = {
    PriceUnit.PRACTICE: ("practice", "practices"),
    PriceUnit.PATIENT: ("patient", "patients"),
    PriceUnit.USER: ("user", "users"),
    PriceUnit.DAY: ("day", "days"),
    PriceUnit.MIGRATION: ("migration", "migrations"),
    PriceUnit.DEVICE: ("device", "devices"),
    PriceUnit.ITEM: ("item", "items"),
}
PERIOD_WORDS = {
    PricePeriod.ONE_OFF: "one-off",
    PricePeriod.MONTH: "a month",
    PricePeriod.YEAR: "a year",
}
CATEGORY_WORDS = {
    ServiceCategory.DEPLOYMENT: "Deployment",
    ServiceCategory.MIGRATION: "Data migration",
    ServiceCategory.DATA_EXTRACT: "Data extract",
    ServiceCategory.TRAINING: "Training",
    ServiceCategory.AUDIT_TRAIL_RETRIEVAL: "Audit trail retrieval",
    ServiceCategory.SINGLE_USER_RETENTION: "Single-user retention of the old system",
    ServiceCategory.HOSTING: "Hosting",
    ServiceCategory.SUPPORT: "Support",
    ServiceCategory.HARDWARE: "Hardware",
    ServiceCategory.OTHER: "Other",
}
TIER_WORDS = {
    TierCalculation.VOLUME: (
        "Volume pricing: every unit is charged at the rate of the band the total quantity falls in."
    ),
    TierCalculation.CUMULATIVE: (
        "Cumulative pricing: the units in each band are charged at that band's own rate, and "
        "the bands are added up."
    ),
}


def money(amount: Decimal | str | None) -> str:
    """£1,234.56; amounts below a penny per unit keep their extra places (£0.4567)."""
    if amount is None:
        return ""
    value = Decimal(amount)
    if value != to_pennies(value):
        return f"£{value.normalize():,f}"
    return f"£{to_pennies(value):,.2f}"


_WORDS_BY_VOCABULARY: dict[type, dict[Any, str]] = {
    ItemKind: KIND_WORDS,
    Hosting: HOSTING_WORDS,
    PriceUnit: UNIT_WORDS,
    PricePeriod: PERIOD_WORDS,
    ServiceCategory: CATEGORY_WORDS,
}


def words(value: Any) -> str:
    """A readable phrase for any of the catalogue's codes (by its vocabulary: "migration" is a
    service category and a price unit)."""
    table = _WORDS_BY_VOCABULARY.get(type(value), {})
    if value in table:
        return table[value]
    return str(value).replace("_", " ").capitalize()


def tier_band(lower: int, upper: int | None, unit: PriceUnit) -> str:
    singular, plural = UNIT_NOUNS.get(unit, ("unit", "units"))
    if upper is None:
        return f"{lower:,} {singular if lower == 1 else plural} or more"
    if lower == upper:
        return f"{lower:,} {singular if lower == 1 else plural}"
    return f"{lower:,} to {upper:,} {plural}"


def level_meaning(level: int) -> str:
    """Why a maturity level matters when a practice chooses."""
    if level >= CENTRAL_FUNDING_MIN_LEVEL:
        return (
            f"At Level {level}, the system meets the Level {CENTRAL_FUNDING_MIN_LEVEL} "
            "requirements, so its Lot 1 licence and level increments can be funded centrally: "
            "the practice's commissioner does not pay for them."
        )
    if level == 0:
        return (
            "The system has not reached Level 1 (it lacks accredited core capabilities). "
            f"Central funding needs Level {CENTRAL_FUNDING_MIN_LEVEL}, so the commissioner "
            "pays for everything."
        )
    return (
        f"Central funding needs Level {CENTRAL_FUNDING_MIN_LEVEL}; at Level {level} the "
        "commissioner pays for the licence locally."
    )
