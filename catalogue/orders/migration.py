"""The GPSoC migration rules for a practice changing system (shared/seeds, "System change and
choice"):

- the previous system may be kept, centrally funded, for up to 3 months of bedding-in after
  business go-live;
- notice to the previous supplier is at least 3 months, counted from business go-live, so notice
  given on go-live ends with bedding-in and no local cost follows;
- audit trails are not migrated, so the order chooses one of three options, in falling cost:
  keep the previous system fully supported, keep it for a single user (reduced support), or
  order the data and audit trail retrieval service. Each is priced from the previous supplier's
  catalogue where it lists that service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalogue.models import (
    AuditTrailOption,
    CallOffOrder,
    CatalogueItem,
    ItemKind,
    ItemStatus,
    Lot,
    Price,
    PricePeriod,
    ServiceCategory,
)
from catalogue.orders.dates import add_months

BEDDING_IN_MONTHS = 3
MIN_NOTICE_MONTHS = 3

# Falling cost, as the source lists them.
OPTION_ORDER = (
    AuditTrailOption.FULL_SUPPORT,
    AuditTrailOption.SINGLE_USER_RETENTION,
    AuditTrailOption.AUDIT_TRAIL_RETRIEVAL,
)
OPTION_DESCRIPTIONS = {
    AuditTrailOption.FULL_SUPPORT: (
        "Retain the existing system with full support: the current service without change."
    ),
    AuditTrailOption.SINGLE_USER_RETENTION: (
        "Retain the existing system with reduced support: retention by the practice of the GP "
        "clinical IT system for a single user."
    ),
    AuditTrailOption.AUDIT_TRAIL_RETRIEVAL: (
        "Ad hoc access to clinical data and audit trail: the data and audit trail retrieval "
        "service."
    ),
}
_SERVICE_CATEGORY = {
    AuditTrailOption.SINGLE_USER_RETENTION: ServiceCategory.SINGLE_USER_RETENTION,
    AuditTrailOption.AUDIT_TRAIL_RETRIEVAL: ServiceCategory.AUDIT_TRAIL_RETRIEVAL,
}


@dataclass(frozen=True)
class MigrationDates:
    go_live: date
    go_live_is_actual: bool  # False while it is the planned date
    bedding_in_end: date
    notice_to_be_given_by: date
    earliest_notice_end: date


def migration_dates(go_live: date, actual: bool = False) -> MigrationDates:
    bedding_in_end = add_months(go_live, BEDDING_IN_MONTHS)
    return MigrationDates(
        go_live=go_live,
        go_live_is_actual=actual,
        bedding_in_end=bedding_in_end,
        # Notice runs from go-live; given then, it ends no earlier than bedding-in does.
        notice_to_be_given_by=go_live,
        earliest_notice_end=add_months(go_live, MIN_NOTICE_MONTHS),
    )


def order_migration_dates(order: CallOffOrder) -> MigrationDates | None:
    """From the recorded business go-live once live, else from the planned one."""
    if order.go_live_date is not None:
        return migration_dates(order.go_live_date, actual=True)
    if order.planned_go_live is not None:
        return migration_dates(order.planned_go_live)
    return None


@dataclass(frozen=True)
class AuditTrailSource:
    """Where an option's price comes from in the previous supplier's catalogue."""

    option: AuditTrailOption
    item: CatalogueItem | None
    prices: tuple[Price, ...]

    @property
    def available(self) -> bool:
        return self.item is not None and bool(self.prices)


def _option_services(
    session: Session, previous_system: CatalogueItem
) -> dict[ServiceCategory, CatalogueItem]:
    """The previous supplier's published retention and retrieval services for the system: its
    own first, else the supplier's general ones on the same framework."""
    categories = sorted(_SERVICE_CATEGORY.values())
    services = session.scalars(
        select(CatalogueItem)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(
            CatalogueItem.kind == ItemKind.SERVICE,
            CatalogueItem.status == ItemStatus.PUBLISHED,
            CatalogueItem.category.in_(categories),
            or_(
                CatalogueItem.parent_id == previous_system.id,
                and_(
                    CatalogueItem.parent_id.is_(None),
                    CatalogueItem.supplier_id == previous_system.supplier_id,
                    Lot.framework_id == previous_system.lot.framework_id,
                ),
            ),
        )
        .options(
            joinedload(CatalogueItem.supplier),
            joinedload(CatalogueItem.lot),
            joinedload(CatalogueItem.parent),
            selectinload(CatalogueItem.prices).selectinload(Price.tiers),
        )
        # The system's own service wins over a general one.
        .order_by(CatalogueItem.parent_id.is_(None), CatalogueItem.name, CatalogueItem.id)
    ).unique()
    found: dict[ServiceCategory, CatalogueItem] = {}
    for service in services:
        if service.category is not None:  # always: filtered by category
            found.setdefault(service.category, service)
    return found


def audit_trail_sources(
    session: Session, previous_system: CatalogueItem
) -> dict[AuditTrailOption, AuditTrailSource]:
    """Each option with the previous supplier's item and prices that price it."""
    services = _option_services(session, previous_system)
    sources = {
        AuditTrailOption.FULL_SUPPORT: AuditTrailSource(
            AuditTrailOption.FULL_SUPPORT,
            previous_system,
            tuple(p for p in previous_system.prices if p.period is not PricePeriod.ONE_OFF),
        )
    }
    for option, category in _SERVICE_CATEGORY.items():
        service = services.get(category)
        sources[option] = AuditTrailSource(
            option, service, tuple(service.prices) if service is not None else ()
        )
    return sources
