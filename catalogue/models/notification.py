"""Notifications: events in an outbox, their deliveries (an email to a person, a webhook call to
an endpoint), each delivery's attempts, webhook endpoints and people's preferences.

Statuses and kinds are short strings checked by the code that writes them (catalogue
.notifications), not database enums: new event types come with new features, not migrations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class NotificationEvent(Base):
    """One thing that happened that someone should hear of: written in the transaction of the
    change (see catalogue.notifications.events), fanned out into deliveries by the worker."""

    __tablename__ = "notification_event"
    __table_args__ = (Index("ix_notification_event_pending", "fanned_out_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The audit record of the change (None for the service's own events: an endpoint disabled).
    audit_event_id: Mapped[int | None]
    actor_role: Mapped[str | None] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    # The parties it concerns: a supplier and a commissioning organisation.
    supplier_id: Mapped[int | None]
    organisation_id: Mapped[int | None]
    # What the message says (summary fields, the path of the page) and who else should know.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """A supplier's or an organisation's HTTPS endpoint and the event types it receives."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        CheckConstraint("(supplier_id IS NULL) <> (organisation_id IS NULL)", name="one_owner"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing secret ("whsec_" + base64). Kept as it is: an HMAC key must be at hand to sign.
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


class NotificationDelivery(Base):
    """One event to one recipient (a person by email, or an endpoint): at most one row each."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient"),
        Index("ix_notification_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_event.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # "email" or "webhook"
    recipient: Mapped[str] = mapped_column(String(64))  # "user:12" or "endpoint:3"
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    # In a daily summary rather than a message of its own.
    digest: Mapped[bool] = mapped_column(default=False)
    # pending, sending (claimed by a worker until claimed_until), sent, failed (gave up).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    event: Mapped[NotificationEvent] = relationship()


class DeliveryAttempt(Base):
    """One try at a delivery: the log an endpoint's owner reads."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_endpoint", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notification_delivery.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool]
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)


class NotificationPreference(Base):
    """How a person hears of one kind of event: immediately, in a daily summary, or not."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    event_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(16))
