"""API tokens: issued random and shown once, stored hashed, bound to their role, revocable and
optionally expiring; every issue and revocation is audited."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue import accounts
from catalogue.errors import InvalidInput, NotFound
from catalogue.models import ApiToken, AuditEvent, utcnow
from catalogue.principal import CONSOLE, Role
from tests import factories


def test_a_token_is_random_shown_once_and_stored_only_as_a_hash(db):
    issued = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "ops")
    other = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "ops")
    prefix, lookup, secret = issued.secret.split("_", 2)
    assert prefix == "gpsoc"
    assert len(base64.urlsafe_b64decode(secret + "=")) * 8 >= 256
    assert issued.secret != other.secret
    stored = db.execute(select(ApiToken.__table__)).mappings().all()
    assert all(secret not in str(value) for row in stored for value in row.values())


def test_authenticating_gives_the_principal_the_token_is_bound_to(db):
    supplier_id = factories.supplier_id(db, "emis")
    issued = accounts.issue_token(db, CONSOLE, Role.SUPPLIER, "emis feed", supplier_id=supplier_id)
    principal = accounts.authenticate(db, issued.secret)
    assert principal.role is Role.SUPPLIER
    assert principal.supplier_id == supplier_id
    assert principal.organisation_id is None
    assert principal.token_id == issued.token.id
    assert principal.label == f"supplier:token:{issued.token.id}"


@pytest.mark.parametrize(
    "presented",
    ["", "gpsoc", "gpsoc__", "bearer-nonsense", "gpsoc_000000000000_notthesecret"],
)
def test_malformed_or_unknown_tokens_fail(db, presented):
    with pytest.raises(accounts.AuthenticationFailed):
        accounts.authenticate(db, presented)


def test_a_right_lookup_with_a_wrong_secret_fails(db):
    issued = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "ops")
    prefix, lookup, _secret = issued.secret.split("_", 2)
    with pytest.raises(accounts.AuthenticationFailed):
        accounts.authenticate(db, f"{prefix}_{lookup}_{'x' * 43}")


def test_a_revoked_token_stops_working_and_revoking_twice_is_audited_once(db):
    issued = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "ops")
    accounts.revoke_token(db, CONSOLE, issued.token.id)
    accounts.revoke_token(db, CONSOLE, issued.token.id)
    with pytest.raises(accounts.AuthenticationFailed):
        accounts.authenticate(db, issued.secret)
    actions = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "token", AuditEvent.object_id == str(issued.token.id)
        )
    ).all()
    assert sorted(actions) == ["token.issue", "token.revoke"]


def test_revoking_an_unknown_token_is_not_found(db):
    with pytest.raises(NotFound):
        accounts.revoke_token(db, CONSOLE, 987654)


def test_an_expired_token_fails(db):
    issued = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "ops", expires_in_days=1)
    assert accounts.authenticate(db, issued.secret).role is Role.AUTHORITY
    issued.token.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    with pytest.raises(accounts.AuthenticationFailed):
        accounts.authenticate(db, issued.secret)


def test_role_bindings_are_checked(db):
    supplier_id = factories.supplier_id(db, "emis")
    practice = factories.organisation_id(db, "A81001")
    commissioner = factories.organisation_id(db, "13T")
    cases = [
        (Role.SUPPLIER, {}, "supplier_id"),
        (Role.SUPPLIER, {"supplier_id": 999999}, "supplier_id"),
        (Role.SUPPLIER, {"supplier_id": supplier_id, "organisation_id": commissioner}, None),
        (Role.COMMISSIONER, {"organisation_id": practice}, "organisation_id"),
        (Role.COMMISSIONER, {"organisation_id": commissioner, "supplier_id": supplier_id}, None),
        (Role.AUTHORITY, {"supplier_id": supplier_id}, "role"),
        (Role.AUTHORITY, {"expires_in_days": 0}, "expires_in_days"),
    ]
    for role, binding, field in cases:
        with pytest.raises(InvalidInput) as raised:
            accounts.issue_token(db, CONSOLE, role, "bad", **binding)
        if field is not None:
            assert field in raised.value.errors, (role, binding)
    assert db.scalar(select(ApiToken.id)) is None  # nothing was stored


def test_issuing_is_audited_with_the_actor_and_whose_token_it_is(db):
    supplier_id = factories.supplier_id(db, "emis")
    issued = accounts.issue_token(db, CONSOLE, Role.SUPPLIER, "feed", supplier_id=supplier_id)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "token.issue")).one()
    assert event.actor == "authority:console"
    assert event.object_id == str(issued.token.id)
    assert event.supplier_id == supplier_id
    assert issued.secret not in str(event.after)


def test_listing_tokens_gives_every_token_in_order(db):
    first = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "one").token
    second = accounts.issue_token(db, CONSOLE, Role.AUTHORITY, "two").token
    assert [t.id for t in accounts.list_tokens(db)][-2:] == [first.id, second.id]
