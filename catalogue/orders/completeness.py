"""What stops an order being submitted, and the advice that does not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import (
    CallOffOrder,
    CatalogueItem,
    ItemKind,
    ItemStatus,
    Lot,
    ServiceCategory,
)
from catalogue.orders import upgrades
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


_PROMPTED = (
    (
        frozenset({ServiceCategory.DEPLOYMENT, ServiceCategory.MIGRATION}),
        "deployment",
        "deploys the new system and migrates the practice's records",
    ),
    (
        frozenset({ServiceCategory.DATA_EXTRACT}),
        "data extract",
        "documents the data taken from the previous system so it migrates correctly",
    ),
)


def prompts(session: Session, order: CallOffOrder) -> list[Prompt]:
    """Advice for a migration (it does not stop submission): the new supplier's deployment and
    data extract services, when the order has none."""
    if not order.migrations:
        return []
    have = {line.catalogue_item.category for line in order.items}
    advice = []
    for categories, label, why in _PROMPTED:
        if have & categories:
            continue
        offered = session.scalars(
            select(CatalogueItem.name)
            .join(Lot, Lot.id == CatalogueItem.lot_id)
            .where(
                CatalogueItem.supplier_id == order.supplier_id,
                CatalogueItem.kind == ItemKind.SERVICE,
                CatalogueItem.status == ItemStatus.PUBLISHED,
                CatalogueItem.category.in_(sorted(categories)),
                Lot.framework_id == order.framework_id,
            )
            .order_by(CatalogueItem.name)
        ).all()
        if offered:
            message = (
                f"The order migrates practices but has no {label} service: "
                f"{order.supplier.name} lists {', '.join(offered)}, which {why}."
            )
        else:
            message = (
                f"The order migrates practices but has no {label} service, and "
                f"{order.supplier.name} lists none: agree how it {why}."
            )
        advice.append(Prompt("items", message))
    return advice
