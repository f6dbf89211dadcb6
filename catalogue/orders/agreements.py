"""The commissioner's agreement to fund additional IT on an order line.

The GP practice IT infrastructure specification says additional IT "may be PCT funded subject
to agreement between the PCT and practice, or may be a practice responsibility": an order line
of an additional item is the practice's to pay (catalogue.funding) until the commissioner that
placed the order records its agreement on the line, with its reason in words; then the
commissioner pays it (catalogue.orders.terms.funding_of), in the order, its cost estimate and
its export. The agreement can be withdrawn again. Both are audited on the order (who agreed,
when, why), move the order's version on (the order's ETag guards them), and are made while
the order is a draft: what was agreed is part of what is submitted. An amendment of a live
order copies its lines with their agreements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import CallOffItem, CallOffOrder, OrderStatus, utcnow
from catalogue.orders.rules import OBJECT_TYPE
from catalogue.orders.terms import agreement_possible, funding_of
from catalogue.principal import Principal
from catalogue.validation import REASON_MAX, FieldErrors


def _line(actor: Principal, order: CallOffOrder, line_id: int) -> CallOffItem:
    if not actor.is_commissioner(order.commissioner_id):
        raise Forbidden("Only the commissioner that placed the order may agree to fund its lines.")
    line = next((line for line in order.items if line.id == line_id), None)
    if line is None:
        raise NotFound(f"Order {order.call_off_id} has no line {line_id}.")
    if order.status is not OrderStatus.DRAFT:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}; funding is agreed on a draft.",
            {"status": ["Only a draft's funding can be agreed; amend a live order instead."]},
        )
    return line


def _shown(line: CallOffItem) -> dict[str, Any]:
    decision = funding_of(line)
    return {
        "line": line.id,
        "item": line.catalogue_item.name,
        "price": line.price_name,
        "funding": decision.funding.value if decision.funding else None,
        "funding_reason": decision.reason,
        "agreed_by": line.funding_agreed_by,
        "agreement_reason": line.funding_agreement_reason,
    }


def agree_funding(
    session: Session, actor: Principal, order: CallOffOrder, line_id: int, reason: str
) -> CallOffItem:
    """Record that the commissioner funds a line of additional IT, and why."""
    line = _line(actor, order, line_id)
    errors = FieldErrors()
    errors.text("reason", reason, REASON_MAX, required=True)
    errors.raise_if_any("Say why the commissioner agrees to fund the line.")
    if not agreement_possible(line):
        raise InvalidInput(
            f"{line.catalogue_item.name}: {line.price_name} is not additional IT the practice "
            "pays for, so there is nothing to agree.",
            {"line": [f"Paid as ordered: {line.funding_reason}"]},
        )
    before = _shown(line)
    line.funding_agreed_by = actor.name[:200]
    line.funding_agreed_at = utcnow()
    line.funding_agreement_reason = reason.strip()
    _record(session, actor, order, "order.funding_agreed", before, _shown(line))
    return line


def withdraw_agreement(
    session: Session, actor: Principal, order: CallOffOrder, line_id: int
) -> CallOffItem:
    """The practice pays the line again."""
    line = _line(actor, order, line_id)
    if line.funding_agreed_at is None:
        raise Conflict(
            f"Line {line_id} has no agreement to withdraw.",
            {"line": ["The commissioner has not agreed to fund this line."]},
        )
    before = _shown(line)
    line.funding_agreed_by = line.funding_agreed_at = line.funding_agreement_reason = None
    _record(session, actor, order, "order.funding_agreement_withdrawn", before, _shown(line))
    return line


def _record(
    session: Session,
    actor: Principal,
    order: CallOffOrder,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    # The order's version moves on (its ETag guards the agreement like every order write);
    # of two racing writers, the flush fails one.
    order.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        order.call_off_id,
        before=before,
        after=after,
        # A draft is the commissioner's work in progress: the supplier does not see it yet.
        supplier_id=None,
        organisation_id=order.commissioner_id,
    )
