"""Turns parsed query arguments into the catalogue's listing filters."""

from collections.abc import Collection, Mapping
from typing import Any

from catalogue.listings import PUBLIC, ItemFilters, Visibility
from catalogue.models import ItemKind, ItemStatus


def item_filters(
    args: Mapping[str, Any], kinds: Collection[ItemKind], visibility: Visibility = PUBLIC
) -> ItemFilters:
    kind = args.get("kind")
    status = args.get("status")
    return ItemFilters(
        kinds=frozenset({ItemKind(kind)}) if kind is not None else frozenset(kinds),
        framework=args.get("framework"),
        lot=args.get("lot"),
        supplier_id=args.get("supplier"),
        capabilities=tuple(args.get("capability") or ()),
        min_maturity_level=args.get("maturity_level"),
        hosting=args.get("hosting"),
        category=args.get("category"),
        parent_id=args.get("system"),
        status=ItemStatus(status) if status is not None else None,
        visibility=visibility,
    )
