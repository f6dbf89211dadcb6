"""The GPSoC migration rules for a practice changing system (shared/seeds, "System change and
choice"), one migration per recipient that changes system:

- the previous system is the one the practice runs (the organisation records it), and is never
  the system being ordered;
- the previous system may be kept, centrally funded, for up to 3 months of bedding-in after
  business go-live;
- notice to the previous supplier is at least 3 months, counted from business go-live, so notice
  given on go-live ends with bedding-in and no local cost follows; notice given later, or an
  extension the commissioner agrees when the new system has problems, keeps the previous
  system (locally funded) to the end of the notice;
- audit trails are not migrated, so the order chooses one of three options: keep the previous
  system fully supported, keep it for a single user (reduced support), or order the data and
  audit trail retrieval service. Each is priced from the previous supplier's catalogue (the
  system's own service, else one the supplier lists for all its systems, else one it lists for
  another of its systems on the framework) and, on an order, they are listed by their priced
  cost for the practice over the rest of the term, dearest first.

Periods follow the corresponding-date rule: a period of months "after" or "from" a day starts
the next day and ends on the same day of the month that many months on (the month's last day
when it has no such day, and from a month's last day the last day of the month reached). So
business go-live on 31 January: bedding-in is 1 February to 30 April, notice given on go-live
ends on 30 April, the audit-trail option starts on 1 May; go-live on 29 February 2028:
bedding-in is March to May.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import case, select
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
from catalogue.orders.dates import ONE_DAY, months_after

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
    bedding_in_end: date  # the last day of bedding-in
    notice_to_be_given_by: date  # to end the previous service with bedding-in
    notice_given_on: date  # as recorded, else go-live
    earliest_notice_end: date  # 3 months from the notice, and no earlier than bedding-in's end
    service_end: date  # the last day of the previous service (an extension moves it on)
    extended: bool

    @property
    def option_starts(self) -> date:
        """The first day of the audit-trail option, after the previous service ends."""
        return self.service_end + ONE_DAY


def migration_dates(
    go_live: date,
    actual: bool = False,
    notice_given_on: date | None = None,
    extended_to: date | None = None,
) -> MigrationDates:
    bedding_in_end = months_after(go_live, BEDDING_IN_MONTHS)
    notice = notice_given_on or go_live
    earliest_notice_end = max(months_after(notice, MIN_NOTICE_MONTHS), bedding_in_end)
    service_end = max(earliest_notice_end, extended_to or earliest_notice_end)
    return MigrationDates(
        go_live=go_live,
        go_live_is_actual=actual,
        bedding_in_end=bedding_in_end,
        notice_to_be_given_by=go_live,
        notice_given_on=notice,
        earliest_notice_end=earliest_notice_end,
        service_end=service_end,
        extended=service_end > earliest_notice_end,
    )


class MigrationTerms(Protocol):
    """What a migration's dates and costs depend on: a CallOffMigration, or a plain row."""

    @property
    def planned_go_live(self) -> date | None: ...
    @property
    def notice_given_on(self) -> date | None: ...
    @property
    def service_end(self) -> date | None: ...
    @property
    def audit_trail_option(self) -> AuditTrailOption | None: ...
    @property
    def audit_trail_quantity(self) -> int | None: ...


def go_live_of(order: CallOffOrder, migration: MigrationTerms) -> tuple[date | None, bool]:
    """The recorded business go-live once the order is live, else the practice's planned one."""
    if order.go_live_date is not None:
        return order.go_live_date, True
    return migration.planned_go_live, False


def dates_of(order: CallOffOrder, migration: MigrationTerms) -> MigrationDates | None:
    go_live, actual = go_live_of(order, migration)
    if go_live is None:
        return None
    return migration_dates(go_live, actual, migration.notice_given_on, migration.service_end)


@dataclass(frozen=True)
class AuditTrailSource:
    """Where an option's price comes from in the previous supplier's catalogue."""

    option: AuditTrailOption
    item: CatalogueItem | None
    prices: tuple[Price, ...]

    @property
    def available(self) -> bool:
        return self.item is not None and bool(self.prices)

    @property
    def needs_previous_supplier(self) -> bool:
        """A service bought from the previous supplier: a linked line with it."""
        return self.option is not AuditTrailOption.FULL_SUPPORT


def _option_services(
    session: Session, previous_system: CatalogueItem
) -> dict[ServiceCategory, CatalogueItem]:
    """The previous supplier's published retention and retrieval services for the system: its
    own first, then the supplier's general ones, then those it lists for another of its systems
    (a supplier offers them for all its systems, whichever one its catalogue hangs them on)."""
    categories = sorted(_SERVICE_CATEGORY.values())
    preference = case(
        (CatalogueItem.parent_id == previous_system.id, 0),
        (CatalogueItem.parent_id.is_(None), 1),
        else_=2,
    )
    services = session.scalars(
        select(CatalogueItem)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .where(
            CatalogueItem.kind == ItemKind.SERVICE,
            CatalogueItem.status == ItemStatus.PUBLISHED,
            CatalogueItem.category.in_(categories),
            CatalogueItem.supplier_id == previous_system.supplier_id,
            Lot.framework_id == previous_system.lot.framework_id,
        )
        .options(
            joinedload(CatalogueItem.supplier),
            joinedload(CatalogueItem.lot),
            joinedload(CatalogueItem.parent),
            selectinload(CatalogueItem.prices).selectinload(Price.tiers),
        )
        .order_by(preference, CatalogueItem.name, CatalogueItem.id)
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
