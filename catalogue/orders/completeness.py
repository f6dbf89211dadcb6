"""What stops an order being submitted, and the advice that does not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.estate import runs_now
from catalogue.models import (
    CallOffMigration,
    CallOffOrder,
    CatalogueItem,
    ItemKind,
    ItemStatus,
    Lot,
    MaturityLevel,
    ServiceCategory,
)
from catalogue.orders import upgrades
from catalogue.orders.go_live_agreement import go_live_agreed
from catalogue.orders.rules import (
    check_dates,
    check_estate,
    check_framework,
    check_migration_dates,
    check_systems,
    migration_field,
)
from catalogue.validation import FieldErrors


@dataclass(frozen=True)
class Missing:
    field: str
    message: str


def completeness(session: Session, order: CallOffOrder, today: date | None = None) -> list[Missing]:
    """What stops the order being submitted; empty when it is complete."""
    today = today or date.today()
    missing: list[Missing] = []
    errors = FieldErrors()
    check_framework(order.framework, errors)
    check_dates(order, errors, today)
    check_migration_dates(order, errors, today)
    check_systems(order, errors)
    check_estate(order, errors)
    for field, messages in errors.items():
        missing.extend(Missing(field, message) for message in messages)
    if order.commencement_date is None:
        missing.append(Missing("commencement_date", "Give the commencement date."))
    if order.term_months is None:
        missing.append(Missing("term_months", "Give the term in months."))
    if not order.recipients:
        missing.append(Missing("recipients", "Add at least one practice."))
    if not order.items:
        missing.append(Missing("items", "Add at least one catalogue item."))
    recipients = {r.organisation_id for r in order.recipients}
    for index, item in enumerate(order.items):
        if item.catalogue_item.status is not ItemStatus.PUBLISHED:
            missing.append(
                Missing(f"items.{index}", f"{item.catalogue_item.name} is no longer published.")
            )
        if {q.organisation_id for q in item.quantities} != recipients:
            missing.append(
                Missing(f"items.{index}.quantities", "Give a quantity for every recipient.")
            )
    missing.extend(_migration_services_for_those_who_stay(order))
    missing.extend(Missing(field, message) for field, message in upgrades.missing(order))
    missing.extend(
        Missing(field, message) for field, message in upgrades.unrequested_increments(order)
    )
    for migration in order.migrations:
        field = migration_field(order, migration)
        if migration.planned_go_live is None:
            missing.append(
                Missing(f"{field}.planned_go_live", "Give the planned business go-live date.")
            )
        if migration.audit_trail_option is None:
            missing.append(
                Missing(
                    f"{field}.audit_trail_option",
                    "Choose how the previous system's audit trail stays accessible.",
                )
            )
    return missing


@dataclass(frozen=True)
class Prompt:
    field: str
    message: str


_DEPLOYMENT = frozenset({ServiceCategory.DEPLOYMENT, ServiceCategory.MIGRATION})


def _migration_services_for_those_who_stay(order: CallOffOrder) -> list[Missing]:
    """A deployment and migration service charged to a practice that runs a system and does
    not migrate on the order: a line can be for some practices only (a quantity of 0)."""
    migrating = {migration.organisation_id for migration in order.migrations}
    practices = {r.organisation_id: r.organisation for r in order.recipients}
    found = []
    for index, line in enumerate(order.items):
        item = line.catalogue_item
        if item.kind is not ItemKind.SERVICE or item.category not in _DEPLOYMENT:
            continue
        for quantity in line.quantities:
            practice = practices.get(quantity.organisation_id)
            if (
                quantity.quantity > 0
                and practice is not None
                and practice.id not in migrating
                and runs_now(practice) is not None
            ):
                found.append(
                    Missing(
                        f"items.{index}.quantities",
                        f"{item.name} deploys a new system and migrates records, and "
                        f"{practice.ods_code} does not migrate on this order: give it a "
                        f"quantity of 0 for {practice.ods_code}, or add its migration.",
                    )
                )
    return found


_EXTRACT = frozenset({ServiceCategory.DATA_EXTRACT})


def _services(
    session: Session, supplier_id: int, framework_id: int, categories: frozenset
) -> list[str]:
    """The names of a supplier's published services of `categories` on the framework."""
    return list(
        session.scalars(
            select(CatalogueItem.name)
            .join(Lot, Lot.id == CatalogueItem.lot_id)
            .where(
                CatalogueItem.supplier_id == supplier_id,
                CatalogueItem.kind == ItemKind.SERVICE,
                CatalogueItem.status == ItemStatus.PUBLISHED,
                CatalogueItem.category.in_(sorted(categories)),
                Lot.framework_id == framework_id,
            )
            .order_by(CatalogueItem.name)
        ).all()
    )


def _deployment(session: Session, order: CallOffOrder) -> list[Prompt]:
    """The new supplier's deployment and migration service, when the order has none."""
    if {line.catalogue_item.category for line in order.items} & _DEPLOYMENT:
        return []
    why = "deploys the new system and migrates the practice's records"
    offered = _services(session, order.supplier_id, order.framework_id, _DEPLOYMENT)
    if offered:
        message = (
            f"The order migrates practices but has no deployment service: "
            f"{order.supplier.name} lists {', '.join(offered)}, which {why}."
        )
    else:
        message = (
            f"The order migrates practices but has no deployment service, and "
            f"{order.supplier.name} lists none: agree how it {why}."
        )
    return [Prompt("items", message)]


def _data_extracts(session: Session, order: CallOffOrder) -> list[Prompt]:
    """The data extract comes from the previous system: its supplier's service, one prompt per
    previous supplier (naming the practices leaving it)."""
    leaving: dict[int, list[CallOffMigration]] = {}
    for migration in order.migrations:
        leaving.setdefault(migration.previous_system.supplier_id, []).append(migration)
    advice = []
    for supplier_id, migrations in leaving.items():
        previous = migrations[0].previous_system.supplier
        codes = ", ".join(m.organisation.ods_code for m in migrations)
        codes += " leaves" if len(migrations) == 1 else " leave"
        systems = ", ".join(sorted({m.previous_system.name for m in migrations}))
        offered = _services(session, supplier_id, order.framework_id, _EXTRACT)
        why = "documents the data taken from the previous system so it migrates correctly"
        if offered:
            message = (
                f"{codes} {systems}: the data extract comes from the previous system, "
                f"and {previous.name} lists {', '.join(offered)}, which {why}. Order it from "
                f"{previous.name}."
            )
        else:
            message = (
                f"{codes} {systems}: the data extract comes from the previous system, "
                f"and {previous.name} lists none: agree with {previous.name} how it {why}."
            )
        advice.append(Prompt("migrations", message))
    return advice


def _infrastructure(session: Session, order: CallOffOrder) -> list[Prompt]:
    """An upgrade up the maturity ladder brings NPfIT services (EPS, GP2GP...) the practice
    can use only with the infrastructure its commissioner provides (seed 003: "The PCT is
    responsible for providing the infrastructure required by practices to allow them to use
    these NPfIT services")."""
    advice = []
    for upgrade in order.upgrades:
        levels = session.scalars(
            select(MaturityLevel)
            .where(
                MaturityLevel.level > upgrade.from_level, MaturityLevel.level <= upgrade.to_level
            )
            .order_by(MaturityLevel.level)
        ).all()
        below = session.scalars(
            select(MaturityLevel).where(MaturityLevel.level <= upgrade.from_level)
        ).all()
        had = {c.id for level in below for c in level.required_capabilities}
        new = [c.name for level in levels for c in level.required_capabilities if c.id not in had]
        services = ", ".join(dict.fromkeys(new)) or "the NPfIT services of the level"
        advice.append(
            Prompt(
                f"upgrades.{upgrade.organisation.ods_code}",
                f"{upgrade.organisation.ods_code} moves to Level {upgrade.to_level}, using "
                f"{services}: the commissioner provides the infrastructure the practice needs "
                "to use these NPfIT services (GP IT infrastructure specification: the PCT is "
                "responsible for it); check it is in place before go-live.",
            )
        )
    return advice


def prompts(session: Session, order: CallOffOrder) -> list[Prompt]:
    """Advice (it does not stop submission): for a migration, the new supplier's deployment
    service when the order has none, and the data extract from each previous supplier; for an
    upgrade, the infrastructure its commissioner provides for the level's NPfIT services."""
    advice = _infrastructure(session, order)
    if order.migrations:
        advice = (
            _deployment(session, order)
            + _data_extracts(session, order)
            + _agreements(order)
            + advice
        )
    return advice


def _agreements(order: CallOffOrder) -> list[Prompt]:
    """Each practice agrees its planned go-live (seed 002), on its own order."""
    return [
        Prompt(
            f"{migration_field(order, migration)}.planned_go_live",
            f"{migration.organisation.ods_code} has not agreed the planned go-live "
            f"({migration.planned_go_live.isoformat()}): the practice agrees it on its order.",
        )
        for migration in order.migrations
        if migration.planned_go_live is not None and not go_live_agreed(migration)
    ]
