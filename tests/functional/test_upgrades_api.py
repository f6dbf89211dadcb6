"""Upgrades in place over HTTP: a practice keeps its system and moves up the maturity ladder.

The worked example: Riverside (A81001) runs EMIS LV, accredited to Level 3 (GP2GP), but has not
taken the Level 3 increment: it runs at Level 2. Its commissioner orders EMIS LV's Level 3
increment as an upgrade: no migration, centrally funded, and going live records Level 3."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from catalogue.models import AuditEvent
from tests.factories import (
    OTHER_PRACTICE,
    PRACTICE,
    commencement,
    order_lines,
    organisation_id,
    supplier_id,
)
from tests.functional.actors import Caller, authority_caller  # noqa: F401 (fixtures)
from tests.functional.orders import ORDERS, commissioner_caller, move, place, supplier_caller

ORGANISATIONS = "/api/v1/organisations"


@pytest.fixture
def commissioner(client, db) -> Caller:
    """NHS Newcastle Gateshead CCG (13T), Riverside's commissioner."""
    return commissioner_caller(client, db, "13T")


@pytest.fixture
def at_level_2(db, authority) -> str:
    """Riverside recorded as running EMIS LV at Level 2; its organisation's path."""
    path = f"{ORGANISATIONS}/{organisation_id(db, PRACTICE)}"
    response = authority.patch(
        path, json={"current_level": 2}, etag=authority.get(path).headers["ETag"]
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["current_level"], response.get_json()["running_level"]) == (2, 2)
    return path


def upgrade_body(db, **overrides) -> dict:
    body = {
        "framework": "gpsoc-r",
        "supplier_id": supplier_id(db, "emis"),
        "commencement_date": commencement().isoformat(),
        "term_months": 36,
        "recipients": [PRACTICE],
        "items": order_lines(db, "emis-lv", "Level 3 increment"),
        "upgrades": [{"ods_code": PRACTICE, "to_level": 3}],
    }
    body.update(overrides)
    return body


def test_a_level_3_upgrade_needs_no_migration_and_is_centrally_funded(
    db, client, commissioner, authority, at_level_2
):
    order, etag = place(commissioner, upgrade_body(db))
    path = f"{ORDERS}/{order['call_off_id']}"
    assert order["migrations"] == [] and order["migration"] is None
    [upgrade] = order["upgrades"]
    assert (upgrade["ods_code"], upgrade["from_level"], upgrade["to_level"]) == (PRACTICE, 2, 3)
    assert upgrade["system"]["name"] == "EMIS LV"
    [line] = order["items"]
    assert (line["price_name"], line["funding"]) == ("Level 3 increment", "central")
    assert "centrally funded" in line["funding_reason"]

    completeness = commissioner.get(f"{path}/completeness").get_json()
    assert completeness["complete"], completeness
    # No migration, so no deployment or extract advice; the level's NPfIT service (GP2GP)
    # needs the infrastructure the commissioner provides (seed 003).
    [infrastructure] = completeness["prompts"]
    assert infrastructure["field"] == f"upgrades.{PRACTICE}"
    assert "Level 3" in infrastructure["message"] and "GP2GP" in infrastructure["message"]
    assert "commissioner provides the infrastructure" in infrastructure["message"]

    estimate = commissioner.get(f"{path}/cost-estimate").get_json()
    # 204.00 a year for 36 months, all central, exact.
    assert Decimal(estimate["totals"]["central"]) == Decimal("612.00")
    assert Decimal(estimate["totals"]["total"]) == Decimal("612.00")

    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 200, response.get_json()
    emis = supplier_caller(client, db, "emis")
    response = move(emis, order["call_off_id"], "accept", response.headers["ETag"])
    go_live = date.today()  # go-live is recorded once it has happened
    response = move(
        commissioner,
        order["call_off_id"],
        "go-live",
        response.headers["ETag"],
        go_live_date=go_live.isoformat(),
    )
    assert response.status_code == 200, response.get_json()
    practice = authority.get(at_level_2).get_json()
    assert (practice["current_level"], practice["running_level"]) == (3, 3)
    assert practice["current_system"]["name"] == "EMIS LV"  # the same system: no migration
    recorded = db.query(AuditEvent).filter_by(action="organisation.upgrade").one()
    assert recorded.after["current_level"] == 3


def test_without_the_increment_the_upgrade_is_incomplete(db, commissioner, at_level_2):
    body = upgrade_body(db, items=order_lines(db, "emis-lv", "Annual practice licence"))
    order, _ = place(commissioner, body)
    completeness = commissioner.get(f"{ORDERS}/{order['call_off_id']}/completeness").get_json()
    assert not completeness["complete"]
    assert {
        "field": f"upgrades.{PRACTICE}",
        "message": f"Add EMIS LV's Level 3 increment for {PRACTICE}.",
    } in completeness["missing"]


def test_upgrades_the_practice_cannot_have_are_refused_with_a_reason(
    db, client, commissioner, at_level_2
):
    # Jesmond Road runs EMIS Web, not EMIS LV: an upgrade is of the system it runs.
    body = upgrade_body(
        db,
        recipients=[PRACTICE, OTHER_PRACTICE],
        upgrades=[{"ods_code": OTHER_PRACTICE, "to_level": 3}],
    )
    response = commissioner.post(ORDERS, json=body)
    assert response.status_code == 422
    [reason] = response.get_json()["errors"][f"upgrades.{OTHER_PRACTICE}.to_level"]
    assert "runs EMIS Web" in reason and "migration" in reason

    # EMIS LV is accredited to Level 3: there is no Level 4 to buy.
    response = commissioner.post(
        ORDERS, json=upgrade_body(db, upgrades=[{"ods_code": PRACTICE, "to_level": 4}])
    )
    assert response.status_code == 422
    [reason] = response.get_json()["errors"][f"upgrades.{PRACTICE}.to_level"]
    assert "accredited to Level 3" in reason

    # A practice already at the level has nothing to upgrade.
    response = commissioner.post(
        ORDERS, json=upgrade_body(db, upgrades=[{"ods_code": PRACTICE, "to_level": 2}])
    )
    assert response.status_code == 422
    assert (
        "already runs EMIS LV at Level 2"
        in response.get_json()["errors"][f"upgrades.{PRACTICE}.to_level"][0]
    )

    # Synergy (iSOFT, Level 2, no GP2GP) cannot take Benwell Village to Level 3.
    benwell = commissioner_caller(client, db, "5D7")
    body = upgrade_body(
        db,
        supplier_id=supplier_id(db, "isoft"),
        recipients=["A81005"],
        items=order_lines(db, "synergy"),
        upgrades=[{"ods_code": "A81005", "to_level": 3}],
    )
    response = benwell.post(ORDERS, json=body)
    assert response.status_code == 422
    [reason] = response.get_json()["errors"]["upgrades.A81005.to_level"]
    assert "Synergy is accredited to Level 2" in reason


def test_a_practice_level_above_its_systems_is_refused(db, authority):
    path = f"{ORGANISATIONS}/{organisation_id(db, 'A81005')}"  # Benwell Village, on Synergy
    response = authority.patch(
        path, json={"current_level": 3}, etag=authority.get(path).headers["ETag"]
    )
    assert response.status_code == 422
    assert "Synergy is accredited to Level 2" in response.get_json()["errors"]["current_level"][0]


def baseline_prices(estimate: dict) -> list[str]:
    [recipient] = estimate["recipients"]
    return sorted(line["price_name"] for line in recipient["baseline_lines"])


def test_the_baseline_keeps_the_level_the_practice_runs(db, commissioner, authority):
    """An order renewing EMIS LV replaces what the practice pays now: at Level 2, EMIS LV's
    Level 3 increment is not in its baseline; recorded at the system's own level, it is."""
    order, _etag = place(
        commissioner, upgrade_body(db, upgrades=None, items=order_lines(db, "emis-lv"))
    )
    path = f"{ORDERS}/{order['call_off_id']}/cost-estimate"
    at_system_level = commissioner.get(path).get_json()
    assert "Level 3 increment" in baseline_prices(at_system_level)

    practice = f"{ORGANISATIONS}/{organisation_id(db, PRACTICE)}"
    response = authority.patch(
        practice, json={"current_level": 2}, etag=authority.get(practice).headers["ETag"]
    )
    assert response.status_code == 200, response.get_json()
    at_level_2 = commissioner.get(path).get_json()
    assert "Level 3 increment" not in baseline_prices(at_level_2)
    assert baseline_prices(at_level_2) == [
        name for name in baseline_prices(at_system_level) if name != "Level 3 increment"
    ]
    increment = Decimal("612.00")  # 204.00 a year over 36 months
    assert (
        Decimal(at_system_level["baseline"]["total"]) - Decimal(at_level_2["baseline"]["total"])
        == increment
    )
