"""Pending revisions: a supplier's proposed change to a published item, held apart from the
published listing until the authority approves it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from .item import CatalogueItem


class RevisionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISCARDED = "discarded"


class ItemRevision(Base):
    __tablename__ = "item_revision"
    __table_args__ = (
        # At most one pending revision per item.
        Index(
            "uq_item_revision_pending",
            "item_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_item.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RevisionStatus] = mapped_column(
        str_enum(RevisionStatus, "revision_status"), default=RevisionStatus.PENDING
    )
    # The item's version when the revision was started, for the record.
    base_version: Mapped[int]
    # The whole proposed listing: {"fields": {...}, "prices": [{"id": int | None, ...}]}.
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    # Also orders the flush: the item's version check runs before the revision is written.
    item: Mapped[CatalogueItem] = relationship()
