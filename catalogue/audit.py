"""Recording and checking the audit trail.

Every write calls `record` in the transaction of the change. Events are hash-chained: each
carries the hash of the one before and a hash of its own content, so editing, deleting or
reordering a stored event is detectable by `verify_chain`.

Deleting the newest events and rewinding the head row with them leaves a shorter chain that is
intact in itself; only a copy of the head kept outside the database can tell. `chain_head`
gives that copy (the head's sequence and hash, HMAC-signed with a key from the environment, so
a copy cannot be forged later), and `verify_chain` checks the chain still holds it.

Anchors are also taken automatically: `record_anchor` appends the head (when it has moved) to a
file outside the database, and every serving process calls it every
GPSOC_AUDIT_ANCHOR_INTERVAL seconds (60 by default; api/audit_events/anchoring.py). Only events
written since the last anchor, at most that long ago, can be deleted unnoticed; `verify` checks
the newest stored anchor when it is given none. Keep the file (or a copy shipped elsewhere)
where those who can write the database cannot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, or_, select, true
from sqlalchemy.orm import Session

from .errors import InvalidInput
from .models import (
    AuditChainHead,
    AuditEvent,
    CallOffOrder,
    CallOffRecipient,
    Selection,
    utcnow,
)
from .principal import Principal, Role

GENESIS_HASH = "0" * 64
MAX_EVENT_ID = 2**63 - 1


def _as_stored(value: Any) -> Any:
    """A deep copy as the JSON column gives it back (Decimals and datetimes become `str()`
    strings, tuples lists), so that what is hashed is what is stored and read back. Not
    `catalogue.plain.plain`: that spells one scalar; this keeps the stored spelling of events."""
    return None if value is None else json.loads(json.dumps(value, default=str))


def _content_hash(event: AuditEvent) -> str:
    content = {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "actor_role": event.actor_role,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "supplier_id": event.supplier_id,
        "organisation_id": event.organisation_id,
        "before": event.before,
        "after": event.after,
        "previous_hash": event.previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: int | str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    supplier_id: int | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    head = session.scalars(select(AuditChainHead).with_for_update()).first()
    if head is None:
        head = AuditChainHead(id=1, last_event_id=0, last_hash=GENESIS_HASH)
        session.add(head)
    event = AuditEvent(
        id=(head.last_event_id or 0) + 1,
        occurred_at=utcnow(),
        actor=actor.label,
        actor_role=actor.role.value,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        supplier_id=supplier_id,
        organisation_id=organisation_id,
        before=_as_stored(dict(before)) if before is not None else None,
        after=_as_stored(dict(after)) if after is not None else None,
        previous_hash=head.last_hash,
    )
    event.hash = _content_hash(event)
    session.add(event)
    head.last_event_id = event.id
    head.last_hash = event.hash
    session.flush()
    return event


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """The fields that differ, as (before, after) dicts."""
    keys = [key for key in after if _as_stored(before.get(key)) != _as_stored(after.get(key))]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def record_change(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: int | str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    supplier_id: int | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """`record` a change: only the fields that differ when both sides are known."""
    if before is not None and after is not None:
        before, after = changes(before, after)
    return record(
        session,
        actor,
        action,
        object_type,
        object_id,
        before=before,
        after=after,
        supplier_id=supplier_id,
        organisation_id=organisation_id,
    )


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events_checked: int
    first_broken_event_id: int | None = None
    reason: str | None = None
    anchor_checked: bool = False


ANCHOR_ALGORITHM = "HMAC-SHA256"


@dataclass(frozen=True)
class ChainAnchor:
    """The chain's head at one moment: the newest event's id (0 before the first) and hash."""

    sequence: int
    head_hash: str
    signature: str | None = None  # ANCHOR_ALGORITHM over both, hex; None without a key


def anchor_signature(key: str, sequence: int, head_hash: str) -> str:
    message = f"gpsoc-audit-head:{sequence}:{head_hash}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def chain_head(session: Session, key: str | None) -> ChainAnchor:
    """The head as the database holds it now, signed with `key` when there is one."""
    head = session.get(AuditChainHead, 1)
    sequence = (head.last_event_id or 0) if head is not None else 0
    head_hash = head.last_hash if head is not None else GENESIS_HASH
    signature = anchor_signature(key, sequence, head_hash) if key else None
    return ChainAnchor(sequence, head_hash, signature)


def check_anchor_signature(anchor: ChainAnchor, key: str | None) -> None:
    """Refuse an anchor this service did not sign (InvalidInput), or any without a key."""
    if not key:
        raise InvalidInput(
            "Anchors cannot be checked: the service has no anchor key (GPSOC_AUDIT_ANCHOR_KEY).",
            {"signature": ["No key to check it with."]},
        )
    expected = anchor_signature(key, anchor.sequence, anchor.head_hash)
    if not hmac.compare_digest(expected, (anchor.signature or "").lower()):
        raise InvalidInput(
            "The anchor was not signed by this service.",
            {"signature": ["Does not match the sequence and head hash."]},
        )


def record_anchor(session: Session, key: str | None, path: Path) -> ChainAnchor | None:
    """Append the head now (signed when there is a key) to the anchor file at `path`, one JSON
    line, unless it is the newest there already; return it when it was appended."""
    anchor = chain_head(session, key)
    newest = stored_anchor(path)
    if newest is not None and (newest.sequence, newest.head_hash) == (
        anchor.sequence,
        anchor.head_hash,
    ):
        return None
    line = json.dumps(
        {
            "sequence": anchor.sequence,
            "head_hash": anchor.head_hash,
            "signature": anchor.signature,
            "anchored_at": utcnow().isoformat(),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as anchors:
        anchors.write(line + "\n")
    return anchor


def stored_anchor(path: Path) -> ChainAnchor | None:
    """The newest anchor in the file at `path` (None: no file, or no anchor in it). A line cut
    short (a process stopped while writing) is passed over."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(lines):
        try:
            data = json.loads(line)
            return ChainAnchor(int(data["sequence"]), str(data["head_hash"]), data["signature"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def verify_chain(
    session: Session, batch_size: int = 1000, anchor: ChainAnchor | None = None
) -> ChainReport:
    """Walk the whole chain; with an `anchor` (signature already checked), also require the
    event it names to be there with the hash it names."""
    expected_previous = GENESIS_HASH
    expected_id = 1
    checked = 0
    anchored = anchor is not None
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch_size)
    )
    for event in events:
        checked += 1
        if event.id != expected_id:
            return ChainReport(
                False, checked, event.id, f"event {expected_id} is missing", anchored
            )
        if event.previous_hash != expected_previous:
            return ChainReport(
                False, checked, event.id, "does not follow the event before it", anchored
            )
        if _content_hash(event) != event.hash:
            return ChainReport(
                False, checked, event.id, "content does not match its hash", anchored
            )
        if anchor is not None and event.id == anchor.sequence and event.hash != anchor.head_hash:
            return ChainReport(
                False, checked, event.id, "does not match the anchor's head hash", anchored
            )
        expected_previous = event.hash
        expected_id += 1
    last = expected_id - 1
    if anchor is not None:
        if anchor.sequence > last:
            return ChainReport(
                False,
                checked,
                last + 1,
                f"events after {last} have been removed (the anchor names event {anchor.sequence})",
                anchored,
            )
        if anchor.sequence == 0 and anchor.head_hash != GENESIS_HASH:
            return ChainReport(False, checked, None, "the anchor's head hash is not genesis", True)
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_event_id or 0) != last:
        return ChainReport(
            False, checked, last + 1, f"events after {last} have been removed", anchored
        )
    return ChainReport(True, checked, anchor_checked=anchored)


@dataclass(frozen=True)
class EventFilters:
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"before:{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded).decode().partition(":")
        event_id = int(value)
        if kind != "before" or not 0 < event_id <= MAX_EVENT_ID:
            raise ValueError(cursor)
        return event_id
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(
            "The cursor is not one this API gave out.", {"cursor": ["Invalid."]}
        ) from error


# An evaluator's own score sheet: blind until the commissioner closes scoring.
BLIND_ACTIONS = ("selection.evaluation_entered",)


def _practice_objects(practice_id: int | None) -> ColumnElement[bool]:
    """The practice's own objects: the selections made for it, the orders it receives, itself,
    and its own tokens and people (whose events carry its organisation id)."""
    selections = select(cast(Selection.id, String)).where(Selection.practice_id == practice_id)
    orders = select(CallOffOrder.call_off_id).where(
        CallOffOrder.id.in_(
            select(CallOffRecipient.order_id).where(CallOffRecipient.organisation_id == practice_id)
        )
    )
    return or_(
        and_(AuditEvent.object_type == "selection", AuditEvent.object_id.in_(selections)),
        and_(AuditEvent.object_type == "call_off_order", AuditEvent.object_id.in_(orders)),
        and_(AuditEvent.object_type == "organisation", AuditEvent.object_id == str(practice_id)),
        and_(
            AuditEvent.object_type.in_(("token", "user")),
            AuditEvent.organisation_id == practice_id,
        ),
    )


def _not_blind(viewer: Principal) -> ColumnElement[bool]:
    """An evaluator's scores are read by their owner alone until scoring closes: then by those
    who read the selection (the moderators among them). This holds for every role."""
    closed = select(cast(Selection.id, String)).where(Selection.scoring_closed_at.is_not(None))
    return or_(
        AuditEvent.action.not_in(BLIND_ACTIONS),
        AuditEvent.actor == viewer.label,
        AuditEvent.object_id.in_(closed),
    )


def visible_to(viewer: Principal) -> ColumnElement[bool]:
    """The one rule of who reads which events: the authority all; a supplier those on its own
    listings, on the orders placed with it (from submission) and on its tokens and people; a
    commissioner those on its organisation's objects (its selections, orders, practices,
    tokens, people); a practice those on its own selections and orders, on itself and on its
    tokens and people. Nobody reads another evaluator's blind scores before scoring closes.
    A role without a rule sees nothing."""
    if viewer.role is Role.AUTHORITY:
        owned: ColumnElement[bool] = true()
    elif viewer.role is Role.SUPPLIER and viewer.supplier_id is not None:
        owned = AuditEvent.supplier_id == viewer.supplier_id
    elif viewer.role is Role.COMMISSIONER and viewer.organisation_id is not None:
        owned = AuditEvent.organisation_id == viewer.organisation_id
    elif viewer.role is Role.PRACTICE and viewer.organisation_id is not None:
        owned = _practice_objects(viewer.organisation_id)
    else:
        owned = false()
    return and_(owned, _not_blind(viewer))


def list_events(
    session: Session,
    viewer: Principal,
    filters: EventFilters,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """Newest first; each viewer sees what concerns it (`visible_to`)."""
    query = select(AuditEvent).where(visible_to(viewer))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.occurred_at < filters.until)
    if cursor:
        query = query.where(AuditEvent.id < decode_cursor(cursor))
    events = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(events[limit - 1].id) if len(events) > limit else None
    return events[:limit], next_cursor
