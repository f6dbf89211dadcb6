"""Search documents: one per public catalogue item, built from the database with Core queries
(fast enough to rebuild 50,000 items in seconds).

An item is public (searchable) when it is published and its framework is live (DESIGN.md: "only
published items of live frameworks are searchable by the public"); every other item has no
document, so withdrawing or suspending an item deletes its document, and the items of a coming or
open framework get theirs when it goes live (and lose them when it expires: the outbox reindexes
a framework's items when its status changes).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, func, select, type_coerce
from sqlalchemy.orm import Session

from catalogue.listings.roadmaps import planned_levels
from catalogue.maturity import load_requirements
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    ItemStatus,
    Lot,
    Price,
    PricePeriod,
    PriceTier,
    PriceUnit,
    RoadmapEntry,
    Supplier,
    item_capability,
)

from .query import Facet

# The shape of the documents this version writes, stored with every index: an index of another
# format is rebuilt by itself (search.keeper). Raise it whenever a document's fields change.
DOCUMENT_FORMAT = 3
FACET_SEPARATOR = "\x1f"  # joins a facet value to its label in one keyword
# Facet -> the document field counted for it (keyword or numeric; the same in every engine).
FACET_FIELDS = {
    Facet.FRAMEWORK: "framework_facet",
    Facet.LOT: "lot",
    Facet.KIND: "kind",
    Facet.SUPPLIER: "supplier_facet",
    Facet.CAPABILITY: "capability_facets",
    Facet.MATURITY_LEVEL: "maturity_level",
    Facet.HOSTING: "hosting",
}


@dataclass(frozen=True)
class DocumentPrice:
    name: str
    unit: str
    period: str
    amount: Decimal | None  # the first tier (one unit); None when the price has no tiers


@dataclass(frozen=True)
class SearchDocument:
    id: int
    kind: str
    name: str
    summary: str
    description: str
    status: str
    hosting: str
    category: str | None
    maturity_level: int
    supplier_id: int
    supplier_name: str
    framework: str
    framework_name: str
    lot: int
    lot_name: str
    capabilities: tuple[str, ...]
    capability_names: tuple[str, ...]
    prices: tuple[DocumentPrice, ...]
    annual_price: Decimal | None
    # Each level above the item's that its roadmap reaches, and by when (catalogue.listings
    # .roadmaps.planned_levels).
    planned_levels: tuple[tuple[int, date], ...] = ()

    @property
    def fingerprint(self) -> str:
        """A digest of everything the document holds: an indexed document whose fingerprint
        differs from the database's is stale (`gpsoc search-check`)."""
        # Joined by hand: repr() of the dataclass costs four times as much (a tenth of a reindex).
        parts = [
            f"{self.id}|{self.kind}|{self.status}|{self.hosting}|{self.category}|"
            f"{self.maturity_level}|{self.supplier_id}|{self.lot}|{self.annual_price}|"
            f"{len(self.capabilities)}|{len(self.prices)}",
            self.name,
            self.summary,
            self.description,
            self.supplier_name,
            self.framework,
            self.framework_name,
            self.lot_name,
            *self.capabilities,
            *self.capability_names,
            *[f"{p.name}|{p.unit}|{p.period}|{p.amount}" for p in self.prices],
            *[f"planned|{level}|{by.isoformat()}" for level, by in self.planned_levels],
        ]
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()

    @property
    def planned_level_keys(self) -> list[int]:
        """The planned levels as numbers one range can filter on (`planned_level_key`)."""
        return [planned_level_key(level, by) for level, by in self.planned_levels]

    @property
    def name_sort(self) -> str:
        return self.name.casefold()

    @property
    def supplier_facet(self) -> str:
        return facet_key(self.supplier_id, self.supplier_name)

    @property
    def framework_facet(self) -> str:
        return facet_key(self.framework, self.framework_name)

    @property
    def capability_facets(self) -> tuple[str, ...]:
        return tuple(
            [
                f"{code}{FACET_SEPARATOR}{name}"  # facet_key, inline: 300,000 of them in a reindex
                for code, name in zip(self.capabilities, self.capability_names, strict=True)
            ]
        )

    def display(self) -> dict[str, Any]:
        """What a search hit shows (JSON-ready; money as a decimal string)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "summary": self.summary,
            "supplier": {"id": self.supplier_id, "name": self.supplier_name},
            "framework": self.framework,
            "lot": self.lot,
            "maturity_level": self.maturity_level,
            "hosting": self.hosting,
            "capabilities": [
                {"code": code, "name": name}
                for code, name in zip(self.capabilities, self.capability_names, strict=True)
            ],
            "annual_price": None if self.annual_price is None else money(self.annual_price),
            "planned_levels": [
                {"level": level, "by": by.isoformat()} for level, by in self.planned_levels
            ],
        }


_LEVEL_SPAN = 100_000_000  # above any yyyymmdd


def planned_level_key(level: int, by: date) -> int:
    """A planned level and its date as one number, level first (2 by 30 June 2027 is
    220270630): "planned to reach level L by day D" is then one range of one field,
    [key(L, 0001-01-01), key(L, D)], the same in every engine."""
    return level * _LEVEL_SPAN + by.year * 10_000 + by.month * 100 + by.day


def planned_level_range(level: int, by: date | None) -> tuple[int, int]:
    """The keys of items planned to reach `level` by `by` (any day when None), inclusive."""
    return level * _LEVEL_SPAN, level * _LEVEL_SPAN + (
        _LEVEL_SPAN - 1 if by is None else by.year * 10_000 + by.month * 100 + by.day
    )


def money(amount: Decimal) -> str:
    """A decimal string with at least two places, as the API writes money: "4296.80"."""
    whole, _, fraction = format(amount.normalize(), "f").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def facet_key(value: str | int, label: str) -> str:
    return f"{value}{FACET_SEPARATOR}{label}"


def split_facet_key(key: str) -> tuple[str, str]:
    value, _, label = key.partition(FACET_SEPARATOR)
    return value, label


def public_condition() -> ColumnElement[bool]:
    return (CatalogueItem.status == ItemStatus.PUBLISHED) & (
        Framework.status == FrameworkStatus.LIVE
    )


def annual_price(
    prices: Sequence[tuple[DocumentPrice, date, date | None]], today: date
) -> Decimal | None:
    """The item's yearly cost per practice: the sum of its per-practice, per-year prices.

    Of several prices with one name (a price change), the one in effect today counts, or else
    the next to take effect; prices that have ended do not count. None when there is none.
    """
    chosen: dict[str, tuple[date, Decimal]] = {}  # price name -> (its start, its amount)
    for price, starts, ends in prices:
        if price.unit != PriceUnit.PRACTICE or price.period != PricePeriod.YEAR:
            continue
        if price.amount is None or (ends is not None and ends < today):
            continue
        current = chosen.get(price.name)
        if current is None or _preferred(starts, current[0], today):
            chosen[price.name] = (starts, price.amount)
    if not chosen:
        return None
    return sum((amount for _, amount in chosen.values()), Decimal(0))


def _preferred(candidate: date, incumbent: date, today: date) -> bool:
    if candidate <= today:
        return incumbent > today or candidate > incumbent  # latest already in effect
    return incumbent > today and candidate < incumbent  # else the soonest to come


def _text(column: Any) -> Any:
    """An enum column read as its plain string value: no Enum object made per row and field
    (the documents hold the values as strings anyway)."""
    return type_coerce(column, String)


def _item_rows(condition: ColumnElement[bool]) -> Select:
    return (
        select(
            CatalogueItem.id,
            _text(CatalogueItem.kind),
            CatalogueItem.name,
            CatalogueItem.summary,
            CatalogueItem.description,
            _text(CatalogueItem.status),
            _text(CatalogueItem.hosting),
            _text(CatalogueItem.category),
            CatalogueItem.maturity_level,
            CatalogueItem.supplier_id,
            Supplier.name,
            Framework.slug,
            Framework.name,
            Lot.number,
            Lot.name,
            _text(Framework.status),
        )
        .join(Supplier, Supplier.id == CatalogueItem.supplier_id)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        # Whether an item is public is decided in Python (_is_public): a status condition here
        # would lead SQLite to the status index and a sort of every item for each batch.
        .where(condition)
        .order_by(CatalogueItem.id)
    )


def _is_public(row: Any) -> bool:
    return row[5] == ItemStatus.PUBLISHED and row[15] == FrameworkStatus.LIVE


def _documents(
    session: Session, rows: Sequence[Any], today: date, dense: bool
) -> list[SearchDocument]:
    """Documents for item rows; `dense` rows are a run of ids, so a range finds their parts."""
    rows = [row for row in rows if _is_public(row)]
    if not rows:
        return []
    ids = {row[0] for row in rows}
    connection = session.connection()  # Core rows: no ORM bookkeeping for 50,000 items

    def of_these(column: Any) -> ColumnElement[bool]:
        return column.between(rows[0][0], rows[-1][0]) if dense else column.in_(sorted(ids))

    capabilities = _capabilities_of(connection, of_these, ids)
    prices = _prices_of(connection, of_these, ids)
    plans = _plans_of(session, connection, of_these, ids, capabilities)
    return [_document(row, capabilities, prices, plans, today) for row in rows]


_Among = Callable[[Any], ColumnElement[bool]]  # a condition: the column is one of the items'


def _capabilities_of(
    connection: Connection, of_these: _Among, ids: set[int]
) -> dict[int, list[tuple[str, str]]]:
    """Each item's capabilities as (code, name), by code."""
    # Capabilities as pairs of ids (an item holds several): their codes and names are looked
    # up in the few rows of the capability table instead of being read again for every item.
    named = dict(
        (capability_id, (code, name))
        for capability_id, code, name in connection.execute(
            select(Capability.id, Capability.code, Capability.name)
        )
    )
    capabilities: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for item_id, capability_id in connection.execute(
        select(item_capability.c.item_id, item_capability.c.capability_id)
        .join(Capability, Capability.id == item_capability.c.capability_id)
        .where(of_these(item_capability.c.item_id))
        .order_by(item_capability.c.item_id, Capability.code)
    ).all():
        if item_id in ids:
            capabilities[item_id].append(named[capability_id])
    return capabilities


def _plans_of(
    session: Session,
    connection: Connection,
    of_these: _Among,
    ids: set[int],
    capabilities: Mapping[int, list[tuple[str, str]]],
) -> dict[int, tuple[tuple[int, date], ...]]:
    """Each item's planned levels, from its roadmap entries not yet accredited."""
    entries: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for item_id, code, target in connection.execute(
        select(RoadmapEntry.item_id, Capability.code, RoadmapEntry.target_date)
        .join(Capability, Capability.id == RoadmapEntry.capability_id)
        .where(of_these(RoadmapEntry.item_id), RoadmapEntry.accredited_on.is_(None))
    ).all():
        if item_id in ids:
            entries[item_id].append((code, target))
    if not entries:
        return {}
    requirements = load_requirements(session)
    return {
        item_id: tuple(
            planned_levels((code for code, _ in capabilities.get(item_id, [])), plans, requirements)
        )
        for item_id, plans in entries.items()
    }


def _prices_of(
    connection: Connection, of_these: _Among, ids: set[int]
) -> dict[int, list[tuple[DocumentPrice, date, date | None]]]:
    """Each item's prices with the dates they take effect and end."""
    prices: dict[int, list[tuple[DocumentPrice, date, date | None]]] = defaultdict(list)
    # Tiers start at 1 (a rule of the catalogue), so the first tier is the one price of a unit.
    for item_id, name, unit, period, starts, ends, amount in connection.execute(
        select(
            Price.item_id,
            Price.name,
            _text(Price.unit),
            _text(Price.period),
            Price.effective_from,
            Price.effective_to,
            PriceTier.amount,
        )
        .outerjoin(PriceTier, (PriceTier.price_id == Price.id) & (PriceTier.lower_bound == 1))
        .where(of_these(Price.item_id))
        .order_by(Price.item_id, Price.id)
    ).all():
        if item_id in ids:
            price = DocumentPrice(name, unit, period, amount)
            prices[item_id].append((price, starts, ends))
    return prices


def _document(
    row: Sequence[Any],
    capabilities: Mapping[int, list[tuple[str, str]]],
    prices: Mapping[int, list[tuple[DocumentPrice, date, date | None]]],
    plans: Mapping[int, tuple[tuple[int, date], ...]],
    today: date,
) -> SearchDocument:
    (item_id, kind, name, summary, description, status, hosting, category, level) = row[:9]
    supplier_id, supplier_name, framework, framework_name, lot, lot_name = row[9:15]
    held = capabilities.get(item_id)
    codes, labels = zip(*held, strict=True) if held else ((), ())
    item_prices = prices.get(item_id, [])
    return SearchDocument(
        id=item_id,
        kind=kind,
        name=name,
        summary=summary or "",
        description=description or "",
        status=status,
        hosting=hosting,
        category=category,
        maturity_level=level,
        supplier_id=supplier_id,
        supplier_name=supplier_name,
        framework=framework,
        framework_name=framework_name,
        lot=lot,
        lot_name=lot_name,
        capabilities=codes,
        capability_names=labels,
        prices=tuple(price for price, _, _ in item_prices),
        annual_price=annual_price(item_prices, today),
        planned_levels=plans.get(item_id, ()),
    )


def documents_for(
    session: Session, item_ids: Sequence[int], today: date | None = None
) -> tuple[list[SearchDocument], list[int]]:
    """The documents of the given items, and the ids that have none (not public, or gone)."""
    query = _item_rows(CatalogueItem.id.in_(sorted(set(item_ids))))
    rows = session.connection().execute(query).all()
    documents = _documents(session, rows, today or date.today(), dense=False)
    present = {document.id for document in documents}
    return documents, sorted(set(item_ids) - present)


def count_public(session: Session) -> int:
    query = (
        select(func.count(CatalogueItem.id))
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .where(public_condition())
    )
    return session.scalar(query) or 0


def iter_public_documents(
    session: Session, batch_size: int = 2000, today: date | None = None
) -> Iterator[list[SearchDocument]]:
    """Every public item's document, in batches by ascending id (keyset pagination)."""
    today = today or date.today()
    after = 0
    while True:
        query = _item_rows(CatalogueItem.id > after).limit(batch_size)
        rows = session.connection().execute(query).all()
        if not rows:
            return
        after = rows[-1][0]
        documents = _documents(session, rows, today, dense=True)
        if documents:
            yield documents
