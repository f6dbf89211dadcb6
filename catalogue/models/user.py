"""People who sign in to the web pages. Passwords are kept only as argon2 hashes, and a one-time
sign-in link only as the SHA-256 digest of its random secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..principal import Role
from .base import Base, UTCDateTime, str_enum, utcnow
from .organisation import Organisation
from .supplier import Supplier


class UserAccount(Base):
    __tablename__ = "user_account"
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
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    sign_in_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sign_in_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Carried in each session at sign-in and checked on every request: bumped at sign-out, so
    # that no copy of a session cookie outlives it (catalogue.accounts.users.end_sessions).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    supplier: Mapped[Supplier | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
