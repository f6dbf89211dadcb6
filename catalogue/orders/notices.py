"""The previous supplier's part in a migration (shared/seeds, "System change and choice"):
notice is given to it, it sees the migration of its departing practices and nothing else of the
order, and acknowledges the notice; the commissioner may extend the notice period when the new
system has problems, which the previous supplier then acknowledges again.

Who sees a migration notice: the authority; the commissioner that placed the order; once the
order is submitted, the new supplier (it sees the whole order) and the previous supplier (the
supplier of the practice's previous system: this notice only). A notice is one object with its
own version, so the previous supplier's acknowledgement and the commissioner's extension are
guarded by If-Match like every write; each also moves the order's version on, as the order
shows them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import (
    CallOffMigration,
    CallOffOrder,
    CatalogueItem,
    OrderStatus,
    Organisation,
    Price,
    utcnow,
)
from catalogue.orders.costs import estimate_order
from catalogue.orders.frozen import freeze
from catalogue.orders.migration import dates_of
from catalogue.orders.rules import OBJECT_TYPE, term_end
from catalogue.principal import Principal, Role

# Notice is given once the order is submitted; it matters while the migration is under way.
_OPEN = frozenset({OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.LIVE})


def _visible_to(query: Select, viewer: Principal) -> Select:
    if viewer.role is Role.COMMISSIONER:
        return query.where(CallOffOrder.commissioner_id == viewer.organisation_id)
    if viewer.role is Role.SUPPLIER:
        previous = select(CatalogueItem.supplier_id).where(
            CatalogueItem.id == CallOffMigration.previous_system_id
        )
        return query.where(
            CallOffOrder.submitted_at.is_not(None),
            or_(
                CallOffOrder.supplier_id == viewer.supplier_id,
                previous.scalar_subquery() == viewer.supplier_id,
            ),
        )
    if viewer.role is Role.AUTHORITY:
        return query
    if viewer.role is Role.PRACTICE:  # its own migrations (to agree the planned go-live)
        return query.where(CallOffMigration.organisation_id == viewer.organisation_id)
    return query.where(false())


def _loading() -> tuple[Any, ...]:
    return (
        joinedload(CallOffMigration.order).options(
            joinedload(CallOffOrder.commissioner), joinedload(CallOffOrder.framework)
        ),
        joinedload(CallOffMigration.organisation),
        joinedload(CallOffMigration.previous_system).options(
            joinedload(CatalogueItem.supplier),
            joinedload(CatalogueItem.lot),
            selectinload(CatalogueItem.prices).selectinload(Price.tiers),
        ),
    )


def _base() -> Select:
    return (
        select(CallOffMigration)
        .join(CallOffOrder, CallOffOrder.id == CallOffMigration.order_id)
        .join(Organisation, Organisation.id == CallOffMigration.organisation_id)
    )


def list_notices(
    session: Session, viewer: Principal, page: int, page_size: int
) -> tuple[list[CallOffMigration], int]:
    """The migration notices the viewer may see, newest order first."""
    query = _visible_to(_base(), viewer)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.scalars(
        query.options(*_loading())
        .order_by(CallOffOrder.number.desc(), CallOffOrder.revision.desc(), Organisation.ods_code)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).unique()
    return list(found), total


def get_notice(
    session: Session,
    viewer: Principal,
    call_off_id: str,
    ods_code: str,
    *,
    for_update: bool = False,
) -> CallOffMigration:
    """One practice's migration on an order, if the viewer may see it (else 404)."""
    query = _visible_to(_base(), viewer).where(
        CallOffOrder.call_off_id == call_off_id.upper(),
        Organisation.ods_code == ods_code.upper(),
    )
    if for_update:
        found_id = session.scalar(
            query.with_only_columns(CallOffMigration.id).with_for_update(of=CallOffMigration)
        )
        if found_id is not None:
            # The order row too: the order's version moves with its notices.
            session.scalar(
                select(CallOffOrder.id)
                .join(CallOffMigration, CallOffMigration.order_id == CallOffOrder.id)
                .where(CallOffMigration.id == found_id)
                .with_for_update(of=CallOffOrder)
            )
        query = select(CallOffMigration).where(CallOffMigration.id == found_id)
    migration = session.scalars(
        query.options(*_loading()).execution_options(populate_existing=for_update)
    ).first()
    if migration is None:
        raise NotFound(f"No migration of {ods_code.upper()} on order {call_off_id.upper()}.")
    return migration


def previous_supplier_id(migration: CallOffMigration) -> int:
    return migration.previous_system.supplier_id


def _require_open(migration: CallOffMigration) -> None:
    order = migration.order
    if order.status not in _OPEN:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}: its notice can no longer change.",
            {"status": ["Only a submitted, accepted or live order's notice."]},
        )


def _record(
    session: Session, actor: Principal, action: str, migration: CallOffMigration, **changes: Any
) -> None:
    order = migration.order
    # The order moves on with its notice (its ETag and its readers see the change).
    order.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        order.call_off_id,
        # The previous supplier sees the events of its notice (and the commissioner its own).
        supplier_id=previous_supplier_id(migration),
        organisation_id=order.commissioner_id,
        **changes,
    )


def acknowledge(session: Session, actor: Principal, migration: CallOffMigration) -> None:
    """The previous supplier acknowledges the notice as it stands (go-live, bedding-in end,
    notice date, the end of its service and the option it supplies)."""
    if not actor.is_supplier(previous_supplier_id(migration)):
        raise Forbidden("Only the previous supplier acknowledges the notice of its practice.")
    _require_open(migration)
    if migration.acknowledged_at is not None:
        raise Conflict(
            "The notice is already acknowledged as it stands.",
            {"acknowledged_at": [migration.acknowledged_at.isoformat()]},
        )
    dates = dates_of(migration.order, migration)
    migration.acknowledged_at = utcnow()
    migration.acknowledged_by = actor.label
    after = {
        "ods_code": migration.organisation.ods_code,
        "acknowledged_by": actor.label,
        "notice_given_on": dates.notice_given_on if dates else None,
        "service_end": dates.service_end if dates else None,
        "audit_trail_option": migration.audit_trail_option,
    }
    _record(session, actor, "order.migration.acknowledge", migration, after=after)


def extend_notice(
    session: Session,
    actor: Principal,
    migration: CallOffMigration,
    service_end: date,
    reason: str | None,
    today: date | None = None,
) -> None:
    """The commissioner keeps the previous service to a later end (the new system has
    problems): locally funded after bedding-in, and to be acknowledged again."""
    order = migration.order
    if not actor.is_commissioner(order.commissioner_id):
        raise Forbidden("Only the commissioner that placed the order extends its notice.")
    _require_open(migration)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Say why the notice period is extended."]
    dates = dates_of(order, migration)
    if dates is None:
        errors["service_end"] = ["The migration has no go-live date yet."]
    elif service_end <= dates.service_end:
        errors["service_end"] = [
            f"Must be after the current end of the previous service "
            f"({dates.service_end.isoformat()})."
        ]
    else:
        last = term_end(order, today or date.today())
        if service_end > last:
            errors["service_end"] = [f"Must fall within the order's term (by {last.isoformat()})."]
    if errors or dates is None:
        raise InvalidInput("The notice cannot be extended so.", errors)
    before = {
        "ods_code": migration.organisation.ods_code,
        "service_end": dates.service_end,
        "acknowledged_at": migration.acknowledged_at,
    }
    migration.service_end = service_end
    migration.service_end_reason = reason
    migration.acknowledged_at = migration.acknowledged_by = None
    if order.business_case is not None:
        # A recorded change of what the order buys: its frozen business case follows it.
        session.flush()
        order.business_case = freeze(estimate_order(session, order, live=True))
    after = {
        "ods_code": migration.organisation.ods_code,
        "service_end": service_end,
        "reason": reason,
        "acknowledged_at": None,
    }
    _record(session, actor, "order.migration.extend-notice", migration, before=before, after=after)
