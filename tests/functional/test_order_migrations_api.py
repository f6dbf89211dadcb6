"""Migrations over HTTP: each practice's own previous system, never the same system, one
migration per practice, Level 2 enforced, and the completeness check's prompts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from catalogue.orders.dates import months_after
from catalogue.principal import Role
from tests.factories import (
    OTHER_PRACTICE,
    PRACTICE,
    audit_count,
    commencement,
    item_id,
    migration_go_live,
    migration_order_body,
    order_count,
    order_lines,
    token,
)
from tests.functional.actors import Caller
from tests.functional.orders import (
    ORDERS,
    commissioner_caller,
    move,
    place,
    supplier_caller,
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
    body = migration_order_body(db, recipients=["A81003"])
    body["migration"]["previous_system_id"] = item_id(db, "systmone")
    refused = _refused(db, commissioner, body)
    assert "already runs SystmOne" in str(refused["errors"]["migration.previous_system_id"])


def test_a_previous_system_not_the_practices_own_is_refused(db, commissioner):
    body = migration_order_body(db)
    body["migration"]["previous_system_id"] = item_id(db, "emis-web")
    refused = _refused(db, commissioner, body)
    assert "runs EMIS LV, not EMIS Web" in str(refused["errors"]["migration.previous_system_id"])

    # One migration naming EMIS LV for three practices on three systems.
    body = migration_order_body(db, recipients=[PRACTICE, OTHER_PRACTICE, "A81004"])
    refused = _refused(db, commissioner, body)
    assert "A81002" in str(refused["errors"]["migration.previous_system_id"])


def test_one_migration_per_practice_each_from_its_own_system(db, commissioner, tpp):
    body = migration_order_body(db, recipients=[PRACTICE, OTHER_PRACTICE, "A81003"], migration=None)
    start = commencement()
    body["migrations"] = [
        {
            "ods_code": PRACTICE,
            "planned_go_live": migration_go_live(start).isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
        },
        {
            "ods_code": OTHER_PRACTICE,
            "planned_go_live": migration_go_live(start).isoformat(),
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
    order, etag = place(commissioner, migration_order_body(db))
    systmone = item_id(db, "systmone")
    path = f"/api/v1/systems/{systmone}"
    response = authority.delete(
        f"{path}/capabilities/eps", etag=authority.get(path).headers["ETag"]
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["maturity_level"] == 1

    refused = _refused(db, commissioner, migration_order_body(db))
    assert "Level 1" in str(refused["errors"]) and "Level 2 system" in str(refused["errors"])

    # The open order is flagged and cannot be submitted.
    shown = commissioner.get(f"{ORDERS}/{order['call_off_id']}").get_json()
    assert any("Level 1" in warning for warning in shown["warnings"])
    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 422, response.get_json()
    assert "Level 2" in str(response.get_json()["errors"]["items"])
    assert commissioner.get(f"{ORDERS}/{order['call_off_id']}").get_json()["status"] == "draft"


def test_completeness_prompts_for_the_new_suppliers_deployment_and_data_extract(db, commissioner):
    order, _ = place(commissioner, migration_order_body(db, items=order_lines(db, "systmone")))
    found = commissioner.get(f"{ORDERS}/{order['call_off_id']}/completeness").get_json()
    assert found["complete"]  # prompts are advice, not requirements
    prompts = [p["message"] for p in found["prompts"]]
    assert any("SystmOne deployment and data migration" in p for p in prompts)
    # The extract comes from the previous system: EMIS's service, not TPP's.
    [extract] = [p for p in prompts if "data extract" in p]
    assert "A81001 leaves EMIS LV" in extract and "EMIS lists" in extract
    assert "TPP" not in extract

    with_deployment, _ = place(commissioner, migration_order_body(db))
    found = commissioner.get(f"{ORDERS}/{with_deployment['call_off_id']}/completeness").get_json()
    assert not any("deployment" in p["message"] for p in found["prompts"])

    # Gateshead Quays runs SystmOne already: no migration, so no advice.
    no_migration, _ = place(
        commissioner, migration_order_body(db, migration=None, recipients=["A81003"])
    )
    found = commissioner.get(f"{ORDERS}/{no_migration['call_off_id']}/completeness").get_json()
    assert found["prompts"] == []


NOTICE_FIELDS = {
    "call_off_id",
    "order_status",
    "commissioner",
    "ods_code",
    "practice_name",
    "previous_system",
    "go_live",
    "go_live_is_actual",
    "bedding_in_end",
    "notice_to_be_given_by",
    "notice_given_on",
    "earliest_notice_end",
    "service_end",
    "service_end_extended",
    "service_end_reason",
    "audit_trail_option",
    "audit_trail_quantity",
    "linked_line",
    "acknowledged",
    "acknowledged_at",
    "acknowledged_by",
    "go_live_agreed",
    "go_live_agreed_on",
    "go_live_agreed_by",
    "go_live_agreed_at",
}


def test_the_previous_supplier_sees_and_acknowledges_the_notice_of_its_practice_only(
    client, db, commissioner, tpp
):
    emis = supplier_caller(client, db, "emis")
    inps = supplier_caller(client, db, "inps")
    start = commencement()
    body = migration_order_body(db, recipients=[PRACTICE, "A81004"])
    body["migration"] = {
        "planned_go_live": migration_go_live(start).isoformat(),
        "audit_trail_option": "single_user_retention",
    }
    order, etag = place(commissioner, body)
    call_off_id = order["call_off_id"]
    notice_path = f"{ORDERS}/{call_off_id}/migrations/{PRACTICE}"
    # A draft gives no notice yet.
    assert emis.get(notice_path).status_code == 404
    assert emis.get("/api/v1/migration-notices").get_json()["total"] == 0
    assert move(commissioner, call_off_id, "submit", etag).status_code == 200

    # EMIS sees Riverside's migration, and nothing else of the order.
    assert emis.get(f"{ORDERS}/{call_off_id}").status_code == 404
    assert emis.get(f"{ORDERS}/{call_off_id}/cost-estimate").status_code == 404
    assert emis.get(f"{ORDERS}/{call_off_id}/migrations/A81004").status_code == 404
    listed = emis.get("/api/v1/migration-notices").get_json()
    assert [(n["call_off_id"], n["ods_code"]) for n in listed["items"]] == [(call_off_id, PRACTICE)]
    response = emis.get(notice_path)
    assert response.status_code == 200
    notice = response.get_json()
    assert set(notice) == NOTICE_FIELDS
    assert notice["previous_system"]["name"] == "EMIS LV"
    assert notice["go_live"] == migration_go_live(start).isoformat()
    assert notice["notice_given_on"] is not None  # recorded on submission
    assert notice["linked_line"]["item_name"] == "EMIS single user retention of the previous system"
    assert notice["linked_line"]["supplier"]["name"] == "EMIS"
    assert not notice["acknowledged"]
    # INPS sees Heaton Park's (Vision 3) only.
    assert inps.get(notice_path).status_code == 404
    assert [n["ods_code"] for n in inps.get("/api/v1/migration-notices").get_json()["items"]] == [
        "A81004"
    ]

    # Acknowledged with If-Match, once, by the previous supplier only; audited.
    ack = f"{notice_path}/acknowledgement"
    assert emis.post(ack).status_code == 428
    assert emis.post(ack, etag='"stale"').status_code == 412
    assert tpp.post(ack, etag=response.headers["ETag"]).status_code == 403
    events = audit_count(db)
    acknowledged = emis.post(ack, etag=response.headers["ETag"])
    assert acknowledged.status_code == 200, acknowledged.get_json()
    assert acknowledged.get_json()["acknowledged"]
    assert audit_count(db) == events + 1
    assert emis.post(ack, etag=acknowledged.headers["ETag"]).status_code == 409
    seen = emis.get(f"/api/v1/audit-events?object_id={call_off_id}").get_json()["items"]
    assert [e["action"] for e in seen] == ["order.migration.acknowledge"]
    # The commissioner and the new supplier see the acknowledgement on the order.
    shown = commissioner.get(f"{ORDERS}/{call_off_id}").get_json()
    riverside = next(m for m in shown["migrations"] if m["ods_code"] == PRACTICE)
    assert riverside["acknowledged"]
    assert tpp.get(notice_path).status_code == 200


def test_the_commissioner_extends_the_notice_and_the_estimate_follows(client, db, commissioner):
    emis = supplier_caller(client, db, "emis")
    order, etag = place(commissioner, migration_order_body(db))
    call_off_id = order["call_off_id"]
    assert move(commissioner, call_off_id, "submit", etag).status_code == 200
    notice_path = f"{ORDERS}/{call_off_id}/migrations/{PRACTICE}"
    response = emis.get(notice_path)
    notice, notice_etag = response.get_json(), response.headers["ETag"]
    response = emis.post(f"{notice_path}/acknowledgement", etag=notice_etag)
    notice_etag = response.headers["ETag"]
    before = commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").get_json()

    bedding_in_end = date.fromisoformat(notice["bedding_in_end"])
    extended = months_after(bedding_in_end, 2)
    extension = f"{notice_path}/notice-extension"
    change = {"service_end": extended.isoformat(), "reason": "The new system's appointments fail."}
    assert commissioner.post(extension, json=change).status_code == 428
    assert emis.post(extension, json=change, etag=notice_etag).status_code == 403
    earlier = {**change, "service_end": bedding_in_end.isoformat()}
    response = commissioner.post(extension, json=earlier, etag=notice_etag)
    assert response.status_code == 422
    assert "service_end" in response.get_json()["errors"]
    response = commissioner.post(extension, json=change, etag=notice_etag)
    assert response.status_code == 200, response.get_json()
    extended_notice = response.get_json()
    assert extended_notice["service_end"] == extended.isoformat()
    assert extended_notice["service_end_extended"]
    assert not extended_notice["acknowledged"]  # to be acknowledged again

    # The estimate keeps EMIS LV two more months, paid by the commissioner, before the option
    # starts.
    after = commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").get_json()
    kept = [line for line in after["recipients"][0]["lines"] if line["kind"] == "notice"]
    assert {line["funding"] for line in kept} == {"commissioner"}
    assert {line["item_name"] for line in kept} == {"EMIS LV"}
    # Two months of each EMIS LV price: 3427.72, 204.00 and 665.08 a year.
    assert sorted(line["total"] for line in kept) == ["110.85", "34.00", "571.29"]
    assert Decimal(after["totals"]["commissioner"]) > Decimal(before["totals"]["commissioner"])

    # EMIS sees the new end and acknowledges it.
    response = emis.get(notice_path)
    assert response.get_json()["service_end"] == extended.isoformat()
    response = emis.post(f"{notice_path}/acknowledgement", etag=response.headers["ETag"])
    assert response.status_code == 200
    actions = [
        e["action"]
        for e in emis.get(f"/api/v1/audit-events?object_id={call_off_id}").get_json()["items"]
    ]
    assert actions == [
        "order.migration.acknowledge",
        "order.migration.extend-notice",
        "order.migration.acknowledge",
    ]


def test_the_business_case_shows_the_baseline_and_the_change_in_json_csv_and_xlsx(db, commissioner):
    body = migration_order_body(db, recipients=[PRACTICE, "A81003"])
    del body["migration"]["previous_system_id"]  # each from its own: Riverside only migrates
    order, _ = place(commissioner, body)
    path = f"{ORDERS}/{order['call_off_id']}"
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    riverside, quays = estimate["recipients"]
    assert riverside["current_system"] == "EMIS LV"
    assert {line["kind"] for line in riverside["baseline_lines"]} == {"baseline"}
    # EMIS LV kept 36 months: (3427.72 + 204) x 3 central, 665.08 x 3 the commissioner's.
    baseline = riverside["baseline"]
    assert (baseline["central"], baseline["commissioner"], baseline["practice"]) == (
        "10895.16",
        "1995.24",
        "0.00",
    )
    # Gateshead Quays keeps SystmOne: its recurring cost does not change.
    assert quays["change"]["recurring"]["total"] == "0.00"
    for year in estimate["change"]["years"]:
        assert set(year) == {
            "year",
            "one_off",
            "recurring",
            "central",
            "commissioner",
            "practice",
            "local",
            "total",
        }
    total_change = Decimal(estimate["totals"]["total"]) - Decimal(estimate["baseline"]["total"])
    assert Decimal(estimate["change"]["total"]) == pytest.approx(total_change, abs=Decimal("0.01"))
    assert "baseline" in estimate["baseline_note"]

    rows = list(
        csv.DictReader(io.StringIO(commissioner.get(f"{path}/export.csv").get_data(as_text=True)))
    )
    grand = {row["line"]: row for row in rows if row["ods_code"] == "ALL"}
    assert grand["change"]["total"] == estimate["change"]["total"]
    assert grand["baseline commissioner"]["total"] == estimate["baseline"]["commissioner"]
    assert {row["line"] for row in rows if row["ods_code"] == PRACTICE} >= {
        "baseline",
        "change central",
        "change commissioner",
        "change practice",
    }

    workbook = load_workbook(io.BytesIO(commissioner.get(f"{path}/export.xlsx").get_data()))
    case = list(workbook["Business case"].iter_rows(values_only=True))
    term = next(row for row in case if row[0] == "ALL" and row[3] == "Term")
    column = {name: index for index, name in enumerate(case[0])}
    assert f"{term[column['Change total']]:.2f}" == estimate["change"]["total"]
    for payer in ("central", "commissioner", "practice"):
        assert f"{term[column[f'Change {payer}']]:.2f}" == estimate["change"][payer]
