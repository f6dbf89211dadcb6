"""Reading the catalogue: filtered, paginated listings with a query count that does not grow
with the page size."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from catalogue.errors import NotFound
from catalogue.maturity import BITMAP_IDS, capability_bits
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    Hosting,
    ItemKind,
    ItemStatus,
    Lot,
    Price,
    ServiceCategory,
    item_capability,
)
from catalogue.principal import Principal, Role

SYSTEM_KINDS = frozenset({ItemKind.SYSTEM, ItemKind.MODULE})
SERVICE_KINDS = frozenset({ItemKind.SERVICE})
PUBLIC_STATUSES = frozenset({ItemStatus.PUBLISHED})
ALL_STATUSES = frozenset(ItemStatus)


@dataclass(frozen=True)
class Visibility:
    """Which items a viewer may see: those in `statuses`, plus every item of
    `own_supplier_id` whatever its status. One WHERE clause, so lists keep their query count."""

    statuses: frozenset[ItemStatus] = PUBLIC_STATUSES
    own_supplier_id: int | None = None

    def clause(self) -> ColumnElement[bool]:
        rule: ColumnElement[bool] = CatalogueItem.status.in_(sorted(self.statuses))
        if self.own_supplier_id is not None:
            rule = or_(rule, CatalogueItem.supplier_id == self.own_supplier_id)
        return rule


PUBLIC = Visibility()


def visibility_for(viewer: Principal | None) -> Visibility:
    """Anonymous callers, commissioners and other suppliers see published items; a supplier also
    sees its own in any status; the authority sees everything."""
    if viewer is None:
        return PUBLIC
    if viewer.role is Role.AUTHORITY:
        return Visibility(statuses=ALL_STATUSES)
    if viewer.role is Role.SUPPLIER and viewer.supplier_id is not None:
        return Visibility(own_supplier_id=viewer.supplier_id)
    return PUBLIC


@dataclass(frozen=True)
class ItemFilters:
    kinds: Collection[ItemKind] = SYSTEM_KINDS
    framework: str | None = None
    lot: int | None = None
    supplier_id: int | None = None
    capabilities: Sequence[str] = ()
    min_maturity_level: int | None = None
    hosting: Hosting | None = None
    category: str | None = None
    parent_id: int | None = None
    status: ItemStatus | None = None  # narrows what the visibility allows
    visibility: Visibility = field(default=PUBLIC)


def _item_loading_options() -> tuple[ExecutableOption, ...]:
    return (
        joinedload(CatalogueItem.supplier),
        joinedload(CatalogueItem.lot).joinedload(Lot.framework),
        joinedload(CatalogueItem.parent),
        selectinload(CatalogueItem.capabilities),
        selectinload(CatalogueItem.prices).selectinload(Price.tiers),
    )


def _filtered(session: Session, filters: ItemFilters) -> Select | None:
    """The ids matching `filters`, or None when nothing can match.

    Lots and capabilities are resolved to ids first (small tables): SQLite plans a correlated
    EXISTS on a constant far better than on a nested scalar subquery.
    """
    query = select(CatalogueItem.id).where(
        CatalogueItem.kind.in_(sorted(filters.kinds)), filters.visibility.clause()
    )
    if filters.status is not None:
        query = query.where(CatalogueItem.status == filters.status)
    if filters.framework is not None or filters.lot is not None:
        lots = select(Lot.id).join(Framework, Framework.id == Lot.framework_id)
        if filters.lot is not None:
            lots = lots.where(Lot.number == filters.lot)
        if filters.framework is not None:
            lots = lots.where(Framework.slug == filters.framework)
        lot_ids = session.scalars(lots).all()
        if not lot_ids:
            return None
        query = query.where(CatalogueItem.lot_id.in_(lot_ids))
    if filters.supplier_id is not None:
        query = query.where(CatalogueItem.supplier_id == filters.supplier_id)
    if filters.min_maturity_level is not None:
        query = query.where(CatalogueItem.maturity_level >= filters.min_maturity_level)
    if filters.hosting is not None:
        query = query.where(CatalogueItem.hosting == filters.hosting)
    if filters.category is not None:
        query = query.where(CatalogueItem.category == filters.category)
    if filters.parent_id is not None:
        query = query.where(CatalogueItem.parent_id == filters.parent_id)
    codes = list(dict.fromkeys(filters.capabilities))
    if codes:
        capability_ids = session.scalars(
            select(Capability.id).where(Capability.code.in_(codes))
        ).all()
        if len(capability_ids) < len(codes):
            return None  # an unknown capability is held by nothing
        mask = capability_bits(capability_ids)
        if mask:  # answered inside the filter index, without a probe per row
            query = query.where(CatalogueItem.capability_bits.op("&")(mask) == mask)
        for capability_id in capability_ids:
            if capability_id >= BITMAP_IDS:
                query = query.where(
                    exists().where(
                        item_capability.c.item_id == CatalogueItem.id,
                        item_capability.c.capability_id == capability_id,
                    )
                )
    return query


SHALLOW_PAGE_FACTOR = 20


def page_item_ids(
    session: Session, filters: ItemFilters, page: int, page_size: int
) -> tuple[list[int], int]:
    """The ids of one page of matching items, ordered by name, and the total that match.
    The number of queries does not depend on the page size."""
    ids = _filtered(session, filters)
    if ids is None:
        return [], 0
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    if page * page_size * SHALLOW_PAGE_FACTOR <= total:
        # A page near the front of many matches: walking the name-ordered index until the
        # page is full reads few rows, and planners pick that for an ORDER BY ... LIMIT.
        ordered = ids.order_by(CatalogueItem.name, CatalogueItem.id)
    else:
        # Deep in the matches, or few of them: collect them (the filter index covers the name)
        # and sort them. MATERIALIZED stops the planner walking the name index instead, which
        # it cannot know would read nearly every row.
        matches = ids.add_columns(CatalogueItem.name).cte("matches").prefix_with("MATERIALIZED")
        ordered = select(matches.c.id).order_by(matches.c.name, matches.c.id)
    page_ids = session.scalars(ordered.limit(page_size).offset((page - 1) * page_size)).all()
    return list(page_ids), total


def list_items(
    session: Session, filters: ItemFilters, page: int, page_size: int
) -> tuple[list[CatalogueItem], int]:
    """One page of items (full ORM objects) ordered by name, and the total that match."""
    ids, total = page_item_ids(session, filters, page, page_size)
    if not ids:
        return [], total
    items = session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.id.in_(ids))
        .options(*_item_loading_options())
        .order_by(CatalogueItem.name, CatalogueItem.id)
    ).unique()
    return list(items), total


def get_item(
    session: Session,
    item_id: int,
    kinds: Collection[ItemKind],
    visibility: Visibility = PUBLIC,
) -> CatalogueItem:
    """One item the viewer may see; 404 otherwise (another supplier's draft does not exist for
    them)."""
    item = session.scalars(
        select(CatalogueItem)
        .where(
            CatalogueItem.id == item_id,
            CatalogueItem.kind.in_(sorted(kinds)),
            visibility.clause(),
        )
        .options(*_item_loading_options())
    ).first()
    if item is None:
        raise NotFound(f"No catalogue item {item_id} here.")
    return item


def get_items(
    session: Session,
    item_ids: Sequence[int],
    kinds: Collection[ItemKind],
    visibility: Visibility = PUBLIC,
) -> list[CatalogueItem]:
    """Several items the viewer may see, in the order asked, loaded as get_item loads one
    (and their roadmaps) but in one query per collection whatever their number; a 404 names
    the first that is not there."""
    found = {
        item.id: item
        for item in session.scalars(
            select(CatalogueItem)
            .where(
                CatalogueItem.id.in_(sorted(set(item_ids))),
                CatalogueItem.kind.in_(sorted(kinds)),
                visibility.clause(),
            )
            .options(*_item_loading_options(), selectinload(CatalogueItem.roadmap))
        ).unique()
    }
    for item_id in item_ids:
        if item_id not in found:
            raise NotFound(f"No catalogue item {item_id} here.")
    return [found[item_id] for item_id in item_ids]


@dataclass(frozen=True)
class ServiceRef:
    """A service as a list of them shows it: what it is, and what it is offered for."""

    id: int
    name: str
    category: ServiceCategory | None
    parent_id: int | None
    supplier_id: int
    framework_id: int


def service_refs_for_systems(
    session: Session,
    systems: Sequence[CatalogueItem],
    categories: Collection[ServiceCategory],
    visibility: Visibility = PUBLIC,
) -> dict[int, list[ServiceRef]]:
    """services_for_system for several systems at once, only the services of `categories`,
    as plain rows (id, name, category): one query, however many services their suppliers
    list. Keyed by system id, each list by name then id."""
    if not systems or not categories:
        return {system.id: [] for system in systems}
    columns = (
        CatalogueItem.id,
        CatalogueItem.name,
        CatalogueItem.category,
        CatalogueItem.parent_id,
        CatalogueItem.supplier_id,
        Lot.framework_id,
    )
    wanted = (
        CatalogueItem.kind == ItemKind.SERVICE,
        CatalogueItem.category.in_(sorted(categories)),
        visibility.clause(),
    )
    own = (
        select(*columns)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(*wanted, CatalogueItem.parent_id.in_(sorted({system.id for system in systems})))
    )
    general = (
        select(*columns)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(
            *wanted,
            # Not `parent_id IS NULL`: SQLite would walk the parent index through every
            # general service of every supplier rather than the supplier index.
            func.coalesce(CatalogueItem.parent_id, 0) == 0,
            # Each system's own supplier and framework are picked out below.
            CatalogueItem.supplier_id.in_(sorted({system.supplier_id for system in systems})),
            Lot.framework_id.in_(sorted({system.lot.framework_id for system in systems})),
        )
    )
    both = union_all(own, general).subquery()
    rows = session.execute(select(both).order_by(both.c.name, both.c.id)).all()
    services = [ServiceRef(*row) for row in rows]
    return {
        system.id: [
            service
            for service in services
            if service.parent_id == system.id
            or (
                service.parent_id is None
                and service.supplier_id == system.supplier_id
                and service.framework_id == system.lot.framework_id
            )
        ]
        for system in systems
    }


def services_for_system(
    session: Session, system: CatalogueItem, visibility: Visibility = PUBLIC
) -> list[CatalogueItem]:
    """Services offered for a system: its own, and its supplier's general services on the same
    framework."""
    query = (
        select(CatalogueItem)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(
            CatalogueItem.kind == ItemKind.SERVICE,
            visibility.clause(),
            or_(
                CatalogueItem.parent_id == system.id,
                and_(
                    CatalogueItem.parent_id.is_(None),
                    CatalogueItem.supplier_id == system.supplier_id,
                    Lot.framework_id == system.lot.framework_id,
                ),
            ),
        )
        .options(*_item_loading_options())
        .order_by(CatalogueItem.name, CatalogueItem.id)
    )
    return list(session.scalars(query).unique())
