"""People who sign in to the web pages: accounts, argon2 password hashes, one-time sign-in links.

An account carries a role as API tokens do (authority, supplier, commissioner, practice) and is
bound the same way: a supplier's person to the supplier, a commissioner's or practice's person
to the organisation. Signed in, a person acts as the `Principal` of that role, so the web pages
apply the catalogue's rules exactly as the API does for a token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import InvalidInput, NotFound
from catalogue.models import Organisation, OrganisationKind, Supplier, UserAccount, utcnow
from catalogue.principal import Principal, Role

from .tokens import AuthenticationFailed

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
SIGN_IN_LINK_HOURS = 24
ORGANISATION_KIND_OF = {
    Role.COMMISSIONER: OrganisationKind.COMMISSIONER,
    Role.PRACTICE: OrganisationKind.PRACTICE,
}

_hasher = PasswordHasher()
# Verified against when no account has the email, so that a wrong email costs the same time as
# a wrong password and timing does not tell which emails have accounts.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_errors(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Use at most {MAX_PASSWORD_LENGTH} characters."]
    return []


def user_summary(user: UserAccount) -> dict:
    """What the audit trail keeps of an account (never a hash)."""
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "supplier_id": user.supplier_id,
        "organisation_id": user.organisation_id,
        "has_password": user.password_hash is not None,
        "disabled_at": user.disabled_at,
    }


def _binding_errors(
    session: Session, role: Role, supplier_id: int | None, organisation_id: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if role is Role.SUPPLIER:
        if supplier_id is None or session.get(Supplier, supplier_id) is None:
            errors["supplier_id"] = ["A supplier's account needs the id of an existing supplier."]
        if organisation_id is not None:
            errors["organisation_id"] = ["A supplier's account is not bound to an organisation."]
        return errors
    if role in (Role.COMMISSIONER, Role.PRACTICE):
        kind = ORGANISATION_KIND_OF[role]
        organisation = session.get(Organisation, organisation_id) if organisation_id else None
        if organisation is None or organisation.kind is not kind:
            errors["organisation_id"] = [
                f"A {role.value}'s account needs the id of an existing {kind.value} organisation."
            ]
        if supplier_id is not None:
            errors["supplier_id"] = [f"A {role.value}'s account is not bound to a supplier."]
        return errors
    if supplier_id is not None or organisation_id is not None:
        errors["role"] = ["An authority account is bound to no supplier or organisation."]
    return errors


def create_user(
    session: Session,
    actor: Principal,
    *,
    email: str,
    name: str,
    role: Role,
    supplier_id: int | None = None,
    organisation_id: int | None = None,
    password: str | None = None,
) -> UserAccount:
    email = normalise_email(email)
    errors = _binding_errors(session, role, supplier_id, organisation_id)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        errors["email"] = ["Give an email address such as name@example.nhs.uk."]
    elif session.scalar(select(UserAccount.id).where(UserAccount.email == email)) is not None:
        errors["email"] = ["An account with this email address already exists."]
    if not name.strip() or len(name) > 200:
        errors["name"] = ["Give the person's name (at most 200 characters)."]
    if password is not None and password_errors(password):
        errors["password"] = password_errors(password)
    if errors:
        raise InvalidInput("The account cannot be created as asked.", errors)
    user = UserAccount(
        email=email,
        name=name.strip(),
        role=role,
        supplier_id=supplier_id,
        organisation_id=organisation_id,
        password_hash=_hasher.hash(password) if password is not None else None,
        created_by=actor.label,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        "user",
        user.id,
        after=user_summary(user),
        supplier_id=user.supplier_id,
        organisation_id=user.organisation_id,
    )
    return user


def issue_sign_in_link(
    session: Session, actor: Principal, user: UserAccount, hours: int = SIGN_IN_LINK_HOURS
) -> str:
    """A secret for a one-time sign-in link (valid `hours`); only its digest is stored."""
    secret = secrets.token_urlsafe(32)
    user.sign_in_link_hash = _digest(secret)
    user.sign_in_link_expires_at = utcnow() + timedelta(hours=hours)
    session.flush()
    audit.record(session, actor, "user.sign_in_link", "user", user.id, after={"hours": hours})
    return secret


def _usable(user: UserAccount | None) -> UserAccount:
    if user is None or user.disabled_at is not None:
        raise AuthenticationFailed("unknown or disabled account")
    return user


def authenticate_password(session: Session, email: str, password: str) -> UserAccount:
    """The account whose email and password these are; AuthenticationFailed otherwise."""
    user = session.scalars(
        select(UserAccount).where(UserAccount.email == normalise_email(email))
    ).first()
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        _hasher.verify(stored or _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError) as error:
        raise AuthenticationFailed("wrong email or password") from error
    if stored is None:
        raise AuthenticationFailed("no password set")
    user = _usable(user)
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    user.last_signed_in_at = utcnow()
    return user


def redeem_sign_in_link(session: Session, secret: str) -> UserAccount:
    """The account a one-time link signs in; the link stops working once used or expired."""
    digest = _digest(secret)
    user = session.scalars(
        select(UserAccount).where(UserAccount.sign_in_link_hash == digest)
    ).first()
    if user is None or not hmac.compare_digest(user.sign_in_link_hash or "", digest):
        raise AuthenticationFailed("unknown sign-in link")
    expired = user.sign_in_link_expires_at is None or user.sign_in_link_expires_at <= utcnow()
    user.sign_in_link_hash = None
    user.sign_in_link_expires_at = None
    if expired:
        session.flush()
        raise AuthenticationFailed("expired sign-in link")
    user = _usable(user)
    user.last_signed_in_at = utcnow()
    return user


def set_password(session: Session, actor: Principal, user: UserAccount, password: str) -> None:
    if password_errors(password):
        raise InvalidInput("The password cannot be used.", {"password": password_errors(password)})
    user.password_hash = _hasher.hash(password)
    session.flush()
    audit.record(session, actor, "user.set_password", "user", user.id)


def get_user(session: Session, user_id: int) -> UserAccount:
    user = session.get(UserAccount, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    return user


def active_user(session: Session, user_id: int) -> UserAccount | None:
    """The account of a session's user id, or None when it is gone or disabled."""
    user = session.get(UserAccount, user_id)
    return user if user is not None and user.disabled_at is None else None


def session_is_current(user: UserAccount, version: object) -> bool:
    """Whether a session that carries `version` still belongs to `user` (none ended since)."""
    return isinstance(version, int) and version == user.session_version


def end_sessions(session: Session, user_id: int) -> None:
    """Sign the person out everywhere: every session made before now stops working, however
    its cookie was kept (flushed, not committed)."""
    user = session.get(UserAccount, user_id, with_for_update=True)
    if user is not None:
        user.session_version = (user.session_version or 0) + 1
        session.flush()


def principal_for(user: UserAccount) -> Principal:
    """The principal a signed-in person acts as: the same rules as a token of that role."""
    return Principal(
        role=user.role,
        name=user.name,
        user_id=user.id,
        supplier_id=user.supplier_id,
        organisation_id=user.organisation_id,
    )
