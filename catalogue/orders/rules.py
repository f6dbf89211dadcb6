"""The rules an order is checked against, written once: the framework is live, the dates
and the term are within bounds, each principal system is at Level 2, each practice's migration
and upgrade agree with what it runs (catalogue.estate).
"""

from __future__ import annotations

from datetime import date

from catalogue.estate import runs_now
from catalogue.models import (
    CallOffMigration,
    CallOffOrder,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    ItemKind,
    ItemStatus,
    OrderStatus,
)
from catalogue.orders.dates import add_months, period_end
from catalogue.validation import FieldErrors

OBJECT_TYPE = "call_off_order"
# A practice on GPSoC must run a Level 2 system (shared/seeds: "Choose and Book and ETP must be
# installed"); central funding requires it too.
MIN_SYSTEM_LEVEL = 2
MAX_COMMENCEMENT_AGE_MONTHS = 3
# An order is placed for a service about to start: commencement at most this far ahead of
# today, or up to the framework's (continuity) end date where that is later.
MAX_COMMENCEMENT_AHEAD_MONTHS = 12


# ------------------------------------------------------------------------------ validation


INVALID_ORDER = "The order is not valid."


def check_framework(framework: Framework, errors: FieldErrors) -> None:
    if framework.status is not FrameworkStatus.LIVE:
        errors.add(
            "framework",
            f"{framework.name} is {framework.status.value}; orders need a live framework.",
        )


def latest_commencement(framework: Framework, today: date) -> date:
    ahead = add_months(today, MAX_COMMENCEMENT_AHEAD_MONTHS)
    return max(ahead, framework.continuity_end_date or framework.end_date)


def term_end(order: CallOffOrder, today: date) -> date:
    """The last day a go-live may fall on: the end of the term (the longest the framework
    allows while the term is open, from the latest commencement while that is open)."""
    start = order.commencement_date or latest_commencement(order.framework, today)
    months = order.term_months or order.framework.max_term_months
    return period_end(start, months)


def check_dates(order: CallOffOrder, errors: FieldErrors, today: date) -> None:
    earliest = add_months(today, -MAX_COMMENCEMENT_AGE_MONTHS)
    latest = latest_commencement(order.framework, today)
    if order.commencement_date is not None and order.commencement_date < earliest:
        errors.add(
            "commencement_date",
            f"Cannot be more than {MAX_COMMENCEMENT_AGE_MONTHS} months in the past "
            f"(earliest {earliest.isoformat()}).",
        )
    elif order.commencement_date is not None and order.commencement_date > latest:
        errors.add("commencement_date", f"Cannot be later than {latest.isoformat()}.")
    maximum = order.framework.max_term_months
    if order.term_months is not None and not 1 <= order.term_months <= maximum:
        errors.add("term_months", f"Between 1 and the framework's maximum of {maximum} months.")


def migration_field(order: CallOffOrder, migration: CallOffMigration) -> str:
    """Where errors about a migration are reported: `migration` while the order has one (as
    the single-migration form says), `migrations.<ODS code>` otherwise."""
    if len(order.migrations) == 1:
        return "migration"
    return f"migrations.{migration.organisation.ods_code}"


def check_migration_dates(order: CallOffOrder, errors: FieldErrors, today: date) -> None:
    """Each planned business go-live and notice date falls within the order's term."""
    if "commencement_date" in errors or "term_months" in errors:
        return
    end = term_end(order, today)
    for migration in order.migrations:
        field = migration_field(order, migration)
        planned = migration.planned_go_live
        if planned is not None:
            if order.commencement_date is not None and planned < order.commencement_date:
                errors.add(f"{field}.planned_go_live", "Cannot be before the commencement date.")
            elif planned > end:
                errors.add(
                    f"{field}.planned_go_live",
                    f"Must fall within the order's term (by {end.isoformat()}).",
                )
        notice = migration.notice_given_on
        if notice is not None and notice > end:
            errors.add(
                f"{field}.notice_given_on",
                f"Notice must be given within the order's term (by {end.isoformat()}).",
            )
        start = order.commencement_date or today
        if notice is not None and notice < add_months(start, -12):
            errors.add(
                f"{field}.notice_given_on",
                "Cannot be more than 12 months before the commencement date.",
            )


# A practice's previous system may since have been suspended or withdrawn, but it must once have
# been published: a draft (or one never approved) was never in the catalogue for anyone to use.
_ONCE_PUBLISHED = frozenset({ItemStatus.SUSPENDED, ItemStatus.WITHDRAWN})


def may_be_previous_system(item: CatalogueItem) -> bool:
    """Whether an order may name `item` as the system a practice is leaving."""
    if item.kind is not ItemKind.SYSTEM:
        return False
    if item.status is ItemStatus.PUBLISHED:
        return True
    return item.status in _ONCE_PUBLISHED and item.published_at is not None


def below_level_2(item: CatalogueItem) -> bool:
    return item.kind is ItemKind.SYSTEM and item.maturity_level < MIN_SYSTEM_LEVEL


def level_2_message(item: CatalogueItem) -> str:
    return (
        f"{item.name} is at Level {item.maturity_level}: a practice on GPSoC must run a Level "
        f"{MIN_SYSTEM_LEVEL} system (Choose and Book, Spine, PDS and the Electronic "
        "Prescription Service), so it cannot be ordered as a principal system."
    )


def ordered_systems(order: CallOffOrder) -> list[CatalogueItem]:
    """The principal systems the order is for."""
    systems: dict[int, CatalogueItem] = {}
    for line in order.items:
        if line.catalogue_item.kind is ItemKind.SYSTEM:
            systems.setdefault(line.catalogue_item.id, line.catalogue_item)
    return list(systems.values())


MIGRATION_FIELDS = (
    "planned_go_live",
    "audit_trail_option",
    "audit_trail_quantity",
    "notice_given_on",
)


def check_systems(order: CallOffOrder, errors: FieldErrors) -> None:
    """Every principal system ordered is at Level 2 (now: a level can drop after ordering),
    and no practice migrates to the system it already runs."""
    for index, line in enumerate(order.items):
        if below_level_2(line.catalogue_item):
            errors.add(f"items.{index}", level_2_message(line.catalogue_item))
    ordered = {system.id for system in ordered_systems(order)}
    for migration in order.migrations:
        if migration.previous_system.id in ordered:
            errors.add(
                f"{migration_field(order, migration)}.previous_system_id",
                f"{migration.organisation.ods_code} already runs "
                f"{migration.previous_system.name}, the system this order is for.",
            )


def level_warnings(order: CallOffOrder) -> list[str]:
    """What flags an open order: a principal system on it that has dropped below Level 2."""
    if order.status in {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.TERMINATED}:
        return []
    return [level_2_message(system) for system in ordered_systems(order) if below_level_2(system)]


def systems_for(order: CallOffOrder, practice_id: int) -> list[CatalogueItem]:
    """The principal systems the order supplies to one practice (a quantity above 0)."""
    systems: dict[int, CatalogueItem] = {}
    for line in order.items:
        item = line.catalogue_item
        if item.kind is ItemKind.SYSTEM and any(
            q.organisation_id == practice_id and q.quantity > 0 for q in line.quantities
        ):
            systems.setdefault(item.id, item)
    return list(systems.values())


def check_estate(order: CallOffOrder, errors: FieldErrors) -> None:
    """Each practice's migration and principal systems agree with what it runs now
    (catalogue.estate): an order that moves a practice to another system carries its migration,
    and a migration is from the system the practice runs."""
    migrating = {migration.organisation_id: migration for migration in order.migrations}
    for recipient in order.recipients:
        practice = recipient.organisation
        running = runs_now(practice)
        migration = migrating.get(practice.id)
        if migration is not None:
            if running is not None and _set_by_this_call_off(order, running.call_off_id):
                continue  # an amendment: an earlier revision of the call-off moved it already
            if running is not None and running.system.id != migration.previous_system.id:
                errors.add(
                    f"{migration_field(order, migration)}.previous_system_id",
                    f"{practice.ods_code} ({practice.name}) no longer runs "
                    f"{migration.previous_system.name}: it runs {running.system.name}, so it "
                    f"cannot migrate from {migration.previous_system.name}.",
                )
            continue
        systems = systems_for(order, practice.id)
        if running is None or not systems or running.system.id in {s.id for s in systems}:
            continue
        errors.add(
            "migration",
            f"{practice.ods_code} ({practice.name}) runs {running.system.name}, and this order "
            f"moves it to {', '.join(s.name for s in systems)}: a change of system needs the "
            f"practice's migration (`migration`, or `migrations` with ods_code "
            f"{practice.ods_code}).",
        )


def _set_by_this_call_off(order: CallOffOrder, call_off_id: str | None) -> bool:
    """Whether `call_off_id` is a revision of the order's call-off (`C000014-01` of
    `C000014-02`)."""
    return call_off_id is not None and call_off_id.split("-")[0] == order.call_off_id.split("-")[0]
