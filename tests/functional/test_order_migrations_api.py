"""Migrations over HTTP: each practice's own previous system, never the same system, one
migration per practice, Level 2 enforced, and the completeness check's prompts."""

from __future__ import annotations

import pytest

from catalogue.principal import Role
from tests.functional.orders import (
    ORDERS,
    OTHER_PRACTICE,
    PRACTICE,
    Caller,
    audit_count,
    commencement,
    commissioner_caller,
    go_live,
    item_id,
    lines,
    move,
    order_count,
    place,
    supplier_caller,
    systmone_body,
    token,
)


@pytest.fixture
def commissioner(client, db) -> Caller:
    return commissioner_caller(client, db, "13T")


@pytest.fixture
def authority(client, db) -> Caller:
    return Caller(client, token(db, Role.AUTHORITY))


@pytest.fixture
def tpp(client, db) -> Caller:
    return supplier_caller(client, db, "tpp")


def _refused(db, commissioner: Caller, body: dict) -> dict:
    before, events = order_count(db), audit_count(db)
    response = commissioner.post(ORDERS, json=body)
    assert response.status_code == 422, response.get_json()
    assert (order_count(db), audit_count(db)) == (before, events)
    return response.get_json()


def test_a_migration_to_the_same_system_is_refused(db, commissioner):
    # TPP ordering SystmOne for Gateshead Quays, which runs SystmOne, "leaving" SystmOne.
    body = systmone_body(db, recipients=["A81003"])
    body["migration"]["previous_system_id"] = item_id(db, "systmone")
    refused = _refused(db, commissioner, body)
    assert "already runs SystmOne" in str(refused["errors"]["migration.previous_system_id"])


def test_a_previous_system_not_the_practices_own_is_refused(db, commissioner):
    body = systmone_body(db)
    body["migration"]["previous_system_id"] = item_id(db, "emis-web")
    refused = _refused(db, commissioner, body)
    assert "runs EMIS LV, not EMIS Web" in str(refused["errors"]["migration.previous_system_id"])

    # One migration naming EMIS LV for three practices on three systems.
    body = systmone_body(db, recipients=[PRACTICE, OTHER_PRACTICE, "A81004"])
    refused = _refused(db, commissioner, body)
    assert "A81002" in str(refused["errors"]["migration.previous_system_id"])


def test_one_migration_per_practice_each_from_its_own_system(db, commissioner, tpp):
    body = systmone_body(db, recipients=[PRACTICE, OTHER_PRACTICE, "A81003"], migration=None)
    start = commencement()
    body["migrations"] = [
        {
            "ods_code": PRACTICE,
            "planned_go_live": go_live(start).isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
        },
        {
            "ods_code": OTHER_PRACTICE,
            "planned_go_live": go_live(start).isoformat(),
            "audit_trail_option": "single_user_retention",
        },
    ]
    order, etag = place(commissioner, body)
    found = {m["ods_code"]: m for m in order["migrations"]}
    assert {code: m["previous_system"]["name"] for code, m in found.items()} == {
        PRACTICE: "EMIS LV",
        OTHER_PRACTICE: "EMIS Web",
    }
    assert order["migration"] is None  # more than one: see `migrations`
    # EMIS Web offers all three options, from EMIS's catalogue, listed by priced cost.
    options = found[OTHER_PRACTICE]["audit_trail_options"]
    assert all(o["available"] for o in options)
    costs = [float(o["cost"]) for o in options]
    assert costs == sorted(costs, reverse=True)
    assert "dearest first" in found[OTHER_PRACTICE]["audit_trail_options_order"]
    assert found[OTHER_PRACTICE]["linked_line"]["supplier"]["name"] == "EMIS"

    # Both forms at once are refused; a migration for a practice not on the order too.
    path = f"{ORDERS}/{order['call_off_id']}"
    both = {"migration": {"planned_go_live": None}, "migrations": []}
    assert commissioner.patch(path, json=both, etag=etag).status_code == 422
    stranger = {"migrations": [{"ods_code": "A81004"}]}
    response = commissioner.patch(path, json=stranger, etag=etag)
    assert response.status_code == 422
    assert "migrations.0.ods_code" in response.get_json()["errors"]

    # Removing a recipient removes its migration.
    response = commissioner.patch(path, json={"recipients": [PRACTICE, "A81003"]}, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert [m["ods_code"] for m in response.get_json()["migrations"]] == [PRACTICE]


def test_a_system_below_level_2_cannot_be_ordered_or_submitted(db, commissioner, authority):
    order, etag = place(commissioner, systmone_body(db))
    systmone = item_id(db, "systmone")
    path = f"/api/v1/systems/{systmone}"
    response = authority.delete(
        f"{path}/capabilities/eps", etag=authority.get(path).headers["ETag"]
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["maturity_level"] == 1

    refused = _refused(db, commissioner, systmone_body(db))
    assert "Level 1" in str(refused["errors"]) and "Level 2 system" in str(refused["errors"])

    # The open order is flagged and cannot be submitted.
    shown = commissioner.get(f"{ORDERS}/{order['call_off_id']}").get_json()
    assert any("Level 1" in warning for warning in shown["warnings"])
    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 422, response.get_json()
    assert "Level 2" in str(response.get_json()["errors"]["items"])
    assert commissioner.get(f"{ORDERS}/{order['call_off_id']}").get_json()["status"] == "draft"


def test_completeness_prompts_for_the_new_suppliers_deployment_and_data_extract(db, commissioner):
    order, _ = place(commissioner, systmone_body(db, items=lines(db, "systmone")))
    found = commissioner.get(f"{ORDERS}/{order['call_off_id']}/completeness").get_json()
    assert found["complete"]  # prompts are advice, not requirements
    prompts = [p["message"] for p in found["prompts"]]
    assert any("SystmOne deployment and data migration" in p for p in prompts)
    assert any("data extract" in p and "TPP lists none" in p for p in prompts)

    with_deployment, _ = place(commissioner, systmone_body(db))
    found = commissioner.get(f"{ORDERS}/{with_deployment['call_off_id']}/completeness").get_json()
    assert not any("deployment" in p["message"] for p in found["prompts"])

    no_migration, _ = place(commissioner, systmone_body(db, migration=None))
    found = commissioner.get(f"{ORDERS}/{no_migration['call_off_id']}/completeness").get_json()
    assert found["prompts"] == []
