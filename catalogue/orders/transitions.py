"""Moving an order through its lifecycle (catalogue.orders.lifecycle says who may do what)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalogue import estate
from catalogue.errors import Conflict, Forbidden, InvalidInput
from catalogue.models import (
    CallOffOrder,
    OrderStatus,
    utcnow,
)
from catalogue.orders.completeness import completeness
from catalogue.orders.costs import estimate_order
from catalogue.orders.frozen import freeze
from catalogue.orders.lifecycle import RULES, Transition, allowed_from
from catalogue.orders.ordering import record
from catalogue.orders.rules import MIN_SYSTEM_LEVEL, below_level_2, level_2_message, term_end
from catalogue.principal import Principal
from catalogue.validation import FieldErrors


def transition(
    session: Session,
    actor: Principal,
    order: CallOffOrder,
    name: Transition,
    *,
    reason: str | None = None,
    go_live_date: date | None = None,
    today: date | None = None,
) -> CallOffOrder:
    rule = RULES[name]
    _check_may(actor, order, name)
    reason = (reason or "").strip() or None
    if rule.needs_reason and reason is None:
        raise InvalidInput(f"Say why you {name.value} the order.", {"reason": ["Required."]})
    if name is Transition.SUBMIT:
        below = [line.catalogue_item for line in order.items if below_level_2(line.catalogue_item)]
        if below:
            raise InvalidInput(
                f"{below[0].name} is below Level {MIN_SYSTEM_LEVEL}; the order cannot be "
                "submitted.",
                {"items": [level_2_message(system) for system in below]},
            )
        _check_complete(session, order, today)
    if name is Transition.GO_LIVE:
        _check_go_live(order, go_live_date, today)

    frozen = None
    if name is Transition.SUBMIT:
        # Submitting gives notice to each previous supplier, unless a date was recorded.
        for migration in order.migrations:
            if migration.notice_given_on is None:
                migration.notice_given_on = today or date.today()
        session.flush()
        # The business case decided on is kept with the order: read back unchanged after
        # go-live (which changes the estate) or a change of catalogue prices.
        frozen = freeze(estimate_order(session, order))

    before = {"status": order.status.value}
    order.status = rule.target
    now = utcnow()
    if name is Transition.SUBMIT:
        order.submitted_at = now
        order.business_case = frozen
    elif name is Transition.ACCEPT:
        order.accepted_at = now
    elif name is Transition.GO_LIVE:
        order.go_live_date = go_live_date
        reasked = _reask_acknowledgements(order, go_live_date)
    if reason is not None:
        order.status_reason = reason
    order.updated_at = now
    session.flush()  # the version check: of two racing writers, one fails here
    after: dict[str, Any] = {
        "status": order.status.value,
        "reason": reason,
        "go_live_date": go_live_date,
    }
    if name is Transition.SUBMIT and order.migrations:
        after["notice_given_on"] = {
            m.organisation.ods_code: m.notice_given_on for m in order.migrations
        }
    if name is Transition.GO_LIVE and reasked:
        after["acknowledgement_reset"] = reasked
    record(session, actor, f"order.{name.value}", order, before=before, after=after)
    if name is Transition.GO_LIVE:
        assert go_live_date is not None  # checked
        estate.go_live(session, actor, order, go_live_date, term_end(order, today or date.today()))
        if order.amends is not None:
            _supersede(session, actor, order.amends, order, go_live_date)
    elif name in {Transition.COMPLETE, Transition.TERMINATE}:
        ended = today or date.today()
        estate.end_order_lines(
            session,
            actor,
            order,
            ended,
            f"{order.call_off_id} {order.status.value} on {ended.isoformat()}"
            + (f": {reason}" if reason else "."),
        )
    return order


def _reask_acknowledgements(order: CallOffOrder, go_live_date: date | None) -> list[str]:
    """An actual go-live other than the planned one moves bedding-in and the notice's end: the
    previous supplier's acknowledgement of the planned dates no longer stands, and it is asked
    again (the practices whose acknowledgement is reset)."""
    reset = []
    for migration in order.migrations:
        moved = migration.planned_go_live != go_live_date
        if moved and migration.acknowledged_at is not None:
            migration.acknowledged_at = migration.acknowledged_by = None
            reset.append(migration.organisation.ods_code)
    return reset


def _check_may(actor: Principal, order: CallOffOrder, name: Transition) -> None:
    """The actor is a party the transition is for, and the order is in one of its sources."""
    rule = RULES[name]
    party = actor.is_commissioner(order.commissioner_id) or actor.is_supplier(order.supplier_id)
    if actor.role not in rule.roles or not party:
        names = " or ".join(sorted(role.value for role in rule.roles))
        raise Forbidden(f"Only the order's {names} may {name.value} it.")
    if order.status not in rule.sources:
        allowed = [t.value for t in allowed_from(order.status)]
        listed = ", ".join(allowed) if allowed else "none (the order is closed)"
        raise Conflict(
            f"Cannot {name.value} an order that is {order.status.value}. Allowed: {listed}.",
            {"transition": [f"Allowed from {order.status.value}: {listed}."]},
        )


def _check_complete(session: Session, order: CallOffOrder, today: date | None) -> None:
    incomplete = FieldErrors()
    for item in completeness(session, order, today):
        incomplete.add(item.field, item.message)
    incomplete.raise_if_any("The order is not complete; see what is missing.", Conflict)


def _check_go_live(order: CallOffOrder, go_live_date: date | None, today: date | None) -> None:
    """Business go-live is recorded, within the order's term."""
    if go_live_date is None:
        raise InvalidInput("Record the business go-live date.", {"go_live_date": ["Required."]})
    if order.commencement_date is not None and go_live_date < order.commencement_date:
        raise InvalidInput(
            "Business go-live cannot precede commencement.",
            {"go_live_date": ["Cannot be before the commencement date."]},
        )
    if go_live_date > (today or date.today()):
        raise InvalidInput(
            "Business go-live is recorded once it has happened.",
            {
                "go_live_date": [
                    "Cannot be in the future: record go-live on the day or after; the "
                    "planned date is the migration's planned_go_live."
                ]
            },
        )
    end = term_end(order, today or date.today())
    if go_live_date > end:
        raise InvalidInput(
            "Business go-live must fall within the order's term.",
            {"go_live_date": [f"Cannot be after the end of the term ({end.isoformat()})."]},
        )


def _supersede(
    session: Session,
    actor: Principal,
    previous: CallOffOrder,
    successor: CallOffOrder,
    on: date,
) -> None:
    """An amendment going live completes the revision it amends."""
    if previous.status is not OrderStatus.LIVE:
        return
    previous.status = OrderStatus.COMPLETED
    previous.status_reason = f"Superseded by {successor.call_off_id}."
    previous.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "order.supersede",
        previous,
        before={"status": OrderStatus.LIVE.value},
        after={"status": previous.status.value, "reason": previous.status_reason},
    )
    estate.end_order_lines(session, actor, previous, on, previous.status_reason)
