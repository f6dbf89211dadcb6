"""The rules every change to a listing obeys: who may change it, which statuses may change,
how fields and prices are validated, and how a change is recorded (snapshot, version claim,
audit event).

Prices travel as "specs": JSON-safe dicts (enum values, ISO dates, decimal strings) so that the
same shape is validated here, stored in a revision and applied on approval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from catalogue import audit
from catalogue.errors import Conflict, Forbidden
from catalogue.funding import payer_error
from catalogue.infrastructure import class_of
from catalogue.listings.roadmaps import roadmap_specs
from catalogue.models import (
    CatalogueItem,
    ChargeType,
    FrameworkStatus,
    Funding,
    Hosting,
    InfrastructureCategory,
    ItemKind,
    ItemStatus,
    Price,
    PricePeriod,
    PriceTier,
    PriceUnit,
    ServiceCategory,
    TierCalculation,
    utcnow,
)
from catalogue.plain import money_text, plain
from catalogue.pricing import validate_tiers
from catalogue.principal import Principal
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, SUMMARY_MAX, FieldErrors

OBJECT_TYPE = "catalogue_item"


RFA_MAX = 32


# Frameworks a supplier may list new items on.
LISTABLE_FRAMEWORK_STATUSES = frozenset({FrameworkStatus.OPEN, FrameworkStatus.LIVE})


# Statuses in which a change is held as a pending revision rather than applied.
REVISED_STATUSES = frozenset({ItemStatus.PUBLISHED, ItemStatus.SUSPENDED})


EDITABLE_FIELDS = (
    "name",
    "summary",
    "description",
    "hosting",
    "rfa_version",
    "category",
    "parent_id",
    "infrastructure_category",
)


PRICE_FIELDS = (
    "name",
    "description",
    "unit",
    "period",
    "tier_calculation",
    "charge_type",
    "funding",
    "effective_from",
    "effective_to",
    "tiers",
)


def item_fields(item: CatalogueItem) -> dict[str, Any]:
    """The supplier-editable fields of an item, JSON-safe."""
    return {name: plain(getattr(item, name)) for name in EDITABLE_FIELDS}


def price_spec(price: Price) -> dict[str, Any]:
    spec: dict[str, Any] = {"id": price.id}
    for name in PRICE_FIELDS[:-1]:
        spec[name] = plain(getattr(price, name))
    spec["tiers"] = [
        {"lower_bound": t.lower_bound, "upper_bound": t.upper_bound, "amount": money_text(t.amount)}
        for t in price.tiers
    ]
    return spec


def item_snapshot(item: CatalogueItem) -> dict[str, Any]:
    """Everything about an item worth recording in the audit trail."""
    return {
        **item_fields(item),
        "status": item.status.value,
        "maturity_level": item.maturity_level,
        "capabilities": sorted(item.capability_codes),
        "prices": [price_spec(price) for price in item.prices],
        "roadmap": roadmap_specs(item),
    }


def record(
    session: Session,
    actor: Principal,
    action: str,
    item: CatalogueItem,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """An audit event on an item: only the fields that changed when both sides are known."""
    audit.record_change(
        session, actor, action, OBJECT_TYPE, item.id, before, after, supplier_id=item.supplier_id
    )


def ensure_owner(actor: Principal, item: CatalogueItem) -> None:
    """Only the supplier that owns an item may change its content."""
    if not actor.is_supplier(item.supplier_id):
        raise Forbidden("Only the supplier that owns this item may change it.")


def claim(item: CatalogueItem, *, visible: bool = True) -> None:
    """Mark the item changed, so that the flush bumps its version exactly once per write and,
    through the version check, fails (StaleDataError, a 412) for the second of two writers that
    read the same version. `visible=False` leaves updated_at alone: the public listing did not
    change, only its pending revision did."""
    if visible:
        item.updated_at = utcnow()
    else:
        flag_modified(item, "updated_at")


def enum_value(
    errors: FieldErrors, field: str, enum_class: type[StrEnum], value: Any, *, required: bool
) -> str | None:
    if value is None:
        if required:
            errors.add(field, "Required.")
        return None
    try:
        return enum_class(plain(value)).value
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        errors.add(field, f"Must be one of: {allowed}.")
        return None


def _payer(errors: FieldErrors, field: str, value: Any) -> str | None:
    """A price's own payer, or None (the rules decide)."""
    if value is None:
        return None
    if plain(value) not in {payer.value for payer in Funding}:
        errors.add(field, payer_error(plain(value)))
        return None
    return Funding(plain(value)).value


def validate_fields(
    session: Session,
    errors: FieldErrors,
    kind: ItemKind,
    supplier_id: int,
    framework_id: int,
    fields: Mapping[str, Any],
    item_id: int | None = None,
) -> dict[str, Any]:
    """Check the editable fields of an item of `kind`; returns them JSON-safe."""
    clean = {name: plain(fields.get(name)) for name in EDITABLE_FIELDS}
    errors.text("name", clean["name"], NAME_MAX, required=True)
    errors.text("summary", clean["summary"] or "", SUMMARY_MAX, required=False)
    errors.text("description", clean["description"] or "", DESCRIPTION_MAX, required=False)
    errors.text("rfa_version", clean["rfa_version"], RFA_MAX, required=False)
    clean["summary"] = clean["summary"] or ""
    clean["description"] = clean["description"] or ""
    clean["hosting"] = enum_value(errors, "hosting", Hosting, clean["hosting"], required=True)
    if kind is ItemKind.SERVICE:
        clean["category"] = enum_value(
            errors, "category", ServiceCategory, clean["category"], required=True
        )
    elif clean["category"] is not None:
        errors.add("category", "Only services have a category.")
    clean["infrastructure_category"] = enum_value(
        errors,
        "infrastructure_category",
        InfrastructureCategory,
        clean["infrastructure_category"],
        required=False,
    )
    parent_id = clean["parent_id"]
    if kind is ItemKind.SYSTEM and parent_id is not None:
        errors.add("parent_id", "A principal system belongs to no other item.")
    elif kind is ItemKind.MODULE and parent_id is None:
        errors.add("parent_id", "A module needs the id of the principal system it extends.")
    if parent_id is not None and kind is not ItemKind.SYSTEM:
        parent = session.get(CatalogueItem, parent_id)
        if (
            parent is None
            or parent.id == item_id
            or parent.kind is not ItemKind.SYSTEM
            or parent.supplier_id != supplier_id
            or parent.status is ItemStatus.WITHDRAWN
        ):
            errors.add("parent_id", "Must be one of your own principal systems, not withdrawn.")
        elif parent.lot.framework_id != framework_id:
            errors.add("parent_id", "The parent system is on another framework.")
    return clean


def validate_price(
    errors: FieldErrors, data: Mapping[str, Any], field_prefix: str = ""
) -> dict[str, Any]:
    """Check one price; returns its spec (without an id). Tiers start at 1, are contiguous and
    the last is open-ended; `amount` is shorthand for one such tier (a flat price)."""

    def key(name: str) -> str:
        return f"{field_prefix}{name}"

    spec: dict[str, Any] = {}
    errors.text(key("name"), data.get("name"), NAME_MAX, required=True)
    spec["name"] = (data.get("name") or "").strip()
    description = data.get("description") or ""
    errors.text(key("description"), description, DESCRIPTION_MAX, required=False)
    spec["description"] = description
    currency = data.get("currency", "GBP")
    if currency != "GBP":
        errors.add(key("currency"), "Prices are in GBP only.")
    spec["unit"] = enum_value(errors, key("unit"), PriceUnit, data.get("unit"), required=True)
    spec["period"] = enum_value(
        errors, key("period"), PricePeriod, data.get("period"), required=True
    )
    spec["tier_calculation"] = enum_value(
        errors,
        key("tier_calculation"),
        TierCalculation,
        data.get("tier_calculation") or TierCalculation.VOLUME,
        required=True,
    )
    spec["charge_type"] = enum_value(
        errors, key("charge_type"), ChargeType, data.get("charge_type"), required=True
    )
    spec["funding"] = _payer(errors, key("funding"), data.get("funding"))
    spec["effective_from"], spec["effective_to"] = _effective_dates(errors, data, key)
    spec["tiers"] = _tier_specs(errors, data, key)
    return spec


def _effective_dates(
    errors: FieldErrors, data: Mapping[str, Any], key: Callable[[str], str]
) -> tuple[Any, Any]:
    """The price's effective_from (required) and effective_to, JSON-safe."""
    effective_from, effective_to = data.get("effective_from"), data.get("effective_to")
    if isinstance(effective_from, str):
        effective_from = _parse_date(errors, key("effective_from"), effective_from)
    if isinstance(effective_to, str):
        effective_to = _parse_date(errors, key("effective_to"), effective_to)
    if effective_from is None:
        errors.add(key("effective_from"), "Required.")
    if effective_from and effective_to and effective_to < effective_from:
        errors.add(key("effective_to"), "Cannot be before effective_from.")
    return plain(effective_from), plain(effective_to)


def _tier_specs(
    errors: FieldErrors, data: Mapping[str, Any], key: Callable[[str], str]
) -> list[dict[str, Any]]:
    """The price's tiers, given or made of its flat `amount`, checked."""
    amount, tiers = data.get("amount"), data.get("tiers")
    if (amount is None) == (tiers is None):
        errors.add(key("tiers"), "Give either amount (a flat price) or tiers, not both.")
        return []
    if amount is not None:
        tiers = [{"lower_bound": 1, "upper_bound": None, "amount": amount}]
    specs = []
    for position, tier in enumerate(tiers or []):  # tiers given, or made of the amount
        value = tier.get("amount")
        if isinstance(value, str):
            try:
                value = Decimal(value)
            except ArithmeticError:
                value = None
        field = key("amount") if amount is not None else key(f"tiers.{position}.amount")
        errors.money(field, value)
        specs.append(
            {
                "lower_bound": tier.get("lower_bound"),
                "upper_bound": tier.get("upper_bound"),
                "amount": plain(value),
            }
        )
    bounds = [(t["lower_bound"], t["upper_bound"]) for t in specs]
    if not all(_is_count(lower) and (upper is None or _is_count(upper)) for lower, upper in bounds):
        errors.add(key("tiers"), "Bounds are whole numbers from 1.")
    else:
        try:
            validate_tiers(bounds)
        except ValueError as error:
            errors.add(key("tiers"), f"{str(error).capitalize()}.")
    return specs


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _parse_date(errors: FieldErrors, field: str, value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(field, "Must be an ISO date.")
        return None


def check_price_names(errors: FieldErrors, specs: list[dict[str, Any]], field: str) -> None:
    names = [spec["name"].casefold() for spec in specs]
    if len(set(names)) != len(names):
        errors.add(field, "Each price of an item needs its own name.")


def merged_price_spec(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A price's spec with `changes` laid over it (new tiers or amount replace the old tiers)."""
    merged = {key: value for key, value in current.items() if key != "id"}
    merged.update({key: value for key, value in changes.items() if key not in ("amount", "tiers")})
    if "amount" in changes or "tiers" in changes:
        merged.pop("tiers")
        if changes.get("amount") is not None:
            merged["amount"] = changes["amount"]
        if changes.get("tiers") is not None:
            merged["tiers"] = changes["tiers"]
    return merged


def new_price(spec: Mapping[str, Any]) -> Price:
    price = Price(currency="GBP")
    apply_price(price, spec)
    return price


def apply_price(price: Price, spec: Mapping[str, Any]) -> None:
    """Set a Price row from a spec. Replacing tiers deletes the old ones first, since
    (price, lower_bound) is unique."""
    price.name = spec["name"]
    price.description = spec["description"]
    price.unit = PriceUnit(spec["unit"])
    price.period = PricePeriod(spec["period"])
    price.tier_calculation = TierCalculation(spec["tier_calculation"])
    price.charge_type = ChargeType(spec["charge_type"])
    price.funding = Funding(spec["funding"]) if spec["funding"] else None
    price.effective_from = date.fromisoformat(spec["effective_from"])
    price.effective_to = date.fromisoformat(spec["effective_to"]) if spec["effective_to"] else None
    wanted = [(t["lower_bound"], t["upper_bound"], Decimal(t["amount"])) for t in spec["tiers"]]
    if [(t.lower_bound, t.upper_bound, t.amount) for t in price.tiers] != wanted:
        session = Session.object_session(price)
        price.tiers.clear()
        if session is not None and price.id is not None:
            session.flush()
        price.tiers.extend(
            PriceTier(lower_bound=lower, upper_bound=upper, amount=amount)
            for lower, upper, amount in wanted
        )


def apply_fields(item: CatalogueItem, fields: Mapping[str, Any]) -> None:
    item.name = fields["name"].strip()
    item.summary = fields["summary"]
    item.description = fields["description"]
    item.hosting = Hosting(fields["hosting"])
    item.rfa_version = fields["rfa_version"]
    item.category = ServiceCategory(fields["category"]) if fields["category"] else None
    item.parent_id = fields["parent_id"]
    category = fields.get("infrastructure_category")
    heading = InfrastructureCategory(category) if category else None
    item.infrastructure_category = heading
    item.infrastructure_class = class_of(heading) if heading is not None else None


def ensure_editable(item: CatalogueItem) -> None:
    if item.status is ItemStatus.SUBMITTED:
        raise Conflict(
            "The item is with the authority for review; change it once it is published "
            "(as a revision) or sent back to draft.",
            {"status": [item.status.value]},
        )
    if item.status is ItemStatus.WITHDRAWN:
        raise Conflict("The item is withdrawn; it can no longer change.", {"status": ["withdrawn"]})


def validate_fields_for(session: Session, item: CatalogueItem, fields: Mapping[str, Any]) -> dict:
    """Validate a full set of editable fields for `item` (used by revisions)."""
    errors = FieldErrors()
    clean = validate_fields(
        session, errors, item.kind, item.supplier_id, item.lot.framework_id, fields, item.id
    )
    errors.raise_if_any("The change is not valid.")
    return clean
