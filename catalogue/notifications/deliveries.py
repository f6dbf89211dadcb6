"""Deliveries: an event fanned out to the people and endpoints that should have it, claimed by
one worker at a time, and the outcome of each attempt.

The rules:
- Fan-out writes one delivery per (event, recipient) (a unique constraint says so), and marks
  the event fanned out, in one transaction: a worker that dies half-way leaves nothing behind,
  and the next one does it all.
- A worker claims due deliveries in a transaction of its own (on PostgreSQL `SELECT ... FOR
  UPDATE SKIP LOCKED`, so two workers take different rows; on SQLite the transaction holds the
  database's write lock from its start, so claims are one at a time), marks them `sending`
  until a lease runs out, commits, and only then sends. Each outcome is committed as soon as it
  is known. A worker killed while sending leaves its rows `sending`; when the lease has run
  out another worker claims them again. So nothing is lost, and the one thing sent twice is a
  send whose answer the dying worker never recorded: it goes again with the same `webhook-id`
  (or email Message-ID), which is what receivers deduplicate on.
- A failed attempt is retried after the next of `RETRY_DELAYS` (exponential, over more than a
  day); after the last, the delivery has failed, and a webhook endpoint that failed so is
  switched off and its owner told (an ENDPOINT_DISABLED event, emailed to its people).
- A person who chose a daily summary has the event's delivery held to the next summary time;
  the summary is one message for every delivery due to them then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import (
    DeliveryAttempt,
    NotificationDelivery,
    NotificationEvent,
    UserAccount,
    WebhookEndpoint,
    utcnow,
)
from . import events as _events
from .events import EventType
from .people import Frequency, frequencies, party_of_role, recipients

EMAIL, WEBHOOK = "email", "webhook"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

# Seconds before each retry: 11 retries over about 32 hours, then the delivery has failed.
RETRY_DELAYS: tuple[int, ...] = (
    5,
    30,
    120,
    600,
    1_800,
    3_600,
    7_200,
    14_400,
    28_800,
    28_800,
    28_800,
)
DIGEST_TIME = time(7, 0)  # UTC: when daily summaries go


def next_digest_at(now: datetime) -> datetime:
    at = datetime.combine(now.date(), DIGEST_TIME, tzinfo=now.tzinfo)
    return at if at > now else at + timedelta(days=1)


def fan_out(session: Session, now: datetime | None = None, limit: int = 200) -> int:
    """Expand events not yet fanned out into their deliveries; the number of events done."""
    now = now or utcnow()
    events = list(
        session.scalars(
            select(NotificationEvent)
            .where(NotificationEvent.fanned_out_at.is_(None))
            .order_by(NotificationEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for event in events:
        people = recipients(session, event)
        chosen = frequencies(session, [p.id for p in people], event.type)
        for person in people:
            frequency = chosen[person.id]
            if frequency is Frequency.NEVER:
                continue
            daily = frequency is Frequency.DAILY
            session.add(
                NotificationDelivery(
                    event_id=event.id,
                    channel=EMAIL,
                    recipient=f"user:{person.id}",
                    user_id=person.id,
                    digest=daily,
                    next_attempt_at=next_digest_at(now) if daily else now,
                )
            )
        for endpoint in _endpoints_for(session, event):
            session.add(
                NotificationDelivery(
                    event_id=event.id,
                    channel=WEBHOOK,
                    recipient=f"endpoint:{endpoint.id}",
                    endpoint_id=endpoint.id,
                    next_attempt_at=now,
                )
            )
        event.fanned_out_at = now
    session.flush()
    return len(events)


def _endpoints_for(session: Session, event: NotificationEvent) -> list[WebhookEndpoint]:
    if event.type not in _events.WEBHOOK_TYPES:
        return []
    parties = []
    if event.supplier_id is not None:
        parties.append(WebhookEndpoint.supplier_id == event.supplier_id)
    if event.organisation_id is not None:
        parties.append(WebhookEndpoint.organisation_id == event.organisation_id)
    if not parties:
        return []
    query = select(WebhookEndpoint).where(or_(*parties), WebhookEndpoint.disabled_at.is_(None))
    return [
        e
        for e in session.scalars(query.order_by(WebhookEndpoint.id))
        if event.type in e.event_types
    ]


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for sending, with everything the sender needs."""

    id: int
    channel: str
    attempt: int
    digest: bool
    event_id: int
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]
    object_type: str
    object_id: str
    # Whose page the links go to: "supplier", "organisation" or "authority".
    party: str | None = None
    email: str | None = None
    name: str | None = None
    user_id: int | None = None
    endpoint_id: int | None = None
    url: str | None = None
    secret: str | None = None

    def path(self, base_url: str) -> str:
        """The link to the page of what happened, as this recipient's party sees it."""
        paths = self.data.get("paths") or {}
        return base_url + str(paths.get(self.party) or self.data.get("path") or "/")

    @property
    def message_id(self) -> str:
        """The delivery's webhook-id: the same on every retry and replay."""
        return f"evt_{self.event_id}"


def claim(
    session: Session,
    worker: str,
    now: datetime | None = None,
    lease: float = 300.0,
    limit: int = 20,
) -> list[Claimed]:
    """Take up to `limit` due deliveries for `worker` until `now + lease`; the caller commits
    before sending. Deliveries to a switched-off endpoint wait until it is switched on."""
    now = now or utcnow()
    disabled = select(WebhookEndpoint.id).where(WebhookEndpoint.disabled_at.is_not(None))
    due = (
        select(NotificationDelivery.id)
        .where(
            or_(
                (NotificationDelivery.status == PENDING)
                & (NotificationDelivery.next_attempt_at <= now),
                (NotificationDelivery.status == SENDING)
                & (NotificationDelivery.claimed_until < now),
            ),
            or_(
                NotificationDelivery.endpoint_id.is_(None),
                NotificationDelivery.endpoint_id.not_in(disabled),
            ),
        )
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(due))
    if not ids:
        return []
    ids += _rest_of_summaries(session, ids, now)
    session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_(ids))
        .values(
            status=SENDING,
            claimed_by=worker,
            claimed_until=now + timedelta(seconds=lease),
            attempts=NotificationDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(NotificationDelivery, NotificationEvent, UserAccount, WebhookEndpoint)
        .join(NotificationEvent, NotificationDelivery.event_id == NotificationEvent.id)
        .outerjoin(UserAccount, NotificationDelivery.user_id == UserAccount.id)
        .outerjoin(WebhookEndpoint, NotificationDelivery.endpoint_id == WebhookEndpoint.id)
        .where(NotificationDelivery.id.in_(ids))
        .order_by(NotificationDelivery.id)
        .execution_options(populate_existing=True)
    )
    return [
        Claimed(
            id=delivery.id,
            channel=delivery.channel,
            attempt=delivery.attempts,
            digest=delivery.digest,
            event_id=event.id,
            event_type=event.type,
            occurred_at=event.occurred_at,
            data=dict(event.data),
            object_type=event.object_type,
            object_id=event.object_id,
            party=_party(user, endpoint),
            email=user.email if user is not None else None,
            name=user.name if user is not None else None,
            user_id=delivery.user_id,
            endpoint_id=delivery.endpoint_id,
            url=endpoint.url if endpoint is not None else None,
            secret=endpoint.secret if endpoint is not None else None,
        )
        for delivery, event, user, endpoint in rows
    ]


def _party(user: UserAccount | None, endpoint: WebhookEndpoint | None) -> str | None:
    if user is not None:
        return party_of_role(user.role.value)
    if endpoint is not None:
        return _events.SUPPLIER if endpoint.supplier_id is not None else _events.ORGANISATION
    return None


def _rest_of_summaries(session: Session, ids: list[int], now: datetime) -> list[int]:
    """A person's daily summary is one message: with one of their due summary deliveries,
    claim all the others due to them too."""
    people = select(NotificationDelivery.user_id).where(
        NotificationDelivery.id.in_(ids), NotificationDelivery.digest.is_(True)
    )
    rest = (
        select(NotificationDelivery.id)
        .where(
            NotificationDelivery.user_id.in_(people),
            NotificationDelivery.digest.is_(True),
            NotificationDelivery.status == PENDING,
            NotificationDelivery.next_attempt_at <= now,
            NotificationDelivery.id.not_in(ids),
        )
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(rest))


def record_success(
    session: Session,
    delivery_id: int,
    now: datetime | None = None,
    status_code: int | None = None,
    latency_ms: int = 0,
) -> None:
    now = now or utcnow()
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        return  # its endpoint was removed meanwhile
    delivery.status = SENT
    delivery.sent_at = now
    delivery.claimed_until = delivery.claimed_by = None
    delivery.last_error = None
    _attempt(session, delivery, now, True, status_code, latency_ms, None)


def record_failure(
    session: Session,
    delivery_id: int,
    error: str,
    now: datetime | None = None,
    status_code: int | None = None,
    latency_ms: int = 0,
) -> None:
    """A failed attempt: retried after the next delay, or failed for good after the last."""
    now = now or utcnow()
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        return
    delivery.claimed_until = delivery.claimed_by = None
    delivery.last_error = error[:2000]
    if delivery.attempts > len(RETRY_DELAYS):
        delivery.status = FAILED
        if delivery.endpoint_id is not None:
            _switch_off(session, delivery, now)
    else:
        delivery.status = PENDING
        delivery.next_attempt_at = now + timedelta(seconds=RETRY_DELAYS[delivery.attempts - 1])
    _attempt(session, delivery, now, False, status_code, latency_ms, error)


def _attempt(
    session: Session,
    delivery: NotificationDelivery,
    now: datetime,
    succeeded: bool,
    status_code: int | None,
    latency_ms: int,
    error: str | None,
) -> None:
    session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            attempted_at=now,
            succeeded=succeeded,
            status_code=status_code,
            latency_ms=max(0, latency_ms),
            error=error[:2000] if error else None,
        )
    )
    session.flush()


def _switch_off(session: Session, delivery: NotificationDelivery, now: datetime) -> None:
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.disabled_at is not None:
        return
    endpoint.disabled_at = now
    endpoint.disabled_reason = (
        f"Switched off after every attempt to deliver an event failed "
        f"({len(RETRY_DELAYS) + 1} attempts over more than a day); last error: "
        f"{delivery.last_error}"
    )
    session.flush()
    owner = _events.Derived(
        EventType.ENDPOINT_DISABLED,
        endpoint.supplier_id,
        endpoint.organisation_id,
        {
            "title": f"Webhook endpoint {endpoint.url}",
            "endpoint_id": endpoint.id,
            "url": endpoint.url,
            "reason": endpoint.disabled_reason,
            "path": f"/account/webhooks/{endpoint.id}",
            "api_path": f"/api/v1/webhook-endpoints/{endpoint.id}",
        },
    )
    _events.write(
        session.connection(),
        [owner],
        object_type="webhook_endpoint",
        object_id=str(endpoint.id),
    )


def replay(session: Session, endpoint: WebhookEndpoint, delivery_id: int) -> NotificationDelivery:
    """Send one delivery to the endpoint again, now, with a fresh retry schedule."""
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(f"No delivery {delivery_id} to this endpoint.")
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.claimed_until = delivery.claimed_by = None
    session.flush()
    return delivery


def endpoint_deliveries(
    session: Session,
    endpoint: WebhookEndpoint,
    page: int = 1,
    page_size: int = 50,
    only: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the endpoint's deliveries newest first, each with its last attempt (the
    delivery log), and how many there are."""
    total = session.scalar(
        select(func.count()).where(NotificationDelivery.endpoint_id == endpoint.id)
    )
    query = (
        select(NotificationDelivery, NotificationEvent.type)
        .join(NotificationEvent, NotificationDelivery.event_id == NotificationEvent.id)
        .where(NotificationDelivery.endpoint_id == endpoint.id)
        .order_by(NotificationDelivery.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    if only is not None:
        query = query.where(NotificationDelivery.id == only)
    rows = list(session.execute(query))
    ids = [delivery.id for delivery, _ in rows]
    last: dict[int, DeliveryAttempt] = {}
    if ids:
        newest = (
            select(func.max(DeliveryAttempt.id))
            .where(DeliveryAttempt.delivery_id.in_(ids))
            .group_by(DeliveryAttempt.delivery_id)
        )
        for attempt in session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.id.in_(newest))
        ):
            last[attempt.delivery_id] = attempt
    return [
        {
            "id": delivery.id,
            "event_id": delivery.event_id,
            "event_type": event_type,
            "webhook_id": f"evt_{delivery.event_id}",
            "status": delivery.status,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at if delivery.status == PENDING else None,
            "sent_at": delivery.sent_at,
            "last_attempted_at": last[delivery.id].attempted_at if delivery.id in last else None,
            "last_status_code": last[delivery.id].status_code if delivery.id in last else None,
            "last_latency_ms": last[delivery.id].latency_ms if delivery.id in last else None,
            "last_error": delivery.last_error,
        }
        for delivery, event_type in rows
    ], total or 0


@dataclass(frozen=True)
class Backlog:
    events: int  # not yet fanned out
    deliveries: int  # due now and not sent
    oldest_age: float  # seconds the oldest of them has waited (0 when none)


def backlog(session: Session, now: datetime | None = None) -> Backlog:
    """What waits to be sent now (daily summaries and retries not yet due do not count)."""
    now = now or utcnow()
    events, oldest_event = session.execute(
        select(func.count(), func.min(NotificationEvent.occurred_at)).where(
            NotificationEvent.fanned_out_at.is_(None)
        )
    ).one()
    waiting, oldest_delivery = session.execute(
        select(func.count(), func.min(NotificationDelivery.next_attempt_at)).where(
            NotificationDelivery.status.in_((PENDING, SENDING)),
            NotificationDelivery.next_attempt_at <= now,
        )
    ).one()
    oldest = min((t for t in (oldest_event, oldest_delivery) if t is not None), default=None)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(events, waiting, age)
