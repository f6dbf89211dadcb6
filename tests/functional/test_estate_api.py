"""A practice's estate over HTTP: one truth about what it runs, changed only by recorded events.

The worked example of docs/estate.md: Jesmond Road Surgery (A81002) runs EMIS Web. Its
commissioner (13T) orders SystmOne from TPP with the practice's migration; business go-live is
recorded on the last day of a month. Afterwards its estate, its organisation, compare and a new
order all say SystmOne, a second migration from EMIS Web is refused, and the order's business
case reads the same as before go-live (it was frozen when the order was submitted)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from catalogue.orders.dates import add_months, period_end
from tests.factories import (
    commencement,
    item_id,
    order_lines,
    organisation_id,
    supplier_id,
)
from tests.functional.actors import (  # noqa: F401 (fixtures)
    Caller,
    anonymous_caller,
    authority_caller,
    caller,
    practice_caller,
)
from tests.functional.orders import ORDERS, commissioner_caller, move, place, supplier_caller

ORGANISATIONS = "/api/v1/organisations"
JESMOND = "A81002"  # Jesmond Road Surgery, 13T's, on EMIS Web

# The worked example's figures (docs/estate.md): a 36-month term, go-live at the end of its
# second month, so every period is whole months and the figures do not depend on the day.
EXAMPLE_TOTALS = {
    "central": "14132.88",
    "commissioner": "8613.78",
    "practice": "0.00",
    "total": "22746.67",
}
EXAMPLE_BASELINE = {"central": "10895.16", "commissioner": "1995.24", "total": "12890.40"}
EXAMPLE_CHANGE = "9856.27"


@pytest.fixture
def commissioner(client, db) -> Caller:
    """NHS Newcastle Gateshead CCG (13T), Jesmond Road's commissioner."""
    return commissioner_caller(client, db, "13T")


def example_body(db) -> dict:
    """SystmOne and its deployment for Jesmond Road, leaving EMIS Web: commencement on the
    first of the month two months ago, go-live planned on the last day of last month."""
    start = add_months(commencement(), -2)
    return {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "tpp"),
        "commencement_date": start.isoformat(),
        "term_months": 36,
        "recipients": [JESMOND],
        "items": order_lines(db, "systmone") + order_lines(db, "systmone-deployment-migration"),
        "migration": {
            "planned_go_live": period_end(start, 2).isoformat(),
            "audit_trail_option": "audit_trail_retrieval",
            # Notice given at commencement ends before bedding-in does: no notice costs.
            "notice_given_on": start.isoformat(),
        },
    }


def live_example(db, commissioner, client) -> tuple[dict, dict]:
    """The example order, live: (the order, its business case before go-live)."""
    order, etag = place(commissioner, example_body(db))
    call_off_id = order["call_off_id"]
    draft = commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").get_json()
    etag = move(commissioner, call_off_id, "submit", etag).headers["ETag"]
    before = commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").get_json()
    assert before == draft  # submitting freezes it as it stood
    tpp = supplier_caller(client, db, "tpp")
    etag = move(tpp, call_off_id, "accept", etag).headers["ETag"]
    go_live = order["migrations"][0]["planned_go_live"]
    response = move(tpp, call_off_id, "go-live", etag, go_live_date=go_live)
    assert response.status_code == 200, response.get_json()
    return response.get_json(), before


def test_the_worked_example_a_migration_changes_the_estate_at_go_live(
    db, client, commissioner, authority
):
    practice = f"{ORGANISATIONS}/{organisation_id(db, JESMOND)}"
    assert authority.get(practice).get_json()["current_system"]["name"] == "EMIS Web"

    order, before = live_example(db, commissioner, client)
    call_off_id = order["call_off_id"]
    go_live = order["go_live_date"]
    assert go_live == period_end(add_months(commencement(), -2), 2).isoformat()
    assert {k: before["totals"][k] for k in EXAMPLE_TOTALS} == EXAMPLE_TOTALS
    assert {k: before["baseline"][k] for k in EXAMPLE_BASELINE} == EXAMPLE_BASELINE
    assert before["change"]["total"] == EXAMPLE_CHANGE
    assert before["recipients"][0]["current_system"] == "EMIS Web"  # what the order replaces

    # The estate: SystmOne at its level since go-live, under this order's line.
    estate = commissioner.get(f"{practice}/estate")
    assert estate.status_code == 200, estate.get_json()
    assert "ETag" in estate.headers
    body = estate.get_json()
    assert (body["system"]["name"], body["running_level"], body["since"]) == (
        "SystmOne",
        3,
        go_live,
    )
    assert body["call_off_id"] == call_off_id
    [line] = [line for line in body["lines"] if line["live"]]
    assert (line["call_off_id"], line["start_date"], line["system"]["name"]) == (
        call_off_id,
        go_live,
        "SystmOne",
    )
    assert line["end_date"] == period_end(add_months(commencement(), -2), 36).isoformat()
    history = commissioner.get(f"{practice}/estate/history").get_json()["changes"]
    migrated = next(change for change in history if change["event"] == "migration")
    assert (migrated["previous_system"]["name"], migrated["system"]["name"]) == (
        "EMIS Web",
        "SystmOne",
    )
    assert (migrated["call_off_id"], migrated["effective_on"]) == (call_off_id, go_live)

    # The organisation, compare and a new order all say SystmOne.
    shown = authority.get(practice).get_json()
    assert shown["current_system"]["name"] == "SystmOne"
    assert shown["estate"]["since"] == go_live
    ids = f"{item_id(db, 'systmone')},{item_id(db, 'emis-web')}"
    compared = client.get(f"/api/v1/compare?ids={ids}&practice={JESMOND}").get_json()
    assert compared["current_system"]["system"]["name"] == "SystmOne"
    renewal = {**example_body(db), "commencement_date": commencement().isoformat()}
    renewal["items"] = order_lines(db, "systmone")
    del renewal["migration"]
    again, _ = place(commissioner, renewal)  # SystmOne again: no migration needed
    found = commissioner.get(f"{ORDERS}/{again['call_off_id']}/completeness").get_json()
    assert found["complete"], found
    assert again["migrations"] == []

    # A second migration from EMIS Web, which it no longer runs, is refused.
    second = {**example_body(db), "commencement_date": commencement().isoformat()}
    second["migration"] = {**second["migration"], "previous_system_id": item_id(db, "emis-web")}
    second["migration"]["planned_go_live"] = period_end(commencement(), 2).isoformat()
    response = commissioner.post(ORDERS, json=second)
    assert response.status_code == 422, response.get_json()
    [reason] = response.get_json()["errors"]["migration.previous_system_id"]
    assert "runs SystmOne, not EMIS Web" in reason

    # The business case reads the same as before go-live: frozen with the order.
    after = commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").get_json()
    assert after == before


def test_a_future_go_live_is_refused_and_changes_nothing(db, client, commissioner, authority):
    body = example_body(db)
    body["commencement_date"] = commencement().isoformat()
    body["migration"]["planned_go_live"] = period_end(commencement(), 2).isoformat()
    order, etag = place(commissioner, body)
    call_off_id = order["call_off_id"]
    etag = move(commissioner, call_off_id, "submit", etag).headers["ETag"]
    tpp = supplier_caller(client, db, "tpp")
    etag = move(tpp, call_off_id, "accept", etag).headers["ETag"]
    planned = body["migration"]["planned_go_live"]
    response = move(tpp, call_off_id, "go-live", etag, go_live_date=planned)
    assert response.status_code == 422, response.get_json()
    assert "Cannot be in the future" in response.get_json()["errors"]["go_live_date"][0]
    practice = authority.get(f"{ORGANISATIONS}/{organisation_id(db, JESMOND)}").get_json()
    assert practice["current_system"]["name"] == "EMIS Web"
    assert commissioner.get(f"{ORDERS}/{call_off_id}").get_json()["status"] == "accepted"


def test_an_upgrades_go_live_sets_the_level_and_termination_ends_the_line(
    db, client, commissioner, authority
):
    """Shifnal Lane is not 13T's: Riverside (A81001, EMIS LV) recorded at Level 2 takes the
    Level 3 increment; go-live sets Level 3, and terminating the order ends its line."""
    practice = f"{ORGANISATIONS}/{organisation_id(db, 'A81001')}"
    response = authority.patch(
        practice, json={"current_level": 2}, etag=authority.get(practice).headers["ETag"]
    )
    assert response.status_code == 200, response.get_json()
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "emis"),
        "commencement_date": commencement().isoformat(),
        "term_months": 36,
        "recipients": ["A81001"],
        "items": order_lines(db, "emis-lv", "Level 3 increment"),
        "upgrades": [{"ods_code": "A81001", "to_level": 3}],
    }
    order, etag = place(commissioner, body)
    call_off_id = order["call_off_id"]
    estimate = commissioner.get(f"{ORDERS}/{call_off_id}/cost-estimate").get_json()
    # It replaces nothing: the change is the increment's full cost, 204.00 a year for 3 years.
    assert estimate["baseline"]["total"] == "0.00"
    assert estimate["change"]["total"] == "612.00"
    emis = supplier_caller(client, db, "emis")
    etag = move(commissioner, call_off_id, "submit", etag).headers["ETag"]
    etag = move(emis, call_off_id, "accept", etag).headers["ETag"]
    today = commencement().isoformat()
    response = move(emis, call_off_id, "go-live", etag, go_live_date=today)
    assert response.status_code == 200, response.get_json()
    estate = commissioner.get(f"{practice}/estate").get_json()
    assert (estate["system"]["name"], estate["running_level"]) == ("EMIS LV", 3)
    response = move(
        commissioner, call_off_id, "terminate", response.headers["ETag"], reason="Closing."
    )
    assert response.status_code == 200, response.get_json()
    [line] = [
        line
        for line in commissioner.get(f"{practice}/estate").get_json()["lines"]
        if line["call_off_id"] == call_off_id
    ]
    assert line["ended_reason"].startswith(f"{call_off_id} terminated")
    assert line["end_date"] <= commencement().replace(day=28).isoformat() or line["live"]
    events = [
        c["event"] for c in commissioner.get(f"{practice}/estate/history").get_json()["changes"]
    ]
    assert events[-3:] == ["upgrade", "line_started", "line_ended"]


def test_a_lot_2_add_on_replaces_nothing(db, commissioner):
    """A Lot 2 add-on (a kiosk) for a practice replaces nothing: its change is its full cost,
    never a saving against the practice's whole system."""
    kiosk = "arrivo-self-check-in-kiosk"
    body = {
        "framework": "gpsoc-r",
        "supplier_id": _supplier_of(db, kiosk),
        "commencement_date": commencement().isoformat(),
        "term_months": 29,
        "recipients": ["A81001"],
        "items": order_lines(db, kiosk),
    }
    order, _ = place(commissioner, body)
    estimate = commissioner.get(f"{ORDERS}/{order['call_off_id']}/cost-estimate").get_json()
    assert estimate["baseline"]["total"] == "0.00"
    assert Decimal(estimate["change"]["total"]) == Decimal(estimate["totals"]["total"]) > 0


def _supplier_of(db, slug: str) -> int:
    from tests.factories import item

    return item(db, slug).supplier_id


def test_an_order_moving_a_practice_without_its_migration_is_refused(db, commissioner):
    body = example_body(db)
    body["recipients"] = ["A81001"]
    del body["migration"]
    response = commissioner.post(ORDERS, json=body)
    assert response.status_code == 422, response.get_json()
    [reason] = response.get_json()["errors"]["migration"]
    assert "A81001 (Riverside Medical Practice) runs EMIS LV" in reason


def test_the_estate_is_read_by_the_authority_the_practice_and_its_commissioner(
    db, client, commissioner, authority, anonymous
):
    path = f"{ORGANISATIONS}/{organisation_id(db, JESMOND)}/estate"
    assert authority.get(path).status_code == 200
    assert commissioner.get(path).status_code == 200
    own = caller(client, db, _practice_role(), organisation_id=organisation_id(db, JESMOND))
    assert own.get(path).status_code == 200
    assert own.get(f"{path}/history").status_code == 200
    other = caller(client, db, _practice_role(), organisation_id=organisation_id(db, "A81001"))
    assert other.get(path).status_code == 403
    assert commissioner_caller(client, db, "05X").get(path).status_code == 403
    assert supplier_caller(client, db, "emis").get(path).status_code == 403
    assert anonymous.get(path).status_code == 401
    ccg = f"{ORGANISATIONS}/{organisation_id(db, '13T')}/estate"
    assert authority.get(ccg).status_code == 404
    assert authority.get(f"{ORGANISATIONS}/999999/estate").status_code == 404
    seeded = authority.get(f"{path}/history").get_json()["changes"]
    assert [c["event"] for c in seeded] == ["seeded"]
    assert seeded[0]["system"]["name"] == "EMIS Web"


def _practice_role():
    from catalogue.principal import Role

    return Role.PRACTICE


def test_the_api_guides_upgrade_example_is_a_practice_below_the_level(db, client):
    """The API guide (docs/api.md): Shifnal Lane (M82004, 05X's) runs EMIS LV at Level 2 and
    upgrades to Level 3: 204.00 a year, central (Riverside, the example before, already ran it
    at Level 3)."""
    readme = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert '"upgrades":\n  [{"ods_code": "M82004", "to_level": 3}]' in readme
    shropshire = commissioner_caller(client, db, "05X")
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "emis"),
        "commencement_date": commencement().isoformat(),
        "term_months": 36,
        "recipients": ["M82004"],
        "items": order_lines(db, "emis-lv", "Level 3 increment"),
        "upgrades": [{"ods_code": "M82004", "to_level": 3}],
    }
    order, _ = place(shropshire, body)
    [line] = order["items"]
    assert (line["funding"], Decimal(line["quantities"][0]["quantity"])) == ("central", 1)
    path = f"{ORDERS}/{order['call_off_id']}"
    assert shropshire.get(f"{path}/completeness").get_json()["complete"]
    estimate = shropshire.get(f"{path}/cost-estimate").get_json()
    assert (estimate["totals"]["central"], estimate["totals"]["total"]) == ("612.00", "612.00")
    # The same order for Riverside, at Level 3 already, is refused.
    riverside = {**body, "recipients": ["A81001"]}
    riverside["upgrades"] = [{"ods_code": "A81001", "to_level": 3}]
    response = commissioner_caller(client, db, "13T").post(ORDERS, json=riverside)
    assert response.status_code == 422
    assert "already runs EMIS LV at Level 3" in str(response.get_json()["errors"])


def test_the_practice_agrees_the_planned_go_live_on_its_own_order(db, client, commissioner):
    """Seed 002: "the PCT, practice and supplier will need to agree a planned date"."""
    order, etag = place(commissioner, example_body(db))
    call_off_id = order["call_off_id"]
    path = f"{ORDERS}/{call_off_id}/migrations/{JESMOND}"
    completeness = commissioner.get(f"{ORDERS}/{call_off_id}/completeness").get_json()
    assert any(
        "has not agreed the planned go-live" in p["message"] for p in completeness["prompts"]
    )
    jesmond = caller(client, db, _practice_role(), organisation_id=organisation_id(db, JESMOND))
    response = jesmond.get(path)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["go_live_agreed"] is False
    agreement = f"{path}/go-live-agreement"
    assert jesmond.post(agreement).status_code == 428
    assert commissioner.post(agreement, etag=response.headers["ETag"]).status_code == 403
    riverside = caller(client, db, _practice_role(), organisation_id=organisation_id(db, "A81001"))
    assert riverside.post(agreement, etag=response.headers["ETag"]).status_code == 404
    agreed = jesmond.post(agreement, etag=response.headers["ETag"])
    assert agreed.status_code == 200, agreed.get_json()
    body = agreed.get_json()
    assert body["go_live_agreed"] is True
    assert body["go_live_agreed_on"] == example_body(db)["migration"]["planned_go_live"]
    assert jesmond.post(agreement, etag=agreed.headers["ETag"]).status_code == 409
    shown = commissioner.get(f"{ORDERS}/{call_off_id}").get_json()
    assert shown["migrations"][0]["go_live_agreed"] is True
    completeness = commissioner.get(f"{ORDERS}/{call_off_id}/completeness").get_json()
    assert not any("agreed" in p["message"] for p in completeness["prompts"])

    # A new planned date asks for the practice's agreement again.
    later = period_end(add_months(commencement(), -2), 2)
    changed = {"migration": {**example_body(db)["migration"], "planned_go_live": str(later)}}
    changed["migration"]["planned_go_live"] = add_months(later, 1).isoformat()
    etag = commissioner.get(f"{ORDERS}/{call_off_id}").headers["ETag"]
    response = commissioner.patch(f"{ORDERS}/{call_off_id}", json=changed, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["migrations"][0]["go_live_agreed"] is False


def test_a_line_can_be_for_some_practices_only(db, commissioner):
    """Three practices on SystmOne's order: Riverside and Jesmond Road migrate, Gateshead
    Quays (already on SystmOne) stays. The deployment and migration service is not for the
    practice that stays: completeness asks, and a quantity of 0 takes it off for it."""
    body = example_body(db)
    body["commencement_date"] = commencement().isoformat()
    body["migration"]["planned_go_live"] = period_end(commencement(), 2).isoformat()
    body["migration"]["notice_given_on"] = commencement().isoformat()
    body["recipients"] = ["A81001", JESMOND, "A81003"]
    order, etag = place(commissioner, body)
    path = f"{ORDERS}/{order['call_off_id']}"
    assert {m["ods_code"] for m in order["migrations"]} == {"A81001", JESMOND}
    found = commissioner.get(f"{path}/completeness").get_json()
    [stays] = [m for m in found["missing"] if "does not migrate" in m["message"]]
    assert stays["field"] == "items.3.quantities" and "A81003" in stays["message"]

    items = order_lines(db, "systmone") + order_lines(db, "systmone-deployment-migration", A81003=0)
    response = commissioner.patch(path, json={"items": items}, etag=etag)
    assert response.status_code == 200, response.get_json()
    found = commissioner.get(f"{path}/completeness").get_json()
    assert not any("does not migrate" in m["message"] for m in found["missing"]), found
    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    deployment = {
        r["ods_code"]: [line["total"] for line in r["lines"] if "Deployment" in line["price_name"]]
        for r in estimate["recipients"]
    }
    assert deployment == {"A81001": ["6200.00"], JESMOND: ["6200.00"], "A81003": []}
    response = commissioner.patch(
        path,
        json={"items": order_lines(db, "systmone", A81003=-1)},
        etag=response.headers["ETag"],
    )
    assert response.status_code == 422
