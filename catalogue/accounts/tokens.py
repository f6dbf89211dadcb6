"""API tokens: issue, authenticate, list, revoke.

A token reads `gpsoc_<lookup>_<secret>`: the lookup finds the row, the 256-bit secret is kept
only as a SHA-256 digest (ample for a random secret of that size; slow password hashes are for
guessable secrets) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import NotFound
from catalogue.models import ApiToken, Organisation, OrganisationKind, Supplier, utcnow
from catalogue.principal import Principal, Role
from catalogue.validation import FieldErrors

PREFIX = "gpsoc"
# The roles bound to an organisation, and the kind of organisation each is bound to.
ORGANISATION_KINDS = {
    Role.COMMISSIONER: OrganisationKind.COMMISSIONER,
    Role.PRACTICE: OrganisationKind.PRACTICE,
}
MAX_EXPIRY_DAYS = 3650


class AuthenticationFailed(Exception):
    """The presented credentials are not valid (unknown, malformed, revoked or expired)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token string, shown once


def issue_token(
    session: Session,
    actor: Principal,
    role: Role,
    name: str,
    supplier_id: int | None = None,
    organisation_id: int | None = None,
    expires_in_days: int | None = None,
) -> IssuedToken:
    errors = FieldErrors()
    if role is Role.SUPPLIER:
        if supplier_id is None or session.get(Supplier, supplier_id) is None:
            errors.add("supplier_id", "A supplier token needs the id of an existing supplier.")
        if organisation_id is not None:
            errors.add("organisation_id", "A supplier token is not bound to an organisation.")
    elif role in ORGANISATION_KINDS:
        kind = ORGANISATION_KINDS[role]
        organisation = session.get(Organisation, organisation_id) if organisation_id else None
        if organisation is None or organisation.kind is not kind:
            errors.add(
                "organisation_id",
                f"A {role.value} token needs the id of an existing {kind.value} organisation.",
            )
        if supplier_id is not None:
            errors.add("supplier_id", f"A {role.value} token is not bound to a supplier.")
    else:
        if supplier_id is not None or organisation_id is not None:
            errors.add("role", "An authority token is bound to no supplier or organisation.")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        errors.add("expires_in_days", f"Between 1 and {MAX_EXPIRY_DAYS} days.")
    errors.raise_if_any("The token cannot be issued as asked.")

    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)  # 256 bits
    token = ApiToken(
        lookup=lookup,
        secret_hash=_digest(secret),
        name=name,
        role=role,
        supplier_id=supplier_id if role is Role.SUPPLIER else None,
        organisation_id=organisation_id if role in ORGANISATION_KINDS else None,
        created_by=actor.label,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.issue",
        "token",
        token.id,
        after=token_summary(token),
        supplier_id=token.supplier_id,
        organisation_id=token.organisation_id,
    )
    return IssuedToken(token, f"{PREFIX}_{lookup}_{secret}")


def token_summary(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "role": token.role.value,
        "supplier_id": token.supplier_id,
        "organisation_id": token.organisation_id,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def authenticate(session: Session, presented: str) -> Principal:
    prefix, _, rest = presented.partition("_")
    lookup, _, secret = rest.partition("_")
    if prefix != PREFIX or not lookup or not secret:
        raise AuthenticationFailed("malformed token")
    token = session.scalars(select(ApiToken).where(ApiToken.lookup == lookup)).first()
    # Compare even when no row matched, so timing does not tell which lookups exist.
    stored = token.secret_hash if token is not None else _digest("")
    if not hmac.compare_digest(stored, _digest(secret)) or token is None:
        raise AuthenticationFailed("unknown token")
    if token.revoked_at is not None:
        raise AuthenticationFailed("revoked token")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise AuthenticationFailed("expired token")
    return Principal(
        role=token.role,
        name=token.name,
        token_id=token.id,
        supplier_id=token.supplier_id,
        organisation_id=token.organisation_id,
    )


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, actor: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise NotFound(f"No token {token_id}.")
    if token.revoked_at is None:
        before = token_summary(token)
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "token.revoke",
            "token",
            token.id,
            before=before,
            after=token_summary(token),
            supplier_id=token.supplier_id,
            organisation_id=token.organisation_id,
        )
    return token
