"""Three payers over HTTP (issue 15): a practice's new scanner is additional IT, paid by the
practice until its commissioner records agreement on the order, then by the commissioner,
with the reason shown and audited; and clients still sending the retired "local"."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalogue.models import AuditEvent
from tests.factories import PRACTICE, commencement, item_id, order_lines, supplier_id
from tests.functional.actors import (  # noqa: F401 (fixtures)
    Caller,
    anonymous_caller,
    authority_caller,
    create_system,
    practice_caller,
    supplier_caller,
)
from tests.functional.orders import ORDERS, commissioner_caller, move, place

SCANNER = "scanwise-desktop-scanner"
AGREED = "Part of the practice's move to paperless working, agreed at the March IT board."


@pytest.fixture
def commissioner(client, db) -> Caller:
    """NHS Newcastle Gateshead CCG (13T), Riverside's commissioner."""
    return commissioner_caller(client, db, "13T")


def scanner_order_body(db) -> dict:
    return {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "scanwise"),
        "commencement_date": commencement().isoformat(),
        "term_months": 36,
        "recipients": [PRACTICE],
        "items": order_lines(db, SCANNER),
    }


def lines_by_price(order: dict) -> dict[str, dict]:
    return {line["price_name"]: line for line in order["items"]}


def payers(summary: dict) -> tuple[str, str, str, str]:
    return summary["central"], summary["commissioner"], summary["practice"], summary["total"]


def test_the_scanner_is_additional_it_on_its_item_page(anonymous, db):
    item = anonymous.get(f"/api/v1/services/{item_id(db, SCANNER)}").get_json()
    assert item["infrastructure_category"] == "scanning_document_management"
    assert item["infrastructure_class"] == "additional"
    emis_web = anonymous.get(f"/api/v1/systems/{item_id(db, 'emis-web')}").get_json()
    assert emis_web["infrastructure_class"] is None  # a clinical system, not practice IT


def test_a_scanner_is_paid_by_the_practice_until_the_commissioner_and_the_practice_agree(
    db, commissioner, practice
):
    order, etag = place(commissioner, scanner_order_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"
    scanner, maintenance = (
        lines_by_price(order)[n] for n in ("Desktop scanner", "Scanner maintenance")
    )
    for line in (scanner, maintenance):
        assert line["funding"] == "practice"
        assert line["infrastructure_class"] == "additional"
        assert line["funding_agreement_possible"] is True
        assert line["funding_agreement"] is None
        assert "additional IT" in line["funding_reason"]
        assert "unless the commissioner and the practice agree" in line["funding_reason"]
    # 685.00 one-off and 96.00 a year for three years: all the practice's.
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    assert payers(estimate["totals"]) == ("0.00", "0.00", "973.00", "973.00")

    agreement = f"{path}/items/{scanner['id']}/funding-agreement"
    response = commissioner.call("PUT", agreement, json={"reason": AGREED})
    assert response.status_code == 428  # If-Match, like every order write
    response = commissioner.call("PUT", agreement, json={"reason": "  "}, etag=etag)
    assert response.status_code == 422
    events_before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))

    response = commissioner.call("PUT", agreement, json={"reason": AGREED}, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] != etag
    # The commissioner alone is not enough: the practice has not agreed yet.
    scanner = lines_by_price(response.get_json())["Desktop scanner"]
    assert scanner["funding"] == "practice"
    assert "The practice has not agreed" in scanner["funding_reason"]
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    assert payers(estimate["totals"]) == ("0.00", "0.00", "973.00", "973.00")
    (commissioner_event,) = db.scalars(
        select(AuditEvent).where(
            AuditEvent.id > events_before, AuditEvent.object_id == order["call_off_id"]
        )
    ).all()
    events_before = commissioner_event.id

    # The practice agrees on its own order: now the commissioner pays the scanner.
    etag = response.headers["ETag"]
    response = practice.call("PUT", agreement, json={"reason": "We asked for it."}, etag=etag)
    assert response.status_code == 200, response.get_json()
    scanner = lines_by_price(response.get_json())["Desktop scanner"]
    (practice_agreement,) = scanner["practice_funding_agreements"]
    assert (practice_agreement["ods_code"], practice_agreement["reason"]) == (
        "A81001",
        "We asked for it.",
    )
    assert scanner["funding"] == "commissioner"
    assert scanner["funding_agreement"]["reason"] == AGREED
    assert scanner["funding_agreement"]["agreed_by"]
    assert "The commissioner agreed to fund it" in scanner["funding_reason"]
    assert AGREED in scanner["funding_reason"]
    assert lines_by_price(response.get_json())["Scanner maintenance"]["funding"] == "practice"
    # The same in the order as read, and in the business case: the scanner is now the
    # commissioner's, its maintenance still the practice's.
    assert lines_by_price(commissioner.get(path).get_json())["Desktop scanner"] == scanner
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    assert payers(estimate["totals"]) == ("0.00", "685.00", "288.00", "973.00")
    funded = {line["price_name"]: line["funding"] for line in estimate["recipients"][0]["lines"]}
    assert funded == {"Desktop scanner": "commissioner", "Scanner maintenance": "practice"}
    rows = csv.DictReader(
        io.StringIO(commissioner.get(f"{path}/export.csv").get_data(as_text=True))
    )
    grand = {row["line"]: row["total"] for row in rows if row["ods_code"] == "ALL"}
    assert (grand["total commissioner"], grand["total practice"]) == ("685.00", "288.00")

    assert commissioner_event.action == "order.funding_agreed"
    assert commissioner_event.actor.startswith("commissioner:token:")
    assert commissioner_event.after["agreement_reason"] == AGREED
    assert commissioner_event.after["agreed_by"] == scanner["funding_agreement"]["agreed_by"]
    (event,) = db.scalars(
        select(AuditEvent).where(
            AuditEvent.id > events_before, AuditEvent.object_id == order["call_off_id"]
        )
    ).all()
    assert event.action == "order.funding_agreed_by_practice"
    assert event.actor.startswith("practice:token:")
    assert (event.before["funding"], event.after["funding"]) == ("practice", "commissioner")
    assert event.after["practices_agreed"][0]["reason"] == "We asked for it."

    # Withdrawn, the practice pays again (audited too).
    etag = response.headers["ETag"]
    response = commissioner.delete(agreement, etag=etag)
    assert response.status_code == 200, response.get_json()
    scanner = lines_by_price(response.get_json())["Desktop scanner"]
    assert (scanner["funding"], scanner["funding_agreement"]) == ("practice", None)
    latest = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert latest.action == "order.funding_agreement_withdrawn"
    response = commissioner.delete(agreement, etag=response.headers["ETag"])
    assert response.status_code == 409  # nothing left to withdraw


def test_agreement_is_for_additional_it_on_a_draft_of_ones_own(db, commissioner, client):
    # SystmOne's support is the commissioner's anyway: there is nothing to agree.
    body = {**scanner_order_body(db), "supplier_id": supplier_id(db, "tpp")}
    body["items"] = order_lines(db, "systmone")
    body["recipients"] = ["A81003"]  # Gateshead Quays runs SystmOne: no change of system
    order, etag = place(commissioner, body)
    support = lines_by_price(order)["System support"]
    assert (support["funding"], support["funding_agreement_possible"]) == ("commissioner", False)
    response = commissioner.call(
        "PUT",
        f"{ORDERS}/{order['call_off_id']}/items/{support['id']}/funding-agreement",
        json={"reason": AGREED},
        etag=etag,
    )
    assert response.status_code == 422
    assert "nothing to agree" in response.get_json()["message"]

    order, etag = place(commissioner, scanner_order_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"
    scanner = lines_by_price(order)["Desktop scanner"]
    agreement = f"{path}/items/{scanner['id']}/funding-agreement"
    # Another commissioner does not see the order; a line the order lacks is not found.
    other = commissioner_caller(client, db, "05X")
    assert other.call("PUT", agreement, json={"reason": AGREED}, etag=etag).status_code == 404
    missing = f"{path}/items/999999/funding-agreement"
    assert commissioner.call("PUT", missing, json={"reason": AGREED}, etag=etag).status_code == 404
    # Once submitted, the funding is what was submitted.
    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 200, response.get_json()
    response = commissioner.call(
        "PUT", agreement, json={"reason": AGREED}, etag=response.headers["ETag"]
    )
    assert response.status_code == 409


LOCAL_RETIRED = "'local' is no longer a payer"


def test_a_client_still_sending_local_is_told_what_it_became(authority, supplier):
    response = authority.post(
        "/api/v1/frameworks/gpsoc-r/lots",
        json={"number": 7, "name": "Lot 7", "default_funding": "local"},
    )
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["default_funding"]
    assert LOCAL_RETIRED in message and "One of: central, commissioner." in message

    system, etag = create_system(supplier)
    price = {
        "name": "Support",
        "charge_type": "support_service",
        "unit": "practice",
        "period": "year",
        "effective_from": "2015-04-01",
        "amount": "600.00",
        "funding": "local",
    }
    response = supplier.post(f"/api/v1/systems/{system['id']}/prices", json=price, etag=etag)
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["funding"]
    assert LOCAL_RETIRED in message and "central, commissioner, practice" in message

    response = supplier.post(
        f"/api/v1/systems/{system['id']}/prices", json={**price, "funding": "practice"}, etag=etag
    )
    assert response.status_code in (201, 202), response.get_json()


def test_the_openapi_document_names_the_payers(client):
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    split = schemas["CostSplit"]["properties"]
    assert {"central", "commissioner", "practice", "local", "total"} <= set(split)
    assert split["local"]["deprecated"] is True
    line = schemas["OrderItem"]["properties"]
    assert {"infrastructure_class", "funding_agreement", "funding_agreement_possible"} <= set(line)
    assert set(line["funding"]["enum"]) == {"central", "commissioner", "practice", None}
    item = schemas["CatalogueItem"]["properties"]
    assert {"infrastructure_category", "infrastructure_class"} <= set(item)
    operations = document["paths"]["/api/v1/orders/{call_off_id}/items/{line_id}/funding-agreement"]
    assert set(operations) >= {"put", "delete"}


def test_the_three_payers_add_up_to_the_total(db, commissioner):
    order, _ = place(commissioner, scanner_order_body(db))
    estimate = commissioner.get(f"{ORDERS}/{order['call_off_id']}/cost-estimate").get_json()
    for summary in (estimate["totals"], estimate["recipients"][0]["summary"]):
        for part in (summary, summary["one_off"], summary["recurring"], *summary["years"]):
            central, commissioner_part, practice, total = (Decimal(v) for v in payers(part))
            assert central + commissioner_part + practice == total


def test_a_supplier_states_the_heading_and_the_class_follows(supplier):
    system, etag = create_system(supplier, infrastructure_category="servers")
    assert (system["infrastructure_category"], system["infrastructure_class"]) == (
        "servers",
        "core",
    )
    path = f"/api/v1/systems/{system['id']}"
    response = supplier.patch(
        path, json={"infrastructure_category": "wireless_networking"}, etag=etag
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["infrastructure_class"] == "additional"
    response = supplier.patch(
        path, json={"infrastructure_category": "toasters"}, etag=response.headers["ETag"]
    )
    assert response.status_code == 422
    assert "infrastructure_category" in response.get_json()["errors"]
