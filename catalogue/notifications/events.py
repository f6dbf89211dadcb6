"""Notification events, derived from the audit trail in the transaction of the change.

Every change the service makes is audited by `catalogue.audit.record`, in the change's own
transaction, with its actor, its object and the parties it concerns. So events are derived from
the audit records rather than written by each domain function: an `after_flush` hook looks at
the audit events the flush wrote and, for the actions people should hear of, inserts
`notification_event` rows in the same transaction. The change and its notification commit
together or not at all; no domain function has a second call to forget; and an action added
later is one line in `_ACTIONS`.

Each event names its parties (a supplier, a commissioning organisation) and an audience: which
people of which party are emailed (the actor's own party is not told what it did). Webhook
endpoints of either party receive every event of a type they subscribe to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, event, insert, select
from sqlalchemy.orm import Session

from ..models import (
    AuditEvent,
    CallOffMigration,
    CallOffOrder,
    CatalogueItem,
    ItemKind,
    NotificationEvent,
    Organisation,
    Selection,
    table_of,
    utcnow,
)


class EventType(StrEnum):
    ORDER_SUBMITTED = "order.submitted"
    ORDER_AMENDED = "order.amended"
    ORDER_ACCEPTED = "order.accepted"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_LIVE = "order.live"
    MIGRATION_NOTICE_GIVEN = "migration.notice_given"
    MIGRATION_NOTICE_EXTENDED = "migration.notice_extended"
    MIGRATION_ACKNOWLEDGED = "migration.acknowledged"
    LISTING_SUBMITTED = "listing.submitted"
    LISTING_PUBLISHED = "listing.published"
    LISTING_SENT_BACK = "listing.sent_back"
    REVISION_APPROVED = "revision.approved"
    REVISION_REJECTED = "revision.rejected"
    EVALUATOR_INVITED = "selection.evaluator_invited"
    SCORING_CLOSED = "selection.scoring_closed"
    SIGNOFF_WAITING = "selection.signoff_waiting"
    # The service's own: an endpoint switched off after repeated failure (its owner is told).
    ENDPOINT_DISABLED = "webhook.endpoint_disabled"


# What a person reads when choosing which emails they get.
DESCRIPTIONS: dict[EventType, str] = {
    EventType.ORDER_SUBMITTED: "An order is placed with your organisation",
    EventType.ORDER_AMENDED: "An amendment to an order placed with you is submitted",
    EventType.ORDER_ACCEPTED: "The supplier accepts your order",
    EventType.ORDER_CANCELLED: "An order is cancelled",
    EventType.ORDER_LIVE: "An order goes live",
    EventType.MIGRATION_NOTICE_GIVEN: "A practice you serve gives notice that it is leaving",
    EventType.MIGRATION_NOTICE_EXTENDED: "A practice's notice period is extended",
    EventType.MIGRATION_ACKNOWLEDGED: "The previous supplier acknowledges a practice's notice",
    EventType.LISTING_SUBMITTED: "A listing is submitted for review",
    EventType.LISTING_PUBLISHED: "Your listing is published",
    EventType.LISTING_SENT_BACK: "Your listing is sent back",
    EventType.REVISION_APPROVED: "Changes you proposed to a listing are approved",
    EventType.REVISION_REJECTED: "Changes you proposed to a listing are not approved",
    EventType.EVALUATOR_INVITED: "You are asked to evaluate a selection",
    EventType.SCORING_CLOSED: "Scoring closes on a selection",
    EventType.SIGNOFF_WAITING: "A selection's result waits for sign-off",
    EventType.ENDPOINT_DISABLED: "A webhook endpoint of yours is switched off",
}

# Who is emailed: the people of these parties (less the actor's own), and any named people.
SUPPLIER, ORGANISATION, AUTHORITY, NAMED = "supplier", "organisation", "authority", "named"

AUDIENCES: dict[EventType, frozenset[str]] = {
    EventType.ORDER_SUBMITTED: frozenset({SUPPLIER}),
    EventType.ORDER_AMENDED: frozenset({SUPPLIER}),
    EventType.ORDER_ACCEPTED: frozenset({ORGANISATION}),
    EventType.ORDER_CANCELLED: frozenset({SUPPLIER, ORGANISATION}),
    EventType.ORDER_LIVE: frozenset({SUPPLIER, ORGANISATION}),
    EventType.MIGRATION_NOTICE_GIVEN: frozenset({SUPPLIER}),
    EventType.MIGRATION_NOTICE_EXTENDED: frozenset({SUPPLIER}),
    EventType.MIGRATION_ACKNOWLEDGED: frozenset({ORGANISATION}),
    EventType.LISTING_SUBMITTED: frozenset({AUTHORITY}),
    EventType.LISTING_PUBLISHED: frozenset({SUPPLIER}),
    EventType.LISTING_SENT_BACK: frozenset({SUPPLIER}),
    EventType.REVISION_APPROVED: frozenset({SUPPLIER}),
    EventType.REVISION_REJECTED: frozenset({SUPPLIER}),
    EventType.EVALUATOR_INVITED: frozenset({NAMED}),
    EventType.SCORING_CLOSED: frozenset({ORGANISATION}),
    EventType.SIGNOFF_WAITING: frozenset({ORGANISATION}),
    EventType.ENDPOINT_DISABLED: frozenset({SUPPLIER, ORGANISATION}),
}

# The types a webhook endpoint may subscribe to (all but the service's own).
WEBHOOK_TYPES = tuple(t.value for t in EventType if t is not EventType.ENDPOINT_DISABLED)


@dataclass(frozen=True)
class Derived:
    """An event to write: its type, parties and what its message says."""

    type: EventType
    supplier_id: int | None
    organisation_id: int | None
    data: dict[str, Any]


Deriver = Callable[[Connection, AuditEvent], Iterator[Derived]]


def _order(connection: Connection, audit: AuditEvent) -> Any:
    return connection.execute(
        select(
            CallOffOrder.id,
            CallOffOrder.amends_id,
            CallOffOrder.supplier_id,
            CallOffOrder.commissioner_id,
        ).where(CallOffOrder.call_off_id == audit.object_id)
    ).one()


def _order_data(audit: AuditEvent, **more: Any) -> dict[str, Any]:
    """An order's event: the commissioner's page is `path`, the supplier's its own."""
    after = audit.after or {}
    call_off_id = audit.object_id
    return {
        "title": f"Order {call_off_id}",
        "call_off_id": call_off_id,
        "path": f"/orders/{call_off_id}",
        "paths": {SUPPLIER: f"/supplier/orders/{call_off_id}"},
        "api_path": f"/api/v1/orders/{call_off_id}",
        "reason": after.get("reason"),
        **more,
    }


def _notice_data(audit: AuditEvent, practices: list[str]) -> dict[str, Any]:
    """A migration notice's event: the previous supplier sees the notice, not the order."""
    call_off_id = audit.object_id
    one = practices[0] if len(practices) == 1 else None
    return _order_data(
        audit,
        practices=practices,
        paths={SUPPLIER: f"/supplier/notices/{call_off_id}/{one}" if one else "/supplier"},
        api_path=f"/api/v1/orders/{call_off_id}/migrations/{one}"
        if one
        else "/api/v1/migration-notices",
    )


def _order_event(kind: EventType) -> Deriver:
    def derive(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
        order = _order(connection, audit)
        yield Derived(kind, order.supplier_id, order.commissioner_id, _order_data(audit))

    return derive


def _submitted(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
    """An order (or an amendment) submitted; and notice given to each previous supplier."""
    order = _order(connection, audit)
    kind = EventType.ORDER_AMENDED if order.amends_id else EventType.ORDER_SUBMITTED
    yield Derived(kind, order.supplier_id, order.commissioner_id, _order_data(audit))
    if not (audit.after or {}).get("notice_given_on"):
        return
    practices: dict[int, list[str]] = {}
    for supplier_id, ods_code in connection.execute(
        select(CatalogueItem.supplier_id, Organisation.ods_code)
        .join(CallOffMigration, CallOffMigration.previous_system_id == CatalogueItem.id)
        .join(Organisation, CallOffMigration.organisation_id == Organisation.id)
        .where(CallOffMigration.order_id == order.id)
        .order_by(CatalogueItem.supplier_id, Organisation.ods_code)
    ):
        practices.setdefault(supplier_id, []).append(ods_code)
    for supplier_id, codes in practices.items():
        yield Derived(
            EventType.MIGRATION_NOTICE_GIVEN,
            supplier_id,
            order.commissioner_id,
            _notice_data(audit, codes),
        )


def _migration_event(kind: EventType) -> Deriver:
    def derive(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
        # The audit record names the previous supplier (it is the one the notice concerns).
        ods_code = str((audit.after or {}).get("ods_code") or "")
        yield Derived(
            kind, audit.supplier_id, audit.organisation_id, _notice_data(audit, [ods_code])
        )

    return derive


def _item_event(kind: EventType) -> Deriver:
    def derive(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
        item_id = int(audit.object_id)
        row = connection.execute(
            select(CatalogueItem.name, CatalogueItem.kind).where(CatalogueItem.id == item_id)
        ).one_or_none()
        after = audit.after or {}
        public = "services" if row is not None and row.kind == ItemKind.SERVICE else "systems"
        review = "revisions" if kind.value.startswith("revision.") else "listings"
        data = {
            "title": row.name if row is not None else f"Item {item_id}",
            "item_id": item_id,
            "path": f"/{public}/{item_id}",
            "paths": {
                SUPPLIER: f"/supplier/listings/{item_id}",
                AUTHORITY: f"/review/{review}/{item_id}",
            },
            "api_path": f"/api/v1/{public}/{item_id}",
            "reason": after.get("reason") or after.get("status_reason"),
        }
        yield Derived(kind, audit.supplier_id, None, data)

    return derive


def _selection_data(connection: Connection, audit: AuditEvent, **more: Any) -> dict[str, Any]:
    name = connection.execute(
        select(Selection.name).where(Selection.id == int(audit.object_id))
    ).scalar_one_or_none()
    return {
        "title": name or f"Selection {audit.object_id}",
        "selection_id": int(audit.object_id),
        "path": f"/selections/{audit.object_id}",
        "api_path": f"/api/v1/selections/{audit.object_id}",
        **more,
    }


def _selection_event(kind: EventType) -> Deriver:
    def derive(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
        practice_id = connection.execute(
            select(Selection.practice_id).where(Selection.id == int(audit.object_id))
        ).scalar_one_or_none()
        data = _selection_data(connection, audit, organisation_ids=[practice_id])
        yield Derived(kind, None, audit.organisation_id, data)

    return derive


def _evaluator_named(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
    user_id = (audit.after or {}).get("user_id")
    if user_id is None:
        return  # an evaluator by API token: nobody to email (its system can use a webhook)
    data = _selection_data(connection, audit, user_ids=[user_id])
    yield Derived(EventType.EVALUATOR_INVITED, None, audit.organisation_id, data)


def _signed_off(connection: Connection, audit: AuditEvent) -> Iterator[Derived]:
    """One side signed: the other is waiting for (only when the result is not yet locked)."""
    row = connection.execute(
        select(Selection.commissioner_signed_at, Selection.practice_signed_at).where(
            Selection.id == int(audit.object_id)
        )
    ).one_or_none()
    if row is None or (row.commissioner_signed_at and row.practice_signed_at):
        return
    yield from _selection_event(EventType.SIGNOFF_WAITING)(connection, audit)


_ACTIONS: dict[str, Deriver] = {
    "order.submit": _submitted,
    "order.accept": _order_event(EventType.ORDER_ACCEPTED),
    "order.cancel": _order_event(EventType.ORDER_CANCELLED),
    "order.go-live": _order_event(EventType.ORDER_LIVE),
    "order.migration.extend-notice": _migration_event(EventType.MIGRATION_NOTICE_EXTENDED),
    "order.migration.acknowledge": _migration_event(EventType.MIGRATION_ACKNOWLEDGED),
    "item.submit": _item_event(EventType.LISTING_SUBMITTED),
    "item.publish": _item_event(EventType.LISTING_PUBLISHED),
    "item.reject": _item_event(EventType.LISTING_SENT_BACK),
    "item.revision.approve": _item_event(EventType.REVISION_APPROVED),
    "item.revision.reject": _item_event(EventType.REVISION_REJECTED),
    "selection.evaluator_named": _evaluator_named,
    "selection.scoring_closed": _selection_event(EventType.SCORING_CLOSED),
    "selection.signed_off": _signed_off,
}


def derive(connection: Connection, audit: AuditEvent) -> list[Derived]:
    """The notification events an audit record gives rise to (none for most)."""
    deriver = _ACTIONS.get(audit.action)
    return list(deriver(connection, audit)) if deriver is not None else []


def write(connection: Connection, events: list[Derived], **common: Any) -> None:
    """Insert events (in the caller's transaction)."""
    if not events:
        return
    now = utcnow()
    connection.execute(
        insert(table_of(NotificationEvent)),
        [
            {
                "type": e.type.value,
                "occurred_at": now,
                "object_type": common.get("object_type", ""),
                "object_id": common.get("object_id", ""),
                "audit_event_id": common.get("audit_event_id"),
                "actor_role": common.get("actor_role"),
                "supplier_id": e.supplier_id,
                "organisation_id": e.organisation_id,
                "data": e.data,
                "fanned_out_at": None,
            }
            for e in events
        ],
    )


def _after_flush(session: Session, _flush_context: Any) -> None:
    audits = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not audits:
        return
    connection = session.connection()
    for audit in sorted(audits, key=lambda a: a.id):
        write(
            connection,
            derive(connection, audit),
            object_type=audit.object_type,
            object_id=audit.object_id,
            audit_event_id=audit.id,
            actor_role=audit.actor_role,
        )


def install() -> None:
    """Install the hook on every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


install()
