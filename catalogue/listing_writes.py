"""Suppliers writing their own listings: items and their prices.

A draft item changes in place. A published (or suspended) item never does: the change is held
as a pending revision (catalogue.revisions) until the authority approves it, so the public
keeps seeing what was published. An item is one unit of concurrency: every write to it or its
prices bumps its version, which is what its ETag is made from.

Prices travel as "specs": JSON-safe dicts (enum values, ISO dates, decimal strings) so that the
same shape is validated here, stored in a revision and applied on approval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from . import audit
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .models import (
    CatalogueItem,
    Framework,
    FrameworkStatus,
    Funding,
    Hosting,
    ItemKind,
    ItemStatus,
    Lot,
    Price,
    PricePeriod,
    PriceTier,
    PriceUnit,
    ServiceCategory,
    TierCalculation,
    utcnow,
)
from .principal import Principal, Role
from .seed import validate_tiers
from .validation import DESCRIPTION_MAX, NAME_MAX, SUMMARY_MAX, FieldErrors

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
)
PRICE_FIELDS = (
    "name",
    "description",
    "unit",
    "period",
    "tier_calculation",
    "funding",
    "effective_from",
    "effective_to",
    "tiers",
)


# --------------------------------------------------------------------------- snapshots


def money_text(value: Decimal) -> str:
    """One spelling per amount ("3000.00", "0.055"), so that specs compare equal."""
    whole, _, fraction = format(value.normalize(), "f").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def item_fields(item: CatalogueItem) -> dict[str, Any]:
    """The supplier-editable fields of an item, JSON-safe."""
    return {name: _plain(getattr(item, name)) for name in EDITABLE_FIELDS}


def price_spec(price: Price) -> dict[str, Any]:
    spec: dict[str, Any] = {"id": price.id}
    for name in PRICE_FIELDS[:-1]:
        spec[name] = _plain(getattr(price, name))
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
    if before is not None and after is not None:
        before, after = audit.changes(before, after)
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        item.id,
        before=before,
        after=after,
        supplier_id=item.supplier_id,
    )


# --------------------------------------------------------------------------- rules


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


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (slug or "item")[:80]


def _unique_slug(session: Session, name: str) -> str:
    base = _slugify(name)
    taken = set(
        session.scalars(
            select(CatalogueItem.slug).where(
                (CatalogueItem.slug == base) | CatalogueItem.slug.like(f"{base}-%")
            )
        )
    )
    slug, counter = base, 1
    while slug in taken:
        counter += 1
        slug = f"{base}-{counter}"
    return slug


def _enum_value(errors: FieldErrors, field: str, enum_class: type, value: Any, *, required: bool):
    if value is None:
        if required:
            errors.add(field, "Required.")
        return None
    try:
        return enum_class(_plain(value)).value
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        errors.add(field, f"Must be one of: {allowed}.")
        return None


def _validate_fields(
    session: Session,
    errors: FieldErrors,
    kind: ItemKind,
    supplier_id: int,
    framework_id: int,
    fields: Mapping[str, Any],
    item_id: int | None = None,
) -> dict[str, Any]:
    """Check the editable fields of an item of `kind`; returns them JSON-safe."""
    clean = {name: _plain(fields.get(name)) for name in EDITABLE_FIELDS}
    errors.text("name", clean["name"], NAME_MAX, required=True)
    errors.text("summary", clean["summary"] or "", SUMMARY_MAX, required=False)
    errors.text("description", clean["description"] or "", DESCRIPTION_MAX, required=False)
    errors.text("rfa_version", clean["rfa_version"], RFA_MAX, required=False)
    clean["summary"] = clean["summary"] or ""
    clean["description"] = clean["description"] or ""
    clean["hosting"] = _enum_value(errors, "hosting", Hosting, clean["hosting"], required=True)
    if kind is ItemKind.SERVICE:
        clean["category"] = _enum_value(
            errors, "category", ServiceCategory, clean["category"], required=True
        )
    elif clean["category"] is not None:
        errors.add("category", "Only services have a category.")
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
    spec["unit"] = _enum_value(errors, key("unit"), PriceUnit, data.get("unit"), required=True)
    spec["period"] = _enum_value(
        errors, key("period"), PricePeriod, data.get("period"), required=True
    )
    spec["tier_calculation"] = _enum_value(
        errors,
        key("tier_calculation"),
        TierCalculation,
        data.get("tier_calculation") or TierCalculation.VOLUME,
        required=True,
    )
    spec["funding"] = _enum_value(
        errors, key("funding"), Funding, data.get("funding"), required=False
    )
    effective_from, effective_to = data.get("effective_from"), data.get("effective_to")
    if isinstance(effective_from, str):
        effective_from = _parse_date(errors, key("effective_from"), effective_from)
    if isinstance(effective_to, str):
        effective_to = _parse_date(errors, key("effective_to"), effective_to)
    if effective_from is None:
        errors.add(key("effective_from"), "Required.")
    if effective_from and effective_to and effective_to < effective_from:
        errors.add(key("effective_to"), "Cannot be before effective_from.")
    spec["effective_from"] = _plain(effective_from)
    spec["effective_to"] = _plain(effective_to)

    amount, tiers = data.get("amount"), data.get("tiers")
    if (amount is None) == (tiers is None):
        errors.add(key("tiers"), "Give either amount (a flat price) or tiers, not both.")
        spec["tiers"] = []
        return spec
    if amount is not None:
        tiers = [{"lower_bound": 1, "upper_bound": None, "amount": amount}]
    spec["tiers"] = []
    for position, tier in enumerate(tiers):
        value = tier.get("amount")
        if isinstance(value, str):
            try:
                value = Decimal(value)
            except ArithmeticError:
                value = None
        field = key("amount") if amount is not None else key(f"tiers.{position}.amount")
        errors.money(field, value)
        spec["tiers"].append(
            {
                "lower_bound": tier.get("lower_bound"),
                "upper_bound": tier.get("upper_bound"),
                "amount": _plain(value),
            }
        )
    bounds = [(t["lower_bound"], t["upper_bound"]) for t in spec["tiers"]]
    if not all(_is_count(lower) and (upper is None or _is_count(upper)) for lower, upper in bounds):
        errors.add(key("tiers"), "Bounds are whole numbers from 1.")
    else:
        try:
            validate_tiers(bounds)
        except ValueError as error:
            errors.add(key("tiers"), f"{str(error).capitalize()}.")
    return spec


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


# --------------------------------------------------------------------------- items


def create_item(
    session: Session, actor: Principal, kinds: frozenset[ItemKind], data: Mapping[str, Any]
) -> CatalogueItem:
    """A supplier lists a new item, as a draft, on a lot of an open or live framework."""
    if actor.role is not Role.SUPPLIER or actor.supplier_id is None:
        raise Forbidden("Only a supplier lists items (its own).")
    errors = FieldErrors()
    kind = _enum_value(errors, "kind", ItemKind, data.get("kind"), required=True)
    if kind is not None and ItemKind(kind) not in kinds:
        errors.add("kind", f"Must be one of: {', '.join(sorted(k.value for k in kinds))}.")
        kind = None
    lot = session.scalars(
        select(Lot)
        .join(Framework)
        .where(Framework.slug == data.get("framework"), Lot.number == data.get("lot"))
    ).first()
    if lot is None:
        errors.add("lot", f"No lot {data.get('lot')} in framework {data.get('framework')!r}.")
    elif lot.framework.status not in LISTABLE_FRAMEWORK_STATUSES:
        errors.add(
            "framework", f"The framework is {lot.framework.status.value}; it takes no listings."
        )
    fields = {}
    if kind is not None and lot is not None:
        fields = _validate_fields(
            session, errors, ItemKind(kind), actor.supplier_id, lot.framework_id, data
        )
    specs = [
        validate_price(errors, price, field_prefix=f"prices.{position}.")
        for position, price in enumerate(data.get("prices") or [])
    ]
    check_price_names(errors, specs, "prices")
    errors.raise_if_any("The item cannot be listed as given.")
    assert lot is not None and kind is not None

    item = CatalogueItem(
        slug=_unique_slug(session, fields["name"]),
        kind=ItemKind(kind),
        supplier_id=actor.supplier_id,
        lot=lot,
        status=ItemStatus.DRAFT,
        maturity_level=0,
    )
    apply_fields(item, fields)
    item.prices = [new_price(spec) for spec in specs]
    session.add(item)
    session.flush()
    record(session, actor, "item.create", item, None, item_snapshot(item))
    return item


def update_item(
    session: Session, actor: Principal, item: CatalogueItem, changes: Mapping[str, Any]
) -> CatalogueItem | Any:
    """Change an item's fields: in place for a draft, as a pending revision once published.
    Returns the item, or the revision holding the change."""
    from . import revisions  # revisions builds on this module

    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:
        return revisions.propose_fields(session, actor, item, changes)
    errors = FieldErrors()
    fields = _validate_fields(
        session,
        errors,
        item.kind,
        item.supplier_id,
        item.lot.framework_id,
        {**item_fields(item), **changes},
        item_id=item.id,
    )
    errors.raise_if_any("The change is not valid.")
    before = item_snapshot(item)
    claim(item)
    apply_fields(item, fields)
    session.flush()
    record(session, actor, "item.update", item, before, item_snapshot(item))
    return item


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
    clean = _validate_fields(
        session, errors, item.kind, item.supplier_id, item.lot.framework_id, fields, item.id
    )
    errors.raise_if_any("The change is not valid.")
    return clean


# --------------------------------------------------------------------------- prices


def find_price(item: CatalogueItem, price_id: int) -> Price:
    for price in item.prices:
        if price.id == price_id:
            return price
    raise NotFound(f"Item {item.id} has no price {price_id}.")


def create_price(
    session: Session, actor: Principal, item: CatalogueItem, data: Mapping[str, Any]
) -> Price | Any:
    """Add a price: at once on a draft, as a pending revision on a published item."""
    from . import revisions

    ensure_owner(actor, item)
    ensure_editable(item)
    errors = FieldErrors()
    spec = validate_price(errors, data)
    errors.raise_if_any("The price is not valid.")
    if item.status in REVISED_STATUSES:
        return revisions.propose_price_create(session, actor, item, spec)
    _check_names_against(item, spec, exclude_id=None)
    before = item_snapshot(item)
    claim(item)
    price = new_price(spec)
    item.prices.append(price)
    session.flush()
    record(session, actor, "item.price.create", item, before, item_snapshot(item))
    return price


def update_price(
    session: Session,
    actor: Principal,
    item: CatalogueItem,
    price_id: int,
    changes: Mapping[str, Any],
) -> Price | Any:
    from . import revisions

    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:
        return revisions.propose_price_update(session, actor, item, price_id, changes)
    price = find_price(item, price_id)
    errors = FieldErrors()
    spec = validate_price(errors, merged_price_spec(price_spec(price), changes))
    errors.raise_if_any("The price is not valid.")
    _check_names_against(item, spec, exclude_id=price.id)
    before = item_snapshot(item)
    claim(item)
    apply_price(price, spec)
    session.flush()
    record(session, actor, "item.price.update", item, before, item_snapshot(item))
    return price


def delete_price(
    session: Session, actor: Principal, item: CatalogueItem, price_id: int
) -> Any | None:
    from . import revisions

    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:
        return revisions.propose_price_delete(session, actor, item, price_id)
    price = find_price(item, price_id)
    before = item_snapshot(item)
    claim(item)
    item.prices.remove(price)
    session.flush()
    record(session, actor, "item.price.delete", item, before, item_snapshot(item))
    return None


def _check_names_against(item: CatalogueItem, spec: Mapping[str, Any], exclude_id) -> None:
    others = [p.name.casefold() for p in item.prices if p.id != exclude_id]
    if spec["name"].casefold() in others:
        raise InvalidInput(
            "The price is not valid.", {"name": ["The item already has a price of that name."]}
        )
