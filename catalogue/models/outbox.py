"""The search outbox: one row per catalogue item whose search document may have changed.

Rows are written in the same transaction as the change (see catalogue.outbox), so a change that
commits always leaves a row behind; the search indexer drains the rows after commit and deletes
them once the engine has acknowledged the documents.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class SearchOutbox(Base):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the row must outlive a deleted item so that its document is removed.
    item_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
