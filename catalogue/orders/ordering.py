"""Placing, changing and amending call-off orders (the rules: catalogue.orders.rules; building
the lines and migrations: catalogue.orders.building)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, InvalidInput
from catalogue.models import (
    CallOffCounter,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CallOffUpgrade,
    Framework,
    OrderStatus,
    PracticeFundingAgreement,
    Supplier,
    utcnow,
)
from catalogue.orders import upgrades
from catalogue.orders.building import apply_changes
from catalogue.orders.from_selection import prefilled
from catalogue.orders.reading import format_call_off_id, request_fingerprint
from catalogue.orders.rules import (
    INVALID_ORDER,
    MIGRATION_FIELDS,
    OBJECT_TYPE,
    check_estate,
    check_framework,
)
from catalogue.orders.terms import copy_terms, terms_of
from catalogue.principal import Principal, Role
from catalogue.validation import FieldErrors


def summary(order: CallOffOrder) -> dict[str, Any]:
    """What the audit trail records of an order."""
    return {
        "status": order.status.value,
        "supplier_id": order.supplier_id,
        "framework_id": order.framework_id,
        "description": order.description,
        "commencement_date": order.commencement_date,
        "term_months": order.term_months,
        "recipients": sorted(r.organisation.ods_code for r in order.recipients),
        "items": [
            {
                "catalogue_item_id": item.catalogue_item.id,
                "price_id": item.price_id,
                "terms": {k: v for k, v in terms_of(item).to_json().items() if k != "price_id"},
                "quantities": {str(q.organisation_id): q.quantity for q in item.quantities},
            }
            for item in order.items
        ],
        "migrations": [
            {
                "ods_code": migration.organisation.ods_code,
                "previous_system_id": migration.previous_system.id,
                **{name: getattr(migration, name) for name in MIGRATION_FIELDS},
            }
            for migration in order.migrations
        ],
        "upgrades": upgrades.summary(order),
        "go_live_date": order.go_live_date,
        "status_reason": order.status_reason,
    }


def record(
    session: Session, actor: Principal, action: str, order: CallOffOrder, **changes: Any
) -> None:
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        order.call_off_id,
        # The supplier sees an order's events from submission on, as it sees the order: a
        # draft (and a draft amendment) is the commissioner's work in progress.
        supplier_id=order.supplier_id if order.submitted_at is not None else None,
        organisation_id=order.commissioner_id,
        **changes,
    )


# ---------------------------------------------------------------------------------- placing


def _next_number(session: Session) -> int:
    """The next call-off number, from a counter row locked for the rest of the transaction."""
    counter = session.scalars(select(CallOffCounter).with_for_update()).first()
    if counter is None:
        # The migration creates the row; a schema made another way may lack it (a second
        # creator racing to add it fails on the primary key: a 409, never a duplicate number).
        counter = CallOffCounter(id=1, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return counter.last_number


def _by_key(session: Session, commissioner_id: int, key: str) -> CallOffOrder | None:
    return session.scalars(
        select(CallOffOrder).where(
            CallOffOrder.commissioner_id == commissioner_id,
            CallOffOrder.idempotency_key == key,
        )
    ).first()


def _replay(existing: CallOffOrder, fingerprint: str) -> CallOffOrder:
    if existing.request_fingerprint != fingerprint:
        # As the IETF Idempotency-Key draft says: reuse with another payload is a 422.
        raise InvalidInput(
            "This Idempotency-Key was used for a different request.",
            {"Idempotency-Key": ["Already used with another body; use a new key."]},
        )
    return existing


@dataclass(frozen=True)
class Placed:
    order: CallOffOrder
    created: bool  # False when a retried request returned the first order


def _framework_and_supplier(
    session: Session, data: Mapping[str, Any]
) -> tuple[Framework, Supplier]:
    """The framework (live) and the supplier (active) a new order names."""
    errors = FieldErrors()
    framework = session.scalars(
        select(Framework).where(Framework.slug == data["framework"])
    ).first()
    supplier = session.get(Supplier, data["supplier_id"])
    if framework is None:
        errors.add("framework", f"No framework {data['framework']!r}.")
    else:
        check_framework(framework, errors)
    if supplier is None or not supplier.active:
        errors.add("supplier_id", f"No active supplier {data['supplier_id']}.")
    errors.raise_if_any(INVALID_ORDER)
    assert framework is not None and supplier is not None
    return framework, supplier


def create_order(
    session: Session,
    actor: Principal,
    data: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Placed:
    """Place a draft order. With an idempotency key, a retry returns the first order."""
    if actor.role is not Role.COMMISSIONER or actor.organisation_id is None:
        raise Forbidden("Only a commissioner places orders.")
    today = today or date.today()
    fingerprint = request_fingerprint(data)
    if idempotency_key is not None:
        existing = _by_key(session, actor.organisation_id, idempotency_key)
        if existing is not None:
            return Placed(_replay(existing, fingerprint), created=False)

    if data.get("selection_id") is not None:
        data = prefilled(session, actor, data)
    framework, supplier = _framework_and_supplier(session, data)

    order = CallOffOrder(
        commissioner_id=actor.organisation_id,
        supplier=supplier,
        supplier_id=supplier.id,
        framework=framework,
        framework_id=framework.id,
        status=OrderStatus.DRAFT,
        selection_id=data.get("selection_id"),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint if idempotency_key is not None else None,
        created_by=actor.label,
    )
    errors = FieldErrors()
    apply_changes(session, actor, order, data, errors, today)
    # A new order agrees with what its practices run (a draft built step by step, as the web
    # pages do, may add the migration after the items: completeness asks for it then).
    check_estate(order, errors)
    errors.raise_if_any(INVALID_ORDER)

    # Taking a number locks the counter row until commit, so creators queue here. Looking the
    # key up again after the lock sees an order committed by a request that got there first
    # (on PostgreSQL each statement reads what is committed); the unique constraint on
    # (commissioner, key) is the backstop, an IntegrityError answered with 409.
    number = _next_number(session)
    if idempotency_key is not None:
        existing = _by_key(session, actor.organisation_id, idempotency_key)
        if existing is not None:
            return Placed(_replay(existing, fingerprint), created=False)
    order.number, order.revision = number, 1
    order.call_off_id = format_call_off_id(number, 1)
    session.add(order)
    session.flush()
    record(session, actor, "order.create", order, after=summary(order))
    return Placed(order, created=True)


def _require_owner(actor: Principal, order: CallOffOrder) -> None:
    if not actor.is_commissioner(order.commissioner_id):
        raise Forbidden("Only the commissioner that placed the order may change it.")


def update_order(
    session: Session,
    actor: Principal,
    order: CallOffOrder,
    data: Mapping[str, Any],
    *,
    today: date | None = None,
) -> CallOffOrder:
    """Change a draft: the fields present in `data` replace the current ones."""
    _require_owner(actor, order)
    if order.status is not OrderStatus.DRAFT:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}; only a draft can be changed.",
            {"status": ["Only a draft can be changed; amend a live order instead."]},
        )
    before = summary(order)
    errors = FieldErrors()
    check_framework(order.framework, errors)
    apply_changes(session, actor, order, data, errors, today or date.today())
    errors.raise_if_any(INVALID_ORDER)
    session.flush()
    changed_before, changed_after = audit.changes(before, summary(order))
    if changed_after:
        order.updated_at = utcnow()
        record(session, actor, "order.update", order, before=changed_before, after=changed_after)
    return order


def amend_order(session: Session, actor: Principal, order: CallOffOrder) -> CallOffOrder:
    """A new draft revision copied from a live order; both stay readable."""
    _require_owner(actor, order)
    if order.status is not OrderStatus.LIVE:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}; only a live order is amended.",
            {"status": ["Only a live order can be amended."]},
        )
    revision = _next_revision(session, order)
    copy = CallOffOrder(
        number=order.number,
        revision=revision,
        call_off_id=format_call_off_id(order.number, revision),
        commissioner_id=order.commissioner_id,
        supplier=order.supplier,
        supplier_id=order.supplier_id,
        framework=order.framework,
        framework_id=order.framework_id,
        status=OrderStatus.DRAFT,
        description=order.description,
        commencement_date=order.commencement_date,
        term_months=order.term_months,
        selection_id=order.selection_id,
        amends=order,
        created_by=actor.label,
    )
    copy.migrations = [
        CallOffMigration(
            organisation=m.organisation,
            previous_system=m.previous_system,
            service_end=m.service_end,
            service_end_reason=m.service_end_reason,
            **{name: getattr(m, name) for name in MIGRATION_FIELDS},
        )
        for m in order.migrations
    ]
    copy.upgrades = [
        CallOffUpgrade(
            organisation=u.organisation,
            system=u.system,
            from_level=u.from_level,
            to_level=u.to_level,
        )
        for u in order.upgrades
    ]
    copy.recipients = [CallOffRecipient(organisation=r.organisation) for r in order.recipients]
    copy.items = [_copied_item(item) for item in order.items]
    session.add(copy)
    session.flush()
    record(
        session,
        actor,
        "order.amend",
        copy,
        after={"amends": order.call_off_id, **summary(copy)},
    )
    return copy


def _next_revision(session: Session, order: CallOffOrder) -> int:
    """The revision number of a new amendment; none while another one is open."""
    latest = session.scalars(
        select(CallOffOrder)
        .where(CallOffOrder.number == order.number)
        .order_by(CallOffOrder.revision.desc())
    ).first()
    if (
        latest is not None
        and latest.id != order.id  # an open amendment
        and latest.status is not OrderStatus.CANCELLED
    ):
        raise Conflict(
            f"{latest.call_off_id} already amends this order ({latest.status.value}).",
            {"revision": [f"Finish or cancel {latest.call_off_id} first."]},
        )
    return (latest.revision if latest is not None else order.revision) + 1


def _copied_item(item: CallOffItem) -> CallOffItem:
    """A line of the amendment: it keeps the terms the live revision was ordered at, and the
    commissioner's and the practices' agreements to fund it, if any."""
    line = CallOffItem(
        catalogue_item=item.catalogue_item,
        price_id=item.price_id,
        quantities=[
            CallOffQuantity(organisation_id=q.organisation_id, quantity=q.quantity)
            for q in item.quantities
        ],
    )
    copy_terms(line, terms_of(item))
    line.funding_agreed_by = item.funding_agreed_by
    line.funding_agreed_at = item.funding_agreed_at
    line.funding_agreement_reason = item.funding_agreement_reason
    line.practice_agreements = [
        PracticeFundingAgreement(
            practice_id=a.practice_id, agreed_by=a.agreed_by, agreed_at=a.agreed_at, reason=a.reason
        )
        for a in item.practice_agreements
    ]
    return line
