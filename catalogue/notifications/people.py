"""Who is emailed of an event, and how each person chooses to hear of each kind of event."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import NotificationEvent, NotificationPreference, UserAccount
from ..principal import Role
from .events import AUDIENCES, AUTHORITY, NAMED, ORGANISATION, SUPPLIER, EventType


class Frequency(StrEnum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"  # in one summary a day
    NEVER = "never"


DEFAULT_FREQUENCY = Frequency.IMMEDIATELY


def party_of_role(role: str | None) -> str | None:
    if role == Role.SUPPLIER.value:
        return SUPPLIER
    if role in (Role.COMMISSIONER.value, Role.PRACTICE.value):
        return ORGANISATION
    if role == Role.AUTHORITY.value:
        return AUTHORITY
    return None


def recipients(session: Session, event: NotificationEvent) -> list[UserAccount]:
    """The people who should know of the event: by role and organisation, less the actor's own
    party (it knows what it did), and any people the event names; never a disabled account."""
    try:
        audience = set(AUDIENCES[EventType(event.type)])
    except ValueError:
        return []
    if event.type != EventType.ENDPOINT_DISABLED:
        audience.discard(party_of_role(event.actor_role) or "")
    conditions: list[ColumnElement[bool]] = []
    if SUPPLIER in audience and event.supplier_id is not None:
        conditions.append(
            (UserAccount.role == Role.SUPPLIER) & (UserAccount.supplier_id == event.supplier_id)
        )
    if ORGANISATION in audience:
        organisations = {event.organisation_id, *event.data.get("organisation_ids", [])}
        organisations.discard(None)
        if organisations:
            conditions.append(UserAccount.organisation_id.in_(sorted(organisations)))
    if AUTHORITY in audience:
        conditions.append(UserAccount.role == Role.AUTHORITY)
    if NAMED in audience and event.data.get("user_ids"):
        conditions.append(UserAccount.id.in_(event.data["user_ids"]))
    if not conditions:
        return []
    query = (
        select(UserAccount)
        .where(or_(*conditions), UserAccount.disabled_at.is_(None))
        .order_by(UserAccount.id)
    )
    return list(session.scalars(query))


def frequencies(session: Session, user_ids: list[int], event_type: str) -> dict[int, Frequency]:
    """Each person's choice for one kind of event (the default when they made none)."""
    chosen = {
        p.user_id: Frequency(p.frequency)
        for p in session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_(user_ids),
                NotificationPreference.event_type == event_type,
            )
        )
    }
    return {user_id: chosen.get(user_id, DEFAULT_FREQUENCY) for user_id in user_ids}


EMAIL_TYPES = tuple(t.value for t in EventType)

_PARTY_OF_ROLE = {
    Role.SUPPLIER: {SUPPLIER},
    Role.COMMISSIONER: {ORGANISATION, NAMED},
    Role.PRACTICE: {ORGANISATION, NAMED},
    Role.AUTHORITY: {AUTHORITY},
}


def types_for(role: Role) -> list[EventType]:
    """The kinds of event a person in this role can be emailed about."""
    parties = _PARTY_OF_ROLE.get(role, set())
    return [kind for kind in EventType if AUDIENCES[kind] & parties]


def preferences(session: Session, user_id: int) -> dict[str, Frequency]:
    """A person's choice for every kind of event."""
    chosen = {
        p.event_type: Frequency(p.frequency)
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return {kind: chosen.get(kind, DEFAULT_FREQUENCY) for kind in EMAIL_TYPES}


def set_preferences(
    session: Session, user_id: int, choices: dict[str, str]
) -> dict[str, Frequency]:
    """Change some of a person's choices (the others stay); unknown kinds are refused."""
    errors = {
        kind: [f"Not a kind of event; one of: {', '.join(EMAIL_TYPES)}."]
        for kind in choices
        if kind not in EMAIL_TYPES
    }
    for kind, frequency in choices.items():
        if frequency not in Frequency.__members__.values():
            errors.setdefault(kind, []).append(
                f"Must be one of: {', '.join(f.value for f in Frequency)}."
            )
    if errors:
        raise InvalidInput("Some choices cannot be kept.", errors)
    for kind, frequency in choices.items():
        current = session.get(NotificationPreference, (user_id, kind))
        if current is None:
            session.add(
                NotificationPreference(user_id=user_id, event_type=kind, frequency=frequency)
            )
        else:
            current.frequency = frequency
    session.flush()
    return preferences(session, user_id)
