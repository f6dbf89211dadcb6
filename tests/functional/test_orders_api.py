"""Call-off orders over HTTP: the migration business case end to end, lifecycle, scoping,
bad input and idempotent retries."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from catalogue import selections
from catalogue.models import AuditEvent, CallOffOrder, CatalogueItem, ItemStatus
from catalogue.orders.dates import add_months, months_after
from catalogue.principal import Principal, Role
from tests.factories import (
    FOREIGN_PRACTICE,
    OTHER_PRACTICE,
    PRACTICE,
    audit_count,
    commencement,
    item_id,
    lock_by_signatures,
    migration_go_live,
    migration_order_body,
    order_count,
    order_lines,
    price_ids,
    supplier_id,
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
    """NHS Newcastle Gateshead CCG (13T), Riverside's commissioner."""
    return commissioner_caller(client, db, "13T")


@pytest.fixture
def other_commissioner(client, db) -> Caller:
    return commissioner_caller(client, db, "05X")


@pytest.fixture
def tpp(client, db) -> Caller:
    """The supplier the migration orders are placed with."""
    return supplier_caller(client, db, "tpp")


@pytest.fixture
def emis(client, db) -> Caller:
    return supplier_caller(client, db, "emis")


@pytest.fixture
def authority(client, db) -> Caller:
    return Caller(client, token(db, Role.AUTHORITY))


def locked_selection(db, commissioner: Caller) -> int:
    """A direct award of SystmOne to Riverside (on EMIS LV), locked."""
    actor = Principal(
        Role.COMMISSIONER, "test", token_id=1, organisation_id=commissioner.organisation_id
    )
    chosen = selections.create_selection(
        db,
        actor,
        name="Riverside system change",
        practice=PRACTICE,
        framework="gpsoc-r",
        term_months=36,
    )
    selections.add_candidates(db, actor, chosen, [item_id(db, "systmone")])
    lock_by_signatures(db, chosen)
    db.flush()
    return chosen.id


def test_a_migration_from_emis_lv_to_systmone_from_selection_to_go_live(
    db, commissioner, tpp, authority
):
    start = commencement()
    go_live = migration_go_live(start)
    body = {
        "selection_id": locked_selection(db, commissioner),
        "commencement_date": start.isoformat(),
        "items": order_lines(db, "systmone-deployment-migration"),
        "migration": {
            "previous_system_id": item_id(db, "emis-lv"),
            "planned_go_live": go_live.isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
        },
    }
    order, etag = place(commissioner, body)

    # Prefilled from the selection: the winner's supplier and prices, the practice, the term.
    assert order["supplier"]["id"] == tpp.supplier_id
    assert order["term_months"] == 36
    assert [r["ods_code"] for r in order["recipients"]] == [PRACTICE]
    ordered = {(i["item_name"], i["price_name"]): i for i in order["items"]}
    assert set(ordered) == {
        ("SystmOne", "Annual practice licence"),
        ("SystmOne", "Level 3 increment"),
        ("SystmOne", "System support"),
        ("SystmOne deployment and data migration", "Deployment and migration"),
    }
    assert ordered[("SystmOne", "Annual practice licence")]["funding"] == "central"
    assert ordered[("SystmOne", "System support")]["funding"] == "commissioner"
    assert "commissioner pays" in ordered[("SystmOne", "System support")]["funding_reason"]

    # The audit-trail options, in falling cost, priced from EMIS's catalogue.
    migration = order["migration"]
    assert migration["previous_supplier"]["name"] == "EMIS"
    options = {o["option"]: o for o in migration["audit_trail_options"]}
    assert list(options) == ["full_support", "single_user_retention", "audit_trail_retrieval"]
    assert all(o["available"] for o in options.values())
    assert options["audit_trail_retrieval"]["chosen"]
    assert options["audit_trail_retrieval"]["prices"][0]["amount"] == "295.00"
    assert options["single_user_retention"]["prices"][0]["amount"] == "1150.00"

    # The business case over 36 months, split between the payers (the practice pays nothing:
    # nothing here is additional IT; local is the deprecated commissioner + practice).
    estimate = commissioner.get(f"{ORDERS}/{order['call_off_id']}/cost-estimate").get_json()
    totals = estimate["totals"]
    year_1, year_2, year_3 = totals["years"]
    # Year 1: SystmOne from go-live (the end of month 2), 10 months: (4250 + 204) x 10 / 12
    # central, 650 x 10 / 12 local; EMIS LV for months 1-2 and 3 months of bedding-in, 5
    # months: (3427.72 + 204) x 5 / 12 central, 665.08 x 5 / 12 local; one-off deployment 6200
    # and the audit trail retrieval 295, local.
    assert year_1["one_off"] == {
        "central": "0.00",
        "commissioner": "6495.00",
        "practice": "0.00",
        "local": "6495.00",
        "total": "6495.00",
    }
    assert year_1["recurring"] == {
        "central": "5224.88",
        "commissioner": "818.78",
        "practice": "0.00",
        "local": "818.78",
        "total": "6043.67",
    }
    assert (
        year_2["recurring"]
        == year_3["recurring"]
        == {
            "central": "4454.00",
            "commissioner": "650.00",
            "practice": "0.00",
            "local": "650.00",
            "total": "5104.00",
        }
    )
    assert (totals["central"], totals["commissioner"], totals["practice"], totals["total"]) == (
        "14132.88",
        "8613.78",
        "0.00",
        "22746.67",
    )
    assert estimate["recipients"][0]["summary"]["total"] == "22746.67"

    # Submit, accept, go live: the dates the source documents describe.
    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 200, response.get_json()
    response = move(tpp, order["call_off_id"], "accept", response.headers["ETag"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["allowed_transitions"] == ["go-live", "cancel"]
    # Go-live is recorded once it has happened: today, ahead of the planned date.
    go_live = date.today()
    response = move(
        tpp,
        order["call_off_id"],
        "go-live",
        response.headers["ETag"],
        go_live_date=go_live.isoformat(),
    )
    assert response.status_code == 200, response.get_json()
    live = response.get_json()
    assert live["status"] == "live"
    assert live["migration"]["go_live_date"] == go_live.isoformat()
    assert live["migration"]["bedding_in_end"] == months_after(go_live, 3).isoformat()
    assert live["migration"]["notice_to_be_given_by"] == go_live.isoformat()
    assert live["migration"]["earliest_notice_end"] == months_after(go_live, 3).isoformat()

    # Audited, and visible to the commissioner as its own, to the supplier from submission.
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == order["call_off_id"])
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["order.create", "order.submit", "order.accept", "order.go-live"]
    for caller, seen in ((commissioner, 4), (tpp, 3)):
        events = caller.get(f"/api/v1/audit-events?object_id={order['call_off_id']}").get_json()
        assert len(events["items"]) == seen


def test_retrying_a_post_with_the_same_idempotency_key_returns_the_first_order(db, commissioner):
    body = migration_order_body(db)
    before = order_count(db)
    first, _ = place(commissioner, body, headers={"Idempotency-Key": "order-1"})
    response = commissioner.post(ORDERS, json=body, headers={"Idempotency-Key": "order-1"})
    assert response.status_code == 201
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.get_json()["call_off_id"] == first["call_off_id"]
    assert order_count(db) == before + 1

    other = migration_order_body(db, term_months=24)
    response = commissioner.post(ORDERS, json=other, headers={"Idempotency-Key": "order-1"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert order_count(db) == before + 1


def test_call_off_ids_are_numbered_with_a_revision(db, commissioner):
    first, _ = place(commissioner, migration_order_body(db))
    second, _ = place(commissioner, migration_order_body(db))
    assert first["call_off_id"].endswith("-01")
    number = int(first["call_off_id"][1:7])
    assert second["call_off_id"] == f"C{number + 1:06d}-01"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipients": ["Z99999"]}, "recipients"),
        ({"term_months": 49}, "term_months"),
        ({"term_months": 0}, "term_months"),
        ({"commencement_date": "2000-01-01"}, "commencement_date"),
        ({"framework": "gpsoc"}, "framework"),
        ({"supplier_id": 999999}, "supplier_id"),
    ],
)
def test_bad_orders_are_refused_with_reasons_and_nothing_is_stored(db, commissioner, change, field):
    before, events = order_count(db), audit_count(db)
    response = commissioner.post(ORDERS, json=migration_order_body(db, **change))
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert field in errors.get("json", errors)  # schema errors are under their location
    assert (order_count(db), audit_count(db)) == (before, events)


def test_items_must_be_the_suppliers_and_quantities_positive(db, commissioner):
    before = order_count(db)
    emis_items = migration_order_body(db, items=order_lines(db, "emis-web"))
    response = commissioner.post(ORDERS, json=emis_items)
    assert response.status_code == 422
    assert "is not an item of TPP" in str(response.get_json()["errors"])

    wrong_price = migration_order_body(db)
    wrong_price["items"][0]["price_id"] = price_ids(db, "emis-web")["Annual practice licence"]
    response = commissioner.post(ORDERS, json=wrong_price)
    assert response.status_code == 422

    for quantity in (-1, -3):  # 0 is allowed: the line is not for that practice
        zero = migration_order_body(
            db, items=order_lines(db, "systmone-training", **{PRACTICE: quantity})
        )
        response = commissioner.post(ORDERS, json=zero)
        assert response.status_code == 422
        assert "items" in response.get_json()["errors"]
    assert order_count(db) == before


def test_a_commissioner_cannot_order_for_another_commissioners_practice(db, commissioner):
    before = order_count(db)
    response = commissioner.post(
        ORDERS, json=migration_order_body(db, recipients=[FOREIGN_PRACTICE])
    )
    assert response.status_code == 403
    assert order_count(db) == before


def test_per_patient_quantities_default_to_the_list_size(db, commissioner):
    # Scanwise's document management is priced per registered patient (additional IT: the
    # practice pays it unless the commissioner agrees to fund it).
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "scanwise"),
        "commencement_date": commencement().isoformat(),
        "term_months": 12,
        "recipients": [PRACTICE, OTHER_PRACTICE],
        "items": order_lines(
            db, "scanwise-docflow", "Document management licence", **{OTHER_PRACTICE: 100}
        )
        + order_lines(db, "scanwise-docflow", "Installation and scanner set-up"),
    }
    order, _ = place(commissioner, body)
    per_patient = next(i for i in order["items"] if i["unit"] == "patient")
    assert per_patient["funding"] == "practice"
    assert {q["ods_code"]: q["quantity"] for q in per_patient["quantities"]} == {
        PRACTICE: 8432,
        OTHER_PRACTICE: 100,
    }
    per_practice = next(i for i in order["items"] if i["unit"] == "practice")
    assert {q["quantity"] for q in per_practice["quantities"]} == {1}


def test_an_incomplete_order_lists_what_is_missing_and_cannot_be_submitted(db, commissioner):
    body = migration_order_body(db, term_months=None, items=[])
    body["migration"] = {"previous_system_id": item_id(db, "emis-lv")}
    order, etag = place(commissioner, body)
    assert order["status"] == "draft"

    found = commissioner.get(f"{ORDERS}/{order['call_off_id']}/completeness").get_json()
    assert not found["complete"]
    assert {m["field"] for m in found["missing"]} == {
        "term_months",
        "items",
        "migration.planned_go_live",
        "migration.audit_trail_option",
    }
    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 409
    assert "items" in response.get_json()["errors"]
    assert commissioner.get(f"{ORDERS}/{order['call_off_id']}").get_json()["status"] == "draft"


def test_a_draft_is_completed_with_patch_and_if_match(db, commissioner):
    order, etag = place(commissioner, migration_order_body(db, items=[]))
    path = f"{ORDERS}/{order['call_off_id']}"
    new_items = {"items": order_lines(db, "systmone")}
    assert commissioner.patch(path, json=new_items).status_code == 428
    assert commissioner.patch(path, json=new_items, etag='"stale"').status_code == 412
    response = commissioner.patch(path, json=new_items, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["items"]) == 3
    assert response.headers["ETag"] != etag

    # Adding a recipient keeps the others' quantities and defaults the new one's.
    # Gateshead Quays (A81003) already runs SystmOne: it joins without a migration.
    response = commissioner.patch(
        path, json={"recipients": [PRACTICE, "A81003"]}, etag=response.headers["ETag"]
    )
    assert response.status_code == 200, response.get_json()
    for item in response.get_json()["items"]:
        assert {q["ods_code"] for q in item["quantities"]} == {PRACTICE, "A81003"}
    assert commissioner.get(f"{path}/completeness").get_json()["complete"]


def test_an_illegal_transition_is_a_conflict_naming_the_allowed_ones(db, commissioner, tpp):
    order, etag = place(commissioner, migration_order_body(db))
    response = move(commissioner, order["call_off_id"], "complete", etag)
    assert response.status_code == 409
    assert "submit, cancel" in response.get_json()["message"]

    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    # Only the supplier accepts.
    assert move(commissioner, order["call_off_id"], "accept", etag).status_code == 403
    # Cancelling needs a reason.
    response = move(tpp, order["call_off_id"], "cancel", etag)
    assert response.status_code == 422
    response = move(tpp, order["call_off_id"], "cancel", etag, reason="Capacity")
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["status_reason"] == "Capacity"
    response = move(commissioner, order["call_off_id"], "submit", response.headers["ETag"])
    assert response.status_code == 409
    assert "none" in response.get_json()["message"]


def test_orders_are_scoped_to_their_commissioner_supplier_and_the_authority(
    db, commissioner, other_commissioner, tpp, emis, authority
):
    order, etag = place(commissioner, migration_order_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"
    # A draft is the commissioner's alone.
    assert tpp.get(path).status_code == 404
    etag = move(commissioner, order["call_off_id"], "submit", etag).headers["ETag"]

    assert tpp.get(path).status_code == 200
    assert authority.get(path).status_code == 200
    assert emis.get(path).status_code == 404
    assert other_commissioner.get(path).status_code == 404
    assert order["call_off_id"] in [o["call_off_id"] for o in tpp.get(ORDERS).get_json()["items"]]
    assert emis.get(ORDERS).get_json()["total"] == 0
    assert other_commissioner.get(ORDERS).get_json()["total"] == 0
    # Another supplier can neither see nor change it; a supplier cannot place orders.
    assert move(emis, order["call_off_id"], "accept", etag).status_code == 404
    assert emis.post(ORDERS, json=migration_order_body(db)).status_code == 403
    assert tpp.patch(path, json={"term_months": 12}, etag=etag).status_code == 403


def test_an_amendment_is_a_new_revision_and_both_stay_readable(db, commissioner, tpp):
    order, etag = place(commissioner, migration_order_body(db))
    call_off_id = order["call_off_id"]
    etag = move(commissioner, call_off_id, "submit", etag).headers["ETag"]
    etag = move(tpp, call_off_id, "accept", etag).headers["ETag"]
    today = date.today().isoformat()
    etag = move(tpp, call_off_id, "go-live", etag, go_live_date=today).headers["ETag"]

    response = commissioner.post(f"{ORDERS}/{call_off_id}/amendments", etag=etag)
    assert response.status_code == 201, response.get_json()
    amendment = response.get_json()
    assert amendment["call_off_id"] == call_off_id.replace("-01", "-02")
    assert amendment["status"] == "draft"
    assert amendment["amends"] == call_off_id
    assert len(amendment["items"]) == len(order["items"])
    assert amendment["revisions"] == [call_off_id, amendment["call_off_id"]]
    # A second amendment waits for the first.
    again = commissioner.post(f"{ORDERS}/{call_off_id}/amendments", etag=etag)
    assert again.status_code == 409

    # The amendment going live supersedes the revision it amends.
    new = amendment["call_off_id"]
    second = response.headers["ETag"]
    second = commissioner.patch(f"{ORDERS}/{new}", json={"term_months": 48}, etag=second).headers[
        "ETag"
    ]
    second = move(commissioner, new, "submit", second).headers["ETag"]
    second = move(tpp, new, "accept", second).headers["ETag"]
    assert move(tpp, new, "go-live", second, go_live_date=today).status_code == 200
    previous = commissioner.get(f"{ORDERS}/{call_off_id}").get_json()
    assert previous["status"] == "completed"
    assert new in previous["status_reason"]
    assert commissioner.get(f"{ORDERS}/{new}").get_json()["term_months"] == 48


def test_the_estimate_exports_as_csv_and_xlsx(db, commissioner):
    order, _ = place(commissioner, migration_order_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"

    response = commissioner.get(f"{path}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    grand = {row["line"]: row for row in rows if row["ods_code"] == "ALL"}
    assert grand["total central"]["total"] == "14132.88"
    assert grand["total commissioner"]["total"] == "8613.78"
    assert grand["total practice"]["total"] == "0.00"
    assert grand["total"]["year_1_recurring"] == "6043.67"
    kinds = {row["line"] for row in rows if row["ods_code"] == PRACTICE}
    assert {"item", "bedding_in", "audit_trail"} <= kinds

    response = commissioner.get(f"{path}/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["Order", "Summary", "Business case", "Cost estimate"]
    facts = {row[0]: row[1] for row in workbook["Order"].iter_rows(values_only=True)}
    assert facts["Call-off ID"] == order["call_off_id"]
    assert facts["Previous system"] == "EMIS LV"
    term = list(workbook["Summary"].iter_rows(values_only=True))[-1]
    assert term[0] == "Term"
    assert float(term[-1]) == pytest.approx(22746.67)


def test_the_estimate_needs_a_commencement_date_and_term(db, commissioner):
    order, _ = place(commissioner, migration_order_body(db, term_months=None))
    response = commissioner.get(f"{ORDERS}/{order['call_off_id']}/cost-estimate")
    assert response.status_code == 409
    assert "term_months" in response.get_json()["errors"]


def test_unknown_orders_and_transitions_are_not_found(commissioner):
    assert commissioner.get(f"{ORDERS}/C999999-01").status_code == 404
    assert commissioner.post(f"{ORDERS}/C999999-01/transitions/fly", etag='"x"').status_code == 404


def test_orders_are_not_for_anonymous_callers(client):
    assert client.get(ORDERS).status_code == 401
    assert client.post(ORDERS, json={}).status_code == 401


def test_created_orders_are_in_the_database_as_posted(db, commissioner):
    order, _ = place(commissioner, migration_order_body(db))
    stored = db.scalars(
        select(CallOffOrder).where(CallOffOrder.call_off_id == order["call_off_id"])
    ).one()
    assert stored.commissioner_id == commissioner.organisation_id
    assert stored.term_months == 36
    assert [m.audit_trail_option.value for m in stored.migrations] == ["audit_trail_retrieval"]


def _draft_system(emis) -> int:
    """EMIS's unpublished system: it exists for EMIS and the authority only."""
    body = {
        "kind": "system",
        "name": "EMIS Secret NextGen",
        "framework": "gpsoc-r",
        "lot": 1,
        "hosting": "hosted",
        "prices": [
            {
                "name": "Secret licence",
                "charge_type": "licence",
                "unit": "practice",
                "period": "year",
                "effective_from": "2015-01-01",
                "amount": "1234.56",
            }
        ],
    }
    response = emis.post("/api/v1/systems", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_another_suppliers_draft_cannot_be_named_as_the_previous_system(db, commissioner, emis):
    draft = _draft_system(emis)
    before, events = order_count(db), audit_count(db)
    body = migration_order_body(db)
    body["migration"]["previous_system_id"] = draft
    response = commissioner.post(ORDERS, json=body)
    assert response.status_code == 422, response.get_json()
    assert "migration.previous_system_id" in response.get_json()["errors"]
    assert "Secret" not in response.get_data(as_text=True)
    assert (order_count(db), audit_count(db)) == (before, events)

    # Nor by changing a draft order.
    order, etag = place(commissioner, migration_order_body(db))
    response = commissioner.patch(
        f"{ORDERS}/{order['call_off_id']}",
        json={"migration": {"previous_system_id": draft}},
        etag=etag,
    )
    assert response.status_code == 422, response.get_json()
    assert "migration.previous_system_id" in response.get_json()["errors"]
    assert "Secret" not in response.get_data(as_text=True)
    # Nor ordered as an item (were it the supplier's).
    emis_order = migration_order_body(db, supplier_id=emis.supplier_id, migration=None)
    emis_order["items"] = [
        {
            "catalogue_item_id": draft,
            "price_id": price_ids(db, "emis-web")["Annual practice licence"],
        }
    ]
    response = commissioner.post(ORDERS, json=emis_order)
    assert response.status_code == 422, response.get_json()
    assert "items.0" in response.get_json()["errors"]
    assert "Secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize("status", ["suspended", "withdrawn"])
def test_a_previous_system_once_published_may_since_have_been_withdrawn(db, commissioner, status):
    emis_lv = db.get(CatalogueItem, item_id(db, "emis-lv"))
    emis_lv.status = ItemStatus(status)
    db.flush()
    order, _ = place(commissioner, migration_order_body(db))
    assert order["migration"]["previous_system"]["name"] == "EMIS LV"

    # One never published is refused though, whatever its status now.
    emis_lv.published_at = None
    db.flush()
    response = commissioner.post(ORDERS, json=migration_order_body(db))
    assert response.status_code == 422, response.get_json()
    assert "migration.previous_system_id" in response.get_json()["errors"]


def test_a_supplier_sees_no_audit_event_of_a_draft_order_until_it_is_submitted(
    db, commissioner, tpp
):
    order, etag = place(
        commissioner, migration_order_body(db, description="Our negotiating position")
    )
    call_off_id = order["call_off_id"]
    response = commissioner.patch(
        f"{ORDERS}/{call_off_id}", json={"description": "Still negotiating"}, etag=etag
    )
    etag = response.headers["ETag"]

    def seen_by(caller) -> list[str]:
        events = caller.get("/api/v1/audit-events?object_type=call_off_order").get_json()
        return [e["action"] for e in events["items"] if e["object_id"] == call_off_id]

    assert seen_by(tpp) == []
    assert "negotiating" not in tpp.get("/api/v1/audit-events").get_data(as_text=True)
    assert seen_by(commissioner) == ["order.update", "order.create"]

    assert move(commissioner, call_off_id, "submit", etag).status_code == 200
    assert seen_by(tpp) == ["order.submit"]
    assert seen_by(commissioner) == ["order.submit", "order.update", "order.create"]


def _revise_price(supplier, authority, slug_id: int, price_id: int, change: str, **body):
    """The supplier proposes a price change (or deletion) and the authority approves it."""
    path = f"/api/v1/systems/{slug_id}"
    etag = supplier.get(path).headers["ETag"]
    if change == "delete":
        response = supplier.delete(f"{path}/prices/{price_id}", etag=etag)
    else:
        response = supplier.patch(f"{path}/prices/{price_id}", json=body, etag=etag)
    assert response.status_code == 202, response.get_json()  # a proposal awaiting approval
    response = authority.post(f"{path}/revision/approve", etag=response.headers["ETag"])
    assert response.status_code == 200, response.get_json()


def _live_order(db, commissioner, tpp) -> str:
    order, etag = place(commissioner, migration_order_body(db))
    call_off_id = order["call_off_id"]
    etag = move(commissioner, call_off_id, "submit", etag).headers["ETag"]
    etag = move(tpp, call_off_id, "accept", etag).headers["ETag"]
    go_live = date.today().isoformat()  # recorded once it has happened
    response = move(tpp, call_off_id, "go-live", etag, go_live_date=go_live)
    assert response.status_code == 200, response.get_json()
    return call_off_id


def test_a_live_order_keeps_its_prices_when_the_catalogue_price_changes_or_goes(
    db, commissioner, tpp, authority
):
    call_off_id = _live_order(db, commissioner, tpp)
    path = f"{ORDERS}/{call_off_id}"
    before = commissioner.get(f"{path}/cost-estimate").get_json()
    assert before["totals"]["total"] == "22746.67"
    systmone = item_id(db, "systmone")
    licence = price_ids(db, "systmone")["Annual practice licence"]

    _revise_price(tpp, authority, systmone, licence, "update", amount="99999.00")
    assert commissioner.get(f"{path}/cost-estimate").get_json() == before

    # The supplier can delete the price; the order still reads at the terms ordered.
    _revise_price(tpp, authority, systmone, licence, "delete")
    assert "Annual practice licence" not in price_ids(db, "systmone")
    response = commissioner.get(path)
    assert response.status_code == 200, response.get_json()
    line = next(
        i for i in response.get_json()["items"] if i["price_name"] == "Annual practice licence"
    )
    assert line["price_id"] is None
    assert line["funding"] == "central"
    assert commissioner.get(f"{path}/cost-estimate").get_json()["totals"] == before["totals"]
    assert commissioner.get(f"{path}/export.csv").status_code == 200

    # An amendment keeps the terms the live order was ordered at.
    response = commissioner.post(f"{path}/amendments", etag=response.headers["ETag"])
    assert response.status_code == 201, response.get_json()
    amended = response.get_json()["call_off_id"]
    estimate = commissioner.get(f"{ORDERS}/{amended}/cost-estimate").get_json()
    assert estimate["totals"] == before["totals"]


def test_an_order_from_a_locked_selection_is_priced_from_its_snapshot(
    db, commissioner, tpp, authority
):
    selection_id = locked_selection(db, commissioner)
    systmone = item_id(db, "systmone")
    licence = price_ids(db, "systmone")["Annual practice licence"]
    _revise_price(tpp, authority, systmone, licence, "update", amount="9000.00")

    start = commencement()
    body = {
        "selection_id": selection_id,
        "commencement_date": start.isoformat(),
        "items": order_lines(db, "systmone-deployment-migration"),
        "migration": {
            "previous_system_id": item_id(db, "emis-lv"),
            "planned_go_live": migration_go_live(start).isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
        },
    }
    order, etag = place(commissioner, body)
    path = f"{ORDERS}/{order['call_off_id']}"
    # The same business case as at the old price (4250 a year for the licence).
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    assert estimate["totals"]["total"] == "22746.67"
    line = next(
        line
        for line in estimate["recipients"][0]["lines"]
        if line["price_name"] == "Annual practice licence"
    )
    assert line["recurring_per_year"] == "4250.00"

    # Changing the draft's items keeps the snapshot terms of the lines it already has.
    response = commissioner.patch(path, json={"items": order_items(order)}, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert commissioner.get(f"{path}/cost-estimate").get_json()["totals"]["total"] == "22746.67"


def order_items(order: dict) -> list[dict]:
    return [
        {"catalogue_item_id": i["catalogue_item_id"], "price_id": i["price_id"]}
        for i in order["items"]
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"commencement_date": "9999-06-01"}, "commencement_date"),
        ({"commencement_date": add_months(date.today(), 13).isoformat()}, "commencement_date"),
        ({"migration": {"planned_go_live": "9999-12-31"}}, "migration.planned_go_live"),
        # After the end of the 36-month term.
        (
            {"migration": {"planned_go_live": add_months(commencement(), 36).isoformat()}},
            "migration.planned_go_live",
        ),
    ],
)
def test_far_future_dates_are_refused_with_reasons(db, commissioner, change, field):
    body = migration_order_body(db)
    if "migration" in change:
        body["migration"].update(change["migration"])
    else:
        body.update(change)
    before, events = order_count(db), audit_count(db)
    response = commissioner.post(ORDERS, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert (order_count(db), audit_count(db)) == (before, events)

    # Nor by changing a draft.
    order, etag = place(commissioner, migration_order_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"
    patch = {"migration": body["migration"]} if "migration" in change else change
    response = commissioner.patch(path, json=patch, etag=etag)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert commissioner.get(f"{path}/cost-estimate").status_code == 200


def test_business_go_live_falls_within_the_term(db, commissioner, tpp):
    # A term of 2 months that began two months ago: it ended last month, so its last day has
    # happened (go-live is never recorded ahead of the day).
    start = add_months(commencement(), -2)
    body = migration_order_body(db, term_months=2, commencement_date=start.isoformat())
    body["migration"]["planned_go_live"] = (add_months(start, 2) - timedelta(days=1)).isoformat()
    order, etag = place(commissioner, body)
    call_off_id = order["call_off_id"]
    etag = move(commissioner, call_off_id, "submit", etag).headers["ETag"]
    etag = move(tpp, call_off_id, "accept", etag).headers["ETag"]
    for late in ("9999-12-31", add_months(start, 2).isoformat()):
        response = move(tpp, call_off_id, "go-live", etag, go_live_date=late)
        assert response.status_code == 422, response.get_json()
        assert "go_live_date" in response.get_json()["errors"]
    last_day = (add_months(start, 2) - timedelta(days=1)).isoformat()
    response = move(tpp, call_off_id, "go-live", etag, go_live_date=last_day)
    assert response.status_code == 200, response.get_json()
    assert commissioner.get(f"{ORDERS}/{call_off_id}").status_code == 200
    assert commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").status_code == 200
