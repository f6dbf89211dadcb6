"""API tokens. Only a hash of each secret is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..principal import Role
from .base import Base, UTCDateTime, str_enum, utcnow


class ApiToken(Base):
    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(
            "(role = 'authority' AND supplier_id IS NULL AND organisation_id IS NULL)"
            " OR (role = 'supplier' AND supplier_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (role IN ('commissioner', 'practice') AND organisation_id IS NOT NULL"
            " AND supplier_id IS NULL)",
            name="role_binding",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Public part of the token, used to find the row; the secret part is only ever hashed.
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "token_role"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthFailureWindow(Base):
    """Failed authentications from one client in one window of time, counted in the database
    so that every server process sees the same count (catalogue/accounts/throttle.py)."""

    __tablename__ = "auth_failure_window"

    client_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, index=True)
    failures: Mapped[int]
