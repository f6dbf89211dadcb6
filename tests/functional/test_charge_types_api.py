"""Charge types over HTTP (issue 20, part 5): a supplier states what each new price charges
for (refused without it), a change of it is a field of the authority's review like any other,
and who pays follows it, the lot and the item's infrastructure class: core IT is the
commissioner's whatever a price states."""

from __future__ import annotations

import pytest

from catalogue.models import ChargeType, Funding, InfrastructureCategory, InfrastructureClass
from catalogue.principal import Role
from tests import factories
from tests.factories import organisation_id, price_body
from tests.functional.actors import (  # noqa: F401 (fixtures)
    Caller,
    anonymous_caller,
    authority_caller,
    caller,
    create_system,
    practice_caller,
    publish,
    supplier_caller,
)
from tests.functional.orders import ORDERS, commissioner_caller, place
from tests.functional.test_payers_api import lines_by_price, payers, scanner_order_body

SYSTEMS = "/api/v1/systems"
CHARGE_TYPES = [charge.value for charge in ChargeType]


@pytest.fixture
def commissioner(client, db) -> Caller:
    return commissioner_caller(client, db, "13T")


def test_a_new_price_states_its_charge_type(supplier):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}/prices"
    assert system["prices"][0]["charge_type"] == "licence"
    body = price_body(name="Support")
    del body["charge_type"]
    response = supplier.post(path, json=body, etag=etag)
    assert response.status_code == 422
    assert "charge_type" in response.get_json()["errors"]
    response = supplier.post(path, json={**body, "charge_type": "support"}, etag=etag)
    assert response.status_code == 422
    assert "charge_type" in response.get_json()["errors"]
    response = supplier.post(path, json={**body, "charge_type": "support_service"}, etag=etag)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["charge_type"] == "support_service"
    # A new system's prices too.
    refused = supplier.post(
        SYSTEMS, json=factories.system_body(name="No charge type", prices=[body])
    )
    assert refused.status_code == 422


def test_the_openapi_document_names_the_charge_types(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    create = schemas["PriceCreate"]
    assert "charge_type" in create["required"]
    assert create["properties"]["charge_type"]["enum"] == CHARGE_TYPES
    assert "charge_type" not in schemas["PriceUpdate"].get("required", [])
    assert schemas["Price"]["properties"]["charge_type"]["enum"] == CHARGE_TYPES
    assert "charge_type" in schemas["Price"]["required"]


def test_a_change_of_charge_type_is_reviewed_and_shows_in_the_diff(supplier, authority, anonymous):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    etag = publish(supplier, authority, path, etag)
    price_id = system["prices"][0]["id"]
    response = supplier.patch(
        f"{path}/prices/{price_id}", json={"charge_type": "support_service"}, etag=etag
    )
    assert response.status_code == 202, response.get_json()
    (changed,) = response.get_json()["diff"]["prices"]["changed"]
    assert changed["changes"] == {"charge_type": {"from": "licence", "to": "support_service"}}
    assert anonymous.get(path).get_json()["prices"][0]["charge_type"] == "licence"
    revision = authority.get(f"{path}/revision")
    approved = authority.post(f"{path}/revision/approve", etag=revision.headers["ETag"])
    assert approved.status_code == 200, approved.get_json()
    assert anonymous.get(path).get_json()["prices"][0]["charge_type"] == "support_service"


def test_a_core_switch_priced_for_the_practice_is_the_commissioners(db, commissioner):
    """Core IT is the commissioner's, always: a supplier's `funding: practice` does not move
    it onto the practice, and there is nothing for anyone to agree."""
    switch = factories.item(db, "scanwise-desktop-scanner")
    switch.infrastructure_category = InfrastructureCategory.SWITCHES
    switch.infrastructure_class = InfrastructureClass.CORE
    for price in switch.prices:
        price.funding = Funding.PRACTICE
    db.flush()
    order, etag = place(commissioner, scanner_order_body(db))
    for line in order["items"]:
        assert line["funding"] == "commissioner", line
        assert line["funding_agreement_possible"] is False
        assert "core IT" in line["funding_reason"]
        assert "the price's own 'practice' does not apply" in line["funding_reason"]
    path = f"{ORDERS}/{order['call_off_id']}"
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    assert payers(estimate["totals"]) == ("0.00", "973.00", "0.00", "973.00")
    line = lines_by_price(order)["Desktop scanner"]
    response = commissioner.call(
        "PUT",
        f"{path}/items/{line['id']}/funding-agreement",
        json={"reason": "Not needed."},
        etag=etag,
    )
    assert response.status_code == 422


# --------------------------------------------------------------------- the practice's side


def test_each_practice_agrees_for_itself(db, client, commissioner):
    """On an order for two practices, the commissioner's agreement and one practice's move
    that practice's scanner to the commissioner, and only that practice's."""
    riverside = caller(
        client, db, Role.PRACTICE, "riverside", organisation_id=organisation_id(db, "A81001")
    )
    jesmond = caller(
        client, db, Role.PRACTICE, "jesmond", organisation_id=organisation_id(db, "A81002")
    )
    outsider = caller(
        client, db, Role.PRACTICE, "outsider", organisation_id=organisation_id(db, "M82001")
    )
    body = {**scanner_order_body(db), "recipients": ["A81001", "A81002"]}
    order, etag = place(commissioner, body)
    path = f"{ORDERS}/{order['call_off_id']}"
    line = lines_by_price(order)["Desktop scanner"]
    agreement = f"{path}/items/{line['id']}/funding-agreement"

    response = riverside.call("PUT", agreement, json={"reason": "Ours."}, etag=etag)
    assert response.status_code == 200, response.get_json()
    etag = response.headers["ETag"]
    # A practice that is not on the order does not see it.
    assert outsider.call("PUT", agreement, json={"reason": "x"}, etag=etag).status_code == 404
    # The practice alone is not enough either.
    assert lines_by_price(response.get_json())["Desktop scanner"]["funding"] == "practice"
    response = commissioner.call("PUT", agreement, json={"reason": "Agreed."}, etag=etag)
    assert response.status_code == 200, response.get_json()
    scanner = lines_by_price(response.get_json())["Desktop scanner"]
    # Jesmond has not agreed: the line as a whole is not the commissioner's.
    assert scanner["funding"] == "practice"
    assert "1 other practice(s) have not agreed" in scanner["funding_reason"]
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    funded = {
        recipient["ods_code"]: {line["price_name"]: line["funding"] for line in recipient["lines"]}
        for recipient in estimate["recipients"]
    }
    assert funded == {
        "A81001": {"Desktop scanner": "commissioner", "Scanner maintenance": "practice"},
        "A81002": {"Desktop scanner": "practice", "Scanner maintenance": "practice"},
    }
    assert payers(estimate["totals"]) == ("0.00", "685.00", "1261.00", "1946.00")

    # Jesmond agrees too: the whole line is the commissioner's.
    etag = response.headers["ETag"]
    response = jesmond.call("PUT", agreement, json={"reason": "Us too."}, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert lines_by_price(response.get_json())["Desktop scanner"]["funding"] == "commissioner"
    # Riverside withdraws its own agreement (not Jesmond's).
    response = riverside.delete(agreement, etag=response.headers["ETag"])
    assert response.status_code == 200, response.get_json()
    agreed = lines_by_price(response.get_json())["Desktop scanner"]["practice_funding_agreements"]
    assert [each["ods_code"] for each in agreed] == ["A81002"]
    response = riverside.delete(agreement, etag=response.headers["ETag"])
    assert response.status_code == 409


def test_a_practice_agrees_only_on_a_draft(db, commissioner, practice):
    order, etag = place(commissioner, scanner_order_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"
    line = lines_by_price(order)["Desktop scanner"]
    response = commissioner.post(f"{path}/transitions/submit", etag=etag)
    assert response.status_code == 200, response.get_json()
    response = practice.call(
        "PUT",
        f"{path}/items/{line['id']}/funding-agreement",
        json={"reason": "Late."},
        etag=response.headers["ETag"],
    )
    assert response.status_code == 409
