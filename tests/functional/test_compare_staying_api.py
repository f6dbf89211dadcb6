"""Compare for a practice: staying on its current system and upgrading it in place, against
moving, with the suppliers' roadmaps.

Shifnal Lane (M82004) runs EMIS LV at Level 2 (the seed records it below the system's Level 3):
staying costs EMIS LV's licence and support (Hansard, 2 June 2009: 3,427.72 and 665.08 a
year); upgrading adds the Level 3 increment (204.00 a year), centrally funded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from catalogue.models import RoadmapEntry
from tests.factories import item, item_id

COMPARE = "/api/v1/compare"


def test_staying_and_upgrading_are_costed_against_moving(client, db):
    ids = f"{item_id(db, 'systmone')},{item_id(db, 'emis-lv')}"
    response = client.get(f"{COMPARE}?ids={ids}&practice=M82004&term_months=36")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["practice"]["running_level"] == 2
    current = body["current_system"]
    assert (current["system"]["name"], current["system_level"], current["running_level"]) == (
        "EMIS LV",
        3,
        2,
    )
    staying = current["staying"]
    assert {line["price_name"] for line in staying["lines"]} == {
        "Annual practice licence",
        "System support",
    }
    assert Decimal(staying["total"]) == (Decimal("3427.72") + Decimal("665.08")) * 3
    [upgrade] = current["upgrades"]
    assert (upgrade["to_level"], upgrade["increments"]) == (3, ["Level 3 increment"])
    cost = upgrade["whole_life_cost"]
    assert Decimal(cost["total"]) == Decimal(staying["total"]) + Decimal("612.00")
    [increment] = [line for line in cost["lines"] if line["price_name"] == "Level 3 increment"]
    assert increment["funding"] == "central"
    assert Decimal(cost["central"]) == Decimal(staying["central"]) + Decimal("612.00")

    for row in body["items"]:
        moving = Decimal(row["whole_life_cost"]["total"])
        assert Decimal(row["against_staying"]) == moving - Decimal(staying["total"])
    [systmone] = [row for row in body["items"] if row["name"] == "SystmOne"]
    assert Decimal(systmone["against_staying"]) > 0


def test_a_practice_at_its_systems_level_has_no_upgrade_and_compare_shows_roadmaps(client, db):
    # Benwell Village (A81005) runs Synergy, Level 2 and without GP2GP; iSOFT plans it.
    synergy = item(db, "synergy")
    gp2gp = next(c for c in item(db, "emis-web").capabilities if c.code == "gp2gp")
    synergy.roadmap.append(RoadmapEntry(capability=gp2gp, target_date=date(2027, 9, 30)))
    db.flush()
    response = client.get(f"{COMPARE}?ids={synergy.id}&practice=A81005")
    current = response.get_json()["current_system"]
    assert current["running_level"] == 2 and current["upgrades"] == []
    assert current["planned_levels"] == [{"level": 3, "by": "2027-09-30"}]
    [row] = response.get_json()["items"]
    assert row["roadmap"][0]["capability"]["code"] == "gp2gp"
    assert row["planned_levels"] == [{"level": 3, "by": "2027-09-30"}]
    assert Decimal(row["against_staying"]) == 0  # the same system, the same prices

    without = client.get(f"{COMPARE}?ids={synergy.id}").get_json()
    assert without["current_system"] is None and without["items"][0]["against_staying"] is None
