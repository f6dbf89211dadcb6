"""The listing lifecycle: draft -> submitted (supplier) -> published (authority), or back to
draft with a reason; published <-> suspended; published or suspended -> withdrawn (final).

Each transition is an explicit call; an illegal one is a Conflict naming the transitions the
item's status allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from catalogue.errors import Conflict, Forbidden
from catalogue.listings import revisions
from catalogue.listings.rules import claim, ensure_owner, item_snapshot, record
from catalogue.models import CatalogueItem, ItemStatus, utcnow
from catalogue.principal import Principal, Role
from catalogue.validation import REASON_MAX, FieldErrors


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[ItemStatus]
    target: ItemStatus
    role: Role  # a supplier transition is for the owning supplier only
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", frozenset({ItemStatus.DRAFT}), ItemStatus.SUBMITTED, Role.SUPPLIER),
        Transition(
            "publish", frozenset({ItemStatus.SUBMITTED}), ItemStatus.PUBLISHED, Role.AUTHORITY
        ),
        Transition(
            "reject",
            frozenset({ItemStatus.SUBMITTED}),
            ItemStatus.DRAFT,
            Role.AUTHORITY,
            needs_reason=True,
        ),
        Transition(
            "suspend", frozenset({ItemStatus.PUBLISHED}), ItemStatus.SUSPENDED, Role.AUTHORITY
        ),
        Transition(
            "reinstate", frozenset({ItemStatus.SUSPENDED}), ItemStatus.PUBLISHED, Role.AUTHORITY
        ),
        Transition(
            "withdraw",
            frozenset({ItemStatus.PUBLISHED, ItemStatus.SUSPENDED}),
            ItemStatus.WITHDRAWN,
            Role.AUTHORITY,
        ),
    )
}


def allowed_from(status: ItemStatus) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


def transition(
    session: Session,
    actor: Principal,
    item: CatalogueItem,
    name: str,
    reason: str | None = None,
) -> CatalogueItem:
    step = TRANSITIONS[name]
    if step.role is Role.SUPPLIER:
        ensure_owner(actor, item)
    elif actor.role is not step.role:
        raise Forbidden(f"Only the {step.role.value} may {name} an item.")
    if item.status not in step.sources:
        allowed = allowed_from(item.status)
        raise Conflict(
            f"Cannot {name} a {item.status.value} item; allowed from {item.status.value}: "
            f"{', '.join(allowed) or 'nothing (it is final)'}.",
            {"allowed_transitions": allowed},
        )
    errors = FieldErrors()
    if reason is not None or step.needs_reason:
        errors.text("reason", reason, REASON_MAX, required=step.needs_reason)
    errors.raise_if_any(f"The {name} is not valid.")
    if name == "submit" and not item.prices:
        raise Conflict("Add at least one price before submitting.", {"prices": ["None yet."]})

    before = item_snapshot(item)
    claim(item)
    item.status = step.target
    if name == "submit":
        item.rejection_reason = None
    elif name == "reject":
        item.rejection_reason = reason.strip() if reason else None
    elif name == "publish":
        now = utcnow()
        item.published_at = now
        item.accredited_on = item.accredited_on or now.date()
    elif name == "withdraw":
        pending = revisions.pending_revision(session, item)
        if pending is not None:
            revisions.close(session, actor, item, pending)
    session.flush()
    after = item_snapshot(item)
    if reason:
        before, after = {**before, "reason": None}, {**after, "reason": reason.strip()}
    record(session, actor, f"item.{name}", item, before, after)
    return item
