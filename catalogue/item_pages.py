"""A fast read model of catalogue items for list pages.

Listing pages are the hottest read path (DESIGN.md budgets 20 ms for 50 items with prices at
50,000 items). Loading full ORM graphs for them costs more than the SQL itself, so pages are
read with four Core queries whose number does not depend on the page size, into plain records.
Single items keep using the ORM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from .models import Capability, CatalogueItem, Framework, Lot, Price, PriceTier, Supplier
from .models import item_capability as item_capability_table

_parent = aliased(CatalogueItem)

ITEM_COLUMNS = (
    CatalogueItem.id,
    CatalogueItem.slug,
    CatalogueItem.kind,
    CatalogueItem.name,
    CatalogueItem.summary,
    CatalogueItem.description,
    CatalogueItem.category,
    CatalogueItem.hosting,
    CatalogueItem.rfa_version,
    CatalogueItem.status,
    CatalogueItem.maturity_level,
    CatalogueItem.accredited_on,
    CatalogueItem.version,
    CatalogueItem.published_at,
    CatalogueItem.updated_at,
    Supplier.id.label("supplier_id"),
    Supplier.slug.label("supplier_slug"),
    Supplier.name.label("supplier_name"),
    Lot.number.label("lot_number"),
    Lot.name.label("lot_name"),
    Framework.slug.label("framework_slug"),
    Framework.name.label("framework_name"),
    Framework.status.label("framework_status"),
    _parent.id.label("parent_id"),
    _parent.kind.label("parent_kind"),
    _parent.name.label("parent_name"),
)

PRICE_COLUMNS = (
    Price.item_id,
    Price.id,
    Price.name,
    Price.description,
    Price.currency,
    Price.unit,
    Price.period,
    Price.tier_calculation,
    Price.funding,
    Price.effective_from,
    Price.effective_to,
    Price.illustrative,
    Price.source,
    PriceTier.lower_bound,
    PriceTier.upper_bound,
    PriceTier.amount,
)


@dataclass
class PriceRecord:
    fields: dict[str, Any]
    tiers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ItemRecord:
    fields: dict[str, Any]
    capabilities: list[dict[str, str]] = field(default_factory=list)
    prices: list[PriceRecord] = field(default_factory=list)


def item_records(session: Session, item_ids: Sequence[int]) -> list[ItemRecord]:
    """Records of the given items, in the order of `item_ids`."""
    if not item_ids:
        return []
    rows = session.execute(
        select(*ITEM_COLUMNS)
        .join(Supplier, Supplier.id == CatalogueItem.supplier_id)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .outerjoin(_parent, _parent.id == CatalogueItem.parent_id)
        .where(CatalogueItem.id.in_(item_ids))
    ).mappings()
    records = {row["id"]: ItemRecord(dict(row)) for row in rows}

    capabilities = session.execute(
        select(item_capability_table.c.item_id, Capability.code, Capability.name)
        .join(Capability, Capability.id == item_capability_table.c.capability_id)
        .where(item_capability_table.c.item_id.in_(item_ids))
        .order_by(item_capability_table.c.item_id, Capability.code)
    )
    for item_id, code, name in capabilities:
        records[item_id].capabilities.append({"code": code, "name": name})

    prices: dict[int, PriceRecord] = {}
    by_item: dict[int, list[PriceRecord]] = defaultdict(list)
    price_rows = session.execute(
        select(*PRICE_COLUMNS)
        .join(PriceTier, PriceTier.price_id == Price.id)
        .where(Price.item_id.in_(item_ids))
        .order_by(Price.id, PriceTier.lower_bound)
    ).mappings()
    for row in price_rows:
        price = prices.get(row["id"])
        if price is None:
            price = prices[row["id"]] = PriceRecord(
                {key: row[key] for key in row if key not in _TIER_KEYS}
            )
            by_item[row["item_id"]].append(price)
        price.tiers.append({key: row[key] for key in _TIER_KEYS})
    for item_id, item_prices in by_item.items():
        records[item_id].prices = item_prices
    return [records[item_id] for item_id in item_ids if item_id in records]


_TIER_KEYS = ("lower_bound", "upper_bound", "amount")
