"""A fast read model of catalogue items for list pages.

Listing pages are the hottest read path (DESIGN.md budgets 20 ms for 50 items with prices at
50,000 items). Loading full ORM graphs for them costs more than the SQL itself, so pages are
read with five Core queries (a sixth when a roadmap needs the level definitions) whose number
does not depend on the page size, into plain records. Single items keep using the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Label, String, select, type_coerce
from sqlalchemy.orm import Session, aliased

from catalogue.listings.roadmaps import planned_levels
from catalogue.maturity import load_requirements
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    Lot,
    Price,
    PriceTier,
    RoadmapEntry,
    Supplier,
)
from catalogue.models import item_capability as item_capability_table

_parent = aliased(CatalogueItem)


def _raw(column: Any, type_: Any = String) -> Label[Any]:
    """The column as stored (enum values as strings, money as integer ten-thousandths): the
    read model hands them to the API as they are, without the round trip through Python types."""
    return type_coerce(column, type_).label(column.key)


ITEM_COLUMNS = (
    CatalogueItem.id,
    CatalogueItem.slug,
    _raw(CatalogueItem.kind),
    CatalogueItem.name,
    CatalogueItem.summary,
    CatalogueItem.description,
    _raw(CatalogueItem.category),
    _raw(CatalogueItem.hosting),
    _raw(CatalogueItem.infrastructure_category),
    _raw(CatalogueItem.infrastructure_class),
    CatalogueItem.rfa_version,
    _raw(CatalogueItem.status),
    CatalogueItem.rejection_reason,
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
    type_coerce(Framework.status, String).label("framework_status"),
    _parent.id.label("parent_id"),
    type_coerce(_parent.kind, String).label("parent_kind"),
    _parent.name.label("parent_name"),
)

PRICE_COLUMNS = (
    Price.item_id,
    Price.id,
    Price.name,
    Price.description,
    Price.currency,
    _raw(Price.unit),
    _raw(Price.period),
    _raw(Price.tier_calculation),
    _raw(Price.charge_type),
    _raw(Price.funding),
    Price.effective_from,
    Price.effective_to,
    Price.illustrative,
    Price.source,
    PriceTier.lower_bound,
    PriceTier.upper_bound,
    _raw(PriceTier.amount, BigInteger),
)


@dataclass
class PriceRecord:
    """A price; enum fields hold their stored string values and tier amounts are integer
    ten-thousandths of a pound (catalogue.models.base.Money)."""

    fields: dict[str, Any]
    tiers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ItemRecord:
    fields: dict[str, Any]
    capabilities: list[dict[str, str]] = field(default_factory=list)
    prices: list[PriceRecord] = field(default_factory=list)
    # {id, capability: {code, name}, target_date, status (its value), note, accredited_on}
    roadmap: list[dict[str, Any]] = field(default_factory=list)
    planned_levels: list[tuple[int, date]] = field(default_factory=list)


def item_records(session: Session, item_ids: Sequence[int]) -> list[ItemRecord]:
    """Records of the given items, in the order of `item_ids`."""
    if not item_ids:
        return []
    connection = session.connection()  # Core rows: no ORM bookkeeping on the hot path
    rows = connection.execute(
        select(*ITEM_COLUMNS)
        .join(Supplier, Supplier.id == CatalogueItem.supplier_id)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .outerjoin(_parent, _parent.id == CatalogueItem.parent_id)
        .where(CatalogueItem.id.in_(item_ids))
    )
    keys = tuple(rows.keys())
    records = {row[0]: ItemRecord(dict(zip(keys, row, strict=True))) for row in rows}

    capabilities = connection.execute(
        select(item_capability_table.c.item_id, Capability.code, Capability.name)
        .join(Capability, Capability.id == item_capability_table.c.capability_id)
        .where(item_capability_table.c.item_id.in_(item_ids))
        .order_by(item_capability_table.c.item_id, Capability.code)
    )
    for item_id, code, name in capabilities:
        records[item_id].capabilities.append({"code": code, "name": name})

    price_rows = connection.execute(
        select(*PRICE_COLUMNS)
        .join(PriceTier, PriceTier.price_id == Price.id)
        .where(Price.item_id.in_(item_ids))
        .order_by(Price.id, PriceTier.lower_bound)
    )
    price_keys = tuple(price_rows.keys())[: -len(_TIER_KEYS)]
    price = None
    for row in price_rows:
        *price_values, lower_bound, upper_bound, amount = row
        if price is None or price.fields["id"] != price_values[1]:
            price = PriceRecord(dict(zip(price_keys, price_values, strict=True)))
            records[price_values[0]].prices.append(price)
        price.tiers.append(
            {"lower_bound": lower_bound, "upper_bound": upper_bound, "amount": amount}
        )
    _add_roadmaps(session, records, item_ids)
    return [records[item_id] for item_id in item_ids if item_id in records]


def _add_roadmaps(
    session: Session, records: dict[int, ItemRecord], item_ids: Sequence[int]
) -> None:
    rows = (
        session.connection()
        .execute(
            select(
                RoadmapEntry.item_id,
                RoadmapEntry.id,
                Capability.code,
                Capability.name,
                RoadmapEntry.target_date,
                _raw(RoadmapEntry.status),
                RoadmapEntry.note,
                RoadmapEntry.accredited_on,
            )
            .join(Capability, Capability.id == RoadmapEntry.capability_id)
            .where(RoadmapEntry.item_id.in_(item_ids))
            .order_by(RoadmapEntry.item_id, RoadmapEntry.target_date, RoadmapEntry.id)
        )
        .all()
    )
    if not rows:
        return
    for item_id, entry_id, code, name, target, status, note, accredited_on in rows:
        records[item_id].roadmap.append(
            {
                "id": entry_id,
                "capability": {"code": code, "name": name},
                "target_date": target,
                "status": status,
                "note": note,
                "accredited_on": accredited_on,
            }
        )
    requirements = load_requirements(session)
    for record in records.values():
        if record.roadmap:
            held = [capability["code"] for capability in record.capabilities]
            plans = [
                (entry["capability"]["code"], entry["target_date"])
                for entry in record.roadmap
                if entry["accredited_on"] is None
            ]
            record.planned_levels = planned_levels(held, plans, requirements)


_TIER_KEYS = ("lower_bound", "upper_bound", "amount")
