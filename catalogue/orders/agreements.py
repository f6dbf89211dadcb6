"""The agreement of the commissioner and the practice that the commissioner funds additional IT
on an order line.

The GP practice IT infrastructure specification says additional IT "may be PCT funded subject
to agreement between the PCT and practice, or may be a practice responsibility" (seed
003_ad154007f6923b3d.txt): an order line of an additional item is the practice's to pay
(catalogue.funding) until both sides record their agreement, each with its reason in words:
the commissioner that placed the order on the line, and each practice the line is for on its
own behalf (a practice on an order of several agrees for itself only). Then the commissioner
pays the line for that practice (catalogue.orders.terms.funding_of), in the order, its cost
estimate and its export. Either side can withdraw its agreement again. Every agreement and
withdrawal is audited on the order (who, when, why), moves the order's version on (the
order's ETag guards them), and is made while the order is a draft: what was agreed is part of
what is submitted. An amendment of a live order copies its lines with their agreements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import (
    CallOffItem,
    CallOffOrder,
    OrderStatus,
    PracticeFundingAgreement,
    utcnow,
)
from catalogue.orders.rules import OBJECT_TYPE
from catalogue.orders.terms import agreement_possible, funding_of
from catalogue.principal import Principal, Role
from catalogue.validation import REASON_MAX, FieldErrors


def _line(actor: Principal, order: CallOffOrder, line_id: int) -> CallOffItem:
    if not (actor.is_commissioner(order.commissioner_id) or _practice_of(actor, order)):
        raise Forbidden(
            "Only the commissioner that placed the order and the practices it is for may agree "
            "that the commissioner funds its lines."
        )
    line = next((line for line in order.items if line.id == line_id), None)
    if line is None:
        raise NotFound(f"Order {order.call_off_id} has no line {line_id}.")
    if order.status is not OrderStatus.DRAFT:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}; funding is agreed on a draft.",
            {"status": ["Only a draft's funding can be agreed; amend a live order instead."]},
        )
    return line


def _practice_of(actor: Principal, order: CallOffOrder) -> int | None:
    """The practice acting, where it is a recipient of the order."""
    if actor.role is not Role.PRACTICE:
        return None
    recipients = {recipient.organisation_id for recipient in order.recipients}
    return actor.organisation_id if actor.organisation_id in recipients else None


def _shown(line: CallOffItem, practice_id: int | None = None) -> dict[str, Any]:
    decision = funding_of(line, practice_id)
    return {
        "line": line.id,
        "item": line.catalogue_item.name,
        "price": line.price_name,
        "funding": decision.funding.value if decision.funding else None,
        "funding_reason": decision.reason,
        "agreed_by": line.funding_agreed_by,
        "agreement_reason": line.funding_agreement_reason,
        "practices_agreed": [
            {
                "practice_id": agreed.practice_id,
                "agreed_by": agreed.agreed_by,
                "reason": agreed.reason,
            }
            for agreed in line.practice_agreements
        ],
    }


def agree_funding(
    session: Session, actor: Principal, order: CallOffOrder, line_id: int, reason: str
) -> CallOffItem:
    """Record that the actor's side (the ordering commissioner, or a practice the order is
    for) agrees that the commissioner funds a line of additional IT, and why. Given again, the
    reason is replaced."""
    line = _line(actor, order, line_id)
    errors = FieldErrors()
    errors.text("reason", reason, REASON_MAX, required=True)
    errors.raise_if_any("Say why the commissioner should fund the line.")
    if not agreement_possible(line):
        raise InvalidInput(
            f"{line.catalogue_item.name}: {line.price_name} is not additional IT the practice "
            "pays for, so there is nothing to agree.",
            {"line": [f"Paid as ordered: {line.funding_reason}"]},
        )
    practice_id = _practice_of(actor, order)
    if practice_id is not None:
        if practice_id not in {quantity.organisation_id for quantity in line.quantities}:
            raise InvalidInput(
                f"Line {line_id} is not ordered for this practice.",
                {"line": ["A practice agrees only for the lines it receives."]},
            )
        before = _shown(line, practice_id)
        agreement = next(
            (each for each in line.practice_agreements if each.practice_id == practice_id), None
        )
        if agreement is None:
            agreement = PracticeFundingAgreement(practice_id=practice_id)
            line.practice_agreements.append(agreement)
        agreement.agreed_by = actor.name[:200]
        agreement.agreed_at = utcnow()
        agreement.reason = reason.strip()
        session.flush()
        session.refresh(agreement, ["practice"])
        after = _shown(line, practice_id)
        _record(session, actor, order, "order.funding_agreed_by_practice", before, after)
        return line
    before = _shown(line)
    line.funding_agreed_by = actor.name[:200]
    line.funding_agreed_at = utcnow()
    line.funding_agreement_reason = reason.strip()
    _record(session, actor, order, "order.funding_agreed", before, _shown(line))
    return line


def withdraw_agreement(
    session: Session, actor: Principal, order: CallOffOrder, line_id: int
) -> CallOffItem:
    """The actor's side withdraws its agreement: the practice pays the line again."""
    line = _line(actor, order, line_id)
    practice_id = _practice_of(actor, order)
    if practice_id is not None:
        agreement = next(
            (each for each in line.practice_agreements if each.practice_id == practice_id), None
        )
        if agreement is None:
            raise Conflict(
                f"Line {line_id} has no agreement of this practice to withdraw.",
                {"line": ["The practice has not agreed that the commissioner funds this line."]},
            )
        before = _shown(line, practice_id)
        line.practice_agreements.remove(agreement)
        session.flush()
        after = _shown(line, practice_id)
        _record(session, actor, order, "order.practice_funding_agreement_withdrawn", before, after)
        return line
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
