"""The domain rules of supplier writes, without HTTP: price validation, the lifecycle's
transition table, one version bump per write, and revisions applied only on approval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from catalogue.errors import Conflict, Forbidden, InvalidInput
from catalogue.listings import SYSTEM_KINDS, lifecycle, revisions, rules, writes
from catalogue.models import ItemStatus
from catalogue.principal import CONSOLE, Principal, Role
from catalogue.validation import FieldErrors
from tests.factories import supplier_principal, tiers

PRICE = {
    "name": "Licence",
    "charge_type": "licence",
    "unit": "practice",
    "period": "year",
    "effective_from": date(2015, 4, 1),
    "amount": Decimal("100.5"),
}


def _errors(data) -> dict:
    errors = FieldErrors()
    rules.validate_price(errors, data)
    with pytest.raises(InvalidInput) as raised:
        errors.raise_if_any()
    return raised.value.errors


def test_a_valid_price_becomes_a_plain_spec():
    errors = FieldErrors()
    spec = rules.validate_price(errors, PRICE)
    assert not errors
    assert spec["tiers"] == [{"lower_bound": 1, "upper_bound": None, "amount": "100.50"}]
    assert spec["effective_from"] == "2015-04-01" and spec["tier_calculation"] == "volume"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("0.00001")}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"currency": "USD"}, "currency"),
        ({"name": "x" * 201}, "name"),
        ({"unit": "fortnight"}, "unit"),
        ({"effective_to": date(2000, 1, 1)}, "effective_to"),
        ({"amount": None, "tiers": tiers((1, 5), (7, None), amount=Decimal("1"))}, "tiers"),
        ({"amount": None, "tiers": tiers((1, 5), (3, None), amount=Decimal("1"))}, "tiers"),
        ({"amount": None, "tiers": tiers((1, 5), amount=Decimal("1"))}, "tiers"),
        ({"amount": None, "tiers": tiers((0, None), amount=Decimal("1"))}, "tiers"),
        ({"amount": None, "tiers": None}, "tiers"),
    ],
)
def test_price_rules(changes, field):
    assert field in _errors({**PRICE, **changes})


def test_the_transition_table():
    assert lifecycle.allowed_from(ItemStatus.DRAFT) == ["submit"]
    assert lifecycle.allowed_from(ItemStatus.SUBMITTED) == ["publish", "reject"]
    assert lifecycle.allowed_from(ItemStatus.PUBLISHED) == ["suspend", "withdraw"]
    assert lifecycle.allowed_from(ItemStatus.SUSPENDED) == ["reinstate", "withdraw"]
    assert lifecycle.allowed_from(ItemStatus.WITHDRAWN) == []


@pytest.fixture
def emis(db) -> Principal:
    return supplier_principal(db, "emis")


@pytest.fixture
def draft(db, emis):
    body = {
        "kind": "system",
        "name": "Domain System",
        "framework": "gpsoc-r",
        "lot": 1,
        "hosting": "hosted",
        "prices": [PRICE],
    }
    return writes.create_item(db, emis, SYSTEM_KINDS, body)


def test_each_write_bumps_the_version_once(db, emis, draft):
    versions = [draft.version]
    writes.update_item(db, emis, draft, {"name": "Renamed"})
    versions.append(draft.version)
    writes.update_price(db, emis, draft, draft.prices[0].id, {"amount": Decimal("2")})
    versions.append(draft.version)
    lifecycle.transition(db, emis, draft, "submit")
    versions.append(draft.version)
    assert versions == [1, 2, 3, 4]


def test_only_the_owner_writes_and_only_the_authority_publishes(db, emis, draft):
    stranger = Principal(Role.SUPPLIER, "tpp", supplier_id=emis.supplier_id + 1)
    with pytest.raises(Forbidden):
        writes.update_item(db, stranger, draft, {"name": "Mine now"})
    lifecycle.transition(db, emis, draft, "submit")
    with pytest.raises(Forbidden):
        lifecycle.transition(db, emis, draft, "publish")
    with pytest.raises(Conflict):
        lifecycle.transition(db, CONSOLE, draft, "suspend")


def test_a_revision_changes_nothing_until_approved(db, emis, draft):
    lifecycle.transition(db, emis, draft, "submit")
    lifecycle.transition(db, CONSOLE, draft, "publish")
    price_id = draft.prices[0].id
    revision = writes.update_price(db, emis, draft, price_id, {"amount": Decimal("150")})
    writes.create_price(db, emis, draft, {**PRICE, "name": "Support"})
    assert [p.name for p in draft.prices] == ["Licence"]
    assert draft.prices[0].tiers[0].amount == Decimal("100.5")
    diff = revisions.diff(draft, revision)
    assert [p["name"] for p in diff["prices"]["added"]] == ["Support"]
    assert diff["prices"]["changed"][0]["id"] == price_id

    with pytest.raises(Forbidden):
        revisions.approve(db, emis, draft)
    revisions.approve(db, CONSOLE, draft)
    db.flush()
    assert sorted(p.name for p in draft.prices) == ["Licence", "Support"]
    assert next(p for p in draft.prices if p.id == price_id).tiers[0].amount == Decimal("150")
    assert revisions.pending_revision(db, draft) is None


def test_withdrawing_discards_the_pending_revision(db, emis, draft):
    lifecycle.transition(db, emis, draft, "submit")
    lifecycle.transition(db, CONSOLE, draft, "publish")
    revision = writes.update_item(db, emis, draft, {"summary": "Soon"})
    lifecycle.transition(db, CONSOLE, draft, "withdraw")
    assert revision.status.value == "discarded"
    with pytest.raises(Conflict):
        writes.update_item(db, emis, draft, {"summary": "Too late"})
