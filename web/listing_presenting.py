"""A listing as its supplier and the authority read it on their pages: where its JSON is in the
API, and a pending revision's diff as rows of (what, current value, proposed value)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from catalogue.listings import revisions
from catalogue.models import (
    CatalogueItem,
    ChargeType,
    Hosting,
    ItemKind,
    ItemRevision,
    PricePeriod,
    PriceUnit,
    ServiceCategory,
)

from . import presenting

FIELD_LABELS = {
    "name": "Name",
    "summary": "Summary",
    "description": "Description",
    "hosting": "Hosting",
    "rfa_version": "Requirements for Accreditation version",
    "category": "Service category",
    "parent_id": "Principal system",
}
PRICE_LABELS = {
    "name": "name",
    "description": "description",
    "unit": "unit",
    "period": "period",
    "tier_calculation": "tier calculation",
    "charge_type": "charge type",
    "funding": "funding",
    "effective_from": "effective from",
    "effective_to": "effective to",
    "tiers": "amount",
    "amount": "amount",
}
NOTHING = "(none)"
_VOCABULARIES: dict[str, type[StrEnum]] = {
    "hosting": Hosting,
    "category": ServiceCategory,
    "unit": PriceUnit,
    "period": PricePeriod,
    "charge_type": ChargeType,
}


@dataclass(frozen=True)
class DiffRow:
    what: str
    current: str
    proposed: str


def api_path(item: CatalogueItem) -> str:
    """The listing in the API (a supplier reads its own drafts there with its token)."""
    collection = "services" if item.kind is ItemKind.SERVICE else "systems"
    return f"/api/v1/{collection}/{item.id}"


def page_path(item: CatalogueItem) -> str:
    """The listing's public page (published listings only are public)."""
    collection = "services" if item.kind is ItemKind.SERVICE else "systems"
    return f"/{collection}/{item.id}"


def _money(value: Any) -> str:
    try:
        return presenting.money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _tiers(tiers: list[dict[str, Any]], unit: Any) -> str:
    if len(tiers) == 1 and tiers[0].get("upper_bound") is None:
        return _money(tiers[0]["amount"])
    try:
        unit_code = PriceUnit(unit)
    except ValueError:
        unit_code = PriceUnit.ITEM
    return "; ".join(
        f"{presenting.tier_band(t['lower_bound'], t.get('upper_bound'), unit_code)}: "
        f"{_money(t['amount'])}"
        for t in tiers
    )


def value_text(name: str, value: Any, spec: dict[str, Any] | None = None) -> str:
    """One field's value as a person reads it."""
    if value is None or value == "":
        return NOTHING
    if name == "tiers" and isinstance(value, list):
        return _tiers(value, (spec or {}).get("unit"))
    if name == "amount":
        return _money(value)
    vocabulary = _VOCABULARIES.get(name)
    if vocabulary is not None:
        try:
            return presenting.words(vocabulary(value))
        except ValueError:
            pass  # a code this page does not know: shown as it is
    return str(value)


def price_text(spec: dict[str, Any]) -> str:
    """A whole price in one line: "Annual licence: £3,000.00 per practice a year"."""
    if spec.get("tiers"):
        amount = _tiers(spec["tiers"], spec.get("unit"))
    else:
        amount = value_text("amount", spec.get("amount"))
    unit, period = spec.get("unit"), spec.get("period")
    words = " ".join(
        value_text(name, code) for name, code in (("unit", unit), ("period", period)) if code
    )
    return f"{spec.get('name')}: {amount} {words}".strip()


def diff_rows(item: CatalogueItem, revision: ItemRevision) -> list[DiffRow]:
    """What approving the revision would change, one row per field or price changed."""
    diff = revisions.diff(item, revision)
    rows = [
        DiffRow(
            FIELD_LABELS.get(name, name), value_text(name, c["from"]), value_text(name, c["to"])
        )
        for name, c in diff["fields"].items()
    ]
    published = {price.id: price.name for price in item.prices}
    for changed in diff["prices"]["changed"]:
        name = published.get(changed["id"], f"price {changed['id']}")
        for key, change in changed["changes"].items():
            rows.append(
                DiffRow(
                    f"Price “{name}”: {PRICE_LABELS.get(key, key)}",
                    value_text(key, change["from"], {"unit": _unit_of(item, changed["id"])}),
                    value_text(key, change["to"], {"unit": _unit_of(item, changed["id"])}),
                )
            )
    for added in diff["prices"]["added"]:
        rows.append(DiffRow(f"New price “{added.get('name')}”", NOTHING, price_text(added)))
    for removed in diff["prices"]["removed"]:
        rows.append(DiffRow(f"Price “{removed.get('name')}” removed", price_text(removed), NOTHING))
    return rows


def _unit_of(item: CatalogueItem, price_id: int) -> str | None:
    for price in item.prices:
        if price.id == price_id:
            return price.unit.value
    return None
