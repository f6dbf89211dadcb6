"""Suppliers writing their own listings: items and their prices.

A draft item changes in place. A published (or suspended) item never does: the change is held
as a pending revision (`revisions`) until the authority approves it, so the public keeps
seeing what was published. An item is one unit of concurrency: every write to it or its prices
bumps its version, which is what its ETag is made from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Forbidden, InvalidInput, NotFound
from catalogue.listings import revisions
from catalogue.listings.rules import (
    LISTABLE_FRAMEWORK_STATUSES,
    REVISED_STATUSES,
    apply_fields,
    apply_price,
    check_price_names,
    claim,
    ensure_editable,
    ensure_owner,
    enum_value,
    item_fields,
    item_snapshot,
    merged_price_spec,
    new_price,
    price_spec,
    record,
    validate_fields,
    validate_price,
)
from catalogue.models import (
    CatalogueItem,
    Framework,
    ItemKind,
    ItemStatus,
    Lot,
    Price,
)
from catalogue.principal import Principal, Role
from catalogue.validation import FieldErrors


def _slugify(name: str) -> str:
    """Lower-case ASCII words joined by hyphens, letters transliterated ("Café Ærø Système" is
    cafe-aero-systeme), at most 80 characters."""
    return slugify(name, max_length=80) or "item"


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


def create_item(
    session: Session, actor: Principal, kinds: frozenset[ItemKind], data: Mapping[str, Any]
) -> CatalogueItem:
    """A supplier lists a new item, as a draft, on a lot of an open or live framework."""
    if actor.role is not Role.SUPPLIER or actor.supplier_id is None:
        raise Forbidden("Only a supplier lists items (its own).")
    errors = FieldErrors()
    kind = enum_value(errors, "kind", ItemKind, data.get("kind"), required=True)
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
        fields = validate_fields(
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

    ensure_owner(actor, item)
    ensure_editable(item)
    if item.status in REVISED_STATUSES:
        return revisions.propose_fields(session, actor, item, changes)
    errors = FieldErrors()
    fields = validate_fields(
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


def find_price(item: CatalogueItem, price_id: int) -> Price:
    for price in item.prices:
        if price.id == price_id:
            return price
    raise NotFound(f"Item {item.id} has no price {price_id}.")


def create_price(
    session: Session, actor: Principal, item: CatalogueItem, data: Mapping[str, Any]
) -> Price | Any:
    """Add a price: at once on a draft, as a pending revision on a published item."""

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


def _check_names_against(
    item: CatalogueItem, spec: Mapping[str, Any], exclude_id: int | None
) -> None:
    others = [p.name.casefold() for p in item.prices if p.id != exclude_id]
    if spec["name"].casefold() in others:
        raise InvalidInput(
            "The price is not valid.", {"name": ["The item already has a price of that name."]}
        )
