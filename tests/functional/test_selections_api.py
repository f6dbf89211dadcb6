"""The GPSoC selection process over HTTP, end to end: shortlist, weigh, score, read the ranked
and explained result, lock it and download it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from catalogue.models import (
    AuditEvent,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    ItemStatus,
    Price,
    Selection,
    SelectionScore,
)
from catalogue.principal import Role
from tests.factories import item_id, organisation_id, selection_body, supplier_id
from tests.functional.actors import Caller, caller

BASE = "/api/v1/selections"


@pytest.fixture
def commissioner(client, db) -> Caller:
    return caller(client, db, Role.COMMISSIONER, organisation_id=organisation_id(db, "13T"))


@pytest.fixture
def other_commissioner(client, db) -> Caller:
    return caller(client, db, Role.COMMISSIONER, organisation_id=organisation_id(db, "5D7"))


@pytest.fixture
def authority(client, db) -> Caller:
    return caller(client, db, Role.AUTHORITY)


@pytest.fixture
def supplier(client, db) -> Caller:
    return caller(client, db, Role.SUPPLIER, supplier_id=supplier_id(db, "emis"))


@pytest.fixture
def practice(client, db) -> Caller:
    """Riverside's lead (the practice of selection_body)."""
    return caller(client, db, Role.PRACTICE, organisation_id=organisation_id(db, "A81001"))


def sign_both(commissioner: Caller, practice: Caller, path: str, etag: str) -> tuple[dict, str]:
    """Lock the only way there is: both sides sign off."""
    _signed, etag = ok(commissioner.call("POST", f"{path}/sign-off", etag=etag))
    return ok(practice.call("POST", f"{path}/sign-off", etag=etag))


def start(caller: Caller, **overrides) -> tuple[dict, str]:
    body = selection_body(**overrides)
    response = caller.call("POST", BASE, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json(), response.headers["ETag"]


def ok(response, status: int = 200) -> tuple[dict, str | None]:
    assert response.status_code == status, response.get_json()
    return response.get_json(), response.headers.get("ETag")


def test_a_commissioner_runs_the_selection_process_end_to_end(commissioner, practice, client, db):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"

    # Shortlist Lot 1 systems at Level 3 from a search (4 of them in the seed).
    filters = {"lot": 1, "kind": "system", "maturity_level": 3}
    selection, etag = ok(
        commissioner.call("POST", f"{path}/candidates", {"filters": filters}, etag)
    )
    names = {c["name"] for c in selection["candidates"]}
    assert names == {"EMIS Web", "EMIS LV", "SystmOne", "Vision 3"}
    assert selection["mode"] == "competition"

    criteria = [
        {
            "kind": "must",
            "name": "Level 2",
            "requirement": "min_maturity_level",
            "min_maturity_level": 2,
        },
        {
            "kind": "must",
            "name": "Summary Care Record",
            "requirement": "capability",
            "capabilities": ["scr"],
        },
        {
            "kind": "should",
            "name": "Patient online",
            "group": "features",
            "weight": 1,
            "capabilities": [
                "online-appointments",
                "online-repeat-prescriptions",
                "online-record-access",
            ],
        },
        {"kind": "should", "name": "Migration plan", "group": "implementation", "weight": 1},
        {
            "kind": "should",
            "name": "Interoperability",
            "group": "interoperability",
            "weight": 1,
            "scoring": "interoperability",
        },
    ]
    for criterion in criteria:
        selection, etag = ok(commissioner.call("POST", f"{path}/criteria", criterion, etag), 201)
    by_name = {c["name"]: c for c in selection["criteria"]}
    assert by_name["Patient online"]["scoring"] == "capability_coverage"
    assert by_name["Migration plan"]["scoring"] == "manual"

    # Not yet scored: the result says what is missing, and signing it off is refused.
    result, _ = ok(commissioner.call("GET", f"{path}/result"))
    assert not result["complete"]
    refused = commissioner.call("POST", f"{path}/sign-off", etag=etag)
    assert refused.status_code == 409
    assert any("still to be entered" in p for p in refused.get_json()["errors"]["selection"])

    plan = by_name["Migration plan"]["id"]
    ids = {c["name"]: c["item_id"] for c in selection["candidates"]}
    scores = [
        {"item_id": ids["EMIS Web"], "criterion_id": plan, "score": 4, "justification": "Clear"},
        {"item_id": ids["SystmOne"], "criterion_id": plan, "score": 5, "justification": "Best"},
        {"item_id": ids["Vision 3"], "criterion_id": plan, "score": 2, "justification": "Thin"},
    ]
    response = commissioner.call("PUT", f"{path}/scores", {"scores": scores}, etag)
    entered, etag = ok(response)
    assert len(entered) == 3

    result, _ = ok(commissioner.call("GET", f"{path}/result"))
    assert result["complete"], result["problems"]
    # EMIS LV holds no Summary Care Record: eliminated, with the reason.
    assert [c["name"] for c in result["eliminated"]] == ["EMIS LV"]
    assert "Summary Care Record" in result["eliminated"][0]["eliminated_because"][0]
    ranked = {c["name"]: c for c in result["ranked"]}
    # Whole-life cost over 36 months for 8,432 patients: EMIS Web is the cheapest.
    assert ranked["EMIS Web"]["whole_life_cost"]["total"] == "12890.40"
    assert ranked["EMIS Web"]["price_score"] == 5
    assert ranked["SystmOne"]["price_score"] == 4  # 15312.00: 18.8 % dearer
    assert ranked["Vision 3"]["price_score"] == 3  # 16725.00: 29.7 % dearer
    # The price weight applies to the price score: 0.6 x 5 = 3.
    assert ranked["EMIS Web"]["price_points"] == "3.0000"
    breakdown = {line["name"]: line for line in ranked["Vision 3"]["breakdown"]}
    assert breakdown["Interoperability"]["source"] == "automatic"
    assert (
        "missing: Cross-care-setting record sharing"
        in breakdown["Interoperability"]["justification"]
    )
    assert (
        breakdown["Migration plan"] | {"score": 2, "source": "entered"}
        == breakdown["Migration plan"]
    )
    assert result["ranked"][0]["rank"] == 1
    totals = [Decimal(c["total_score"]) for c in result["ranked"]]
    assert totals == sorted(totals, reverse=True)
    assert result["sensitivity"]["leader_item_id"] == result["leader_item_ids"][0]
    assert result["sensitivity"]["explanation"]

    # Nobody locks by hand (403, nothing changes); both signatures lock it: the result is
    # frozen with the scored listing versions and prices.
    assert commissioner.call("POST", f"{path}/lock", etag=etag).status_code == 403
    assert commissioner.call("GET", path).get_json()["status"] == "draft"
    signed, etag = sign_both(commissioner, practice, path, etag)
    assert signed["status"] == "locked"
    locked, _ = ok(commissioner.call("GET", f"{path}/result"))
    stored = db.get(Selection, selection["id"])
    db.refresh(stored)
    assert {c["item_id"] for c in stored.snapshot["candidates"]} == set(ids.values())

    # A later catalogue change does not alter the locked result.
    licence = db.scalars(
        select(Price).where(
            Price.item_id == ids["EMIS Web"], Price.name == "Annual practice licence"
        )
    ).one()
    licence.tiers[0].amount = Decimal("9999.00")
    db.flush()
    again, _ = ok(commissioner.call("GET", f"{path}/result"))
    assert again == locked

    # Read-only once locked.
    refused = commissioner.call("PATCH", path, {"name": "Changed"}, etag)
    assert refused.status_code == 409
    assert "locked" in refused.get_json()["message"]

    # The workbook opens and holds the numbers of the JSON result.
    response = commissioner.call("GET", f"{path}/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [
        "Summary",
        "Criteria",
        "Ranking",
        "Scores",
        "Evaluations",
        "Costs",
        "Eliminated",
        "Sign-off",
    ]
    sheet = workbook["Ranking"]
    header = [cell.value for cell in sheet[1]]
    rows = [
        dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(2)
    ]
    assert [row["candidate"] for row in rows] == [c["name"] for c in locked["ranked"]]
    for row, candidate in zip(rows, locked["ranked"], strict=True):
        assert Decimal(str(row["total"])) == Decimal(candidate["whole_life_cost"]["total"])
        assert Decimal(str(row["total_score"])) == Decimal(candidate["total_score"])
        assert row["rank"] == candidate["rank"]
    scores_sheet = workbook["Scores"]
    justifications = {row[8].value for row in scores_sheet.iter_rows(2)}
    assert {"Clear", "Best", "Thin"} <= justifications

    csv_text = commissioner.call("GET", f"{path}/export.csv").get_data(as_text=True)
    assert "# Ranking" in csv_text and "12890.40" in csv_text

    # Every change was audited, visible to the owning commissioner.
    events = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "selection",
            AuditEvent.object_id == str(selection["id"]),
            AuditEvent.organisation_id == organisation_id(db, "13T"),
        )
    ).all()
    assert events[0] == "selection.created" and events[-1] == "selection.locked"
    assert events.count("selection.criterion_added") == 5
    assert "selection.scores_entered" in events


def test_only_the_owner_and_the_authority_see_a_selection(
    commissioner, other_commissioner, authority, supplier, client
):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    assert other_commissioner.call("GET", path).status_code == 404
    assert other_commissioner.call("PATCH", path, {"name": "x"}, etag).status_code == 404
    assert supplier.call("GET", path).status_code == 403
    assert Caller(client, None).call("GET", path).status_code == 401
    assert authority.call("GET", path).status_code == 200
    changed, _ = ok(authority.call("PATCH", path, {"name": "Renamed by the centre"}, etag))
    assert changed["name"] == "Renamed by the centre"
    listed = other_commissioner.call("GET", BASE).get_json()
    assert selection["id"] not in [s["id"] for s in listed["items"]]
    assert selection["id"] in [s["id"] for s in commissioner.call("GET", BASE).get_json()["items"]]


def test_a_commissioner_selects_only_for_its_own_practices(commissioner):
    response = commissioner.call(
        "POST", BASE, {"name": "x", "practice": "A81005", "framework": "gpsoc-r"}
    )
    assert response.status_code == 422
    assert "not one of your practices" in response.get_json()["errors"]["practice"][0]


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"price_weight": 25}, "price_weight"),
        ({"price_weight": 95}, "price_weight"),
        ({"price_weight": 62}, "price_weight"),
        (
            {
                "non_price_weights": {
                    "features": 40,
                    "implementation": 20,
                    "interoperability": 20,
                    "service_levels": 10,
                }
            },
            "non_price_weights",
        ),
    ],
)
def test_weights_that_do_not_add_up_are_refused_and_nothing_is_stored(
    commissioner, db, weights, field
):
    before = db.scalar(select(func.count(Selection.id)))
    body = {"name": "x", "practice": "A81001", "framework": "gpsoc-r", **weights}
    response = commissioner.call("POST", BASE, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.scalar(select(func.count(Selection.id))) == before


def test_bad_scores_are_refused_and_none_stored(commissioner, db):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    ids = [item_id(db, "emis-web"), item_id(db, "systmone")]
    selection, etag = ok(commissioner.call("POST", f"{path}/candidates", {"item_ids": ids}, etag))
    criterion = {"kind": "should", "name": "Training", "group": "implementation", "weight": 1}
    selection, etag = ok(commissioner.call("POST", f"{path}/criteria", criterion, etag), 201)
    criterion_id = selection["criteria"][0]["id"]

    def put(*scores):
        return commissioner.call("PUT", f"{path}/scores", {"scores": list(scores)}, etag)

    good = {"item_id": ids[0], "criterion_id": criterion_id, "score": 3, "justification": "ok"}
    for bad in (
        {**good, "score": 6},
        {**good, "score": 0},
        {key: value for key, value in good.items() if key != "justification"},
        {**good, "justification": "   "},
        {**good, "item_id": item_id(db, "vision-3")},  # not a candidate
    ):
        response = put(good | {"item_id": ids[1]}, bad)
        assert response.status_code == 422, bad
        assert response.get_json()["errors"]
    assert db.scalar(select(func.count(SelectionScore.id))) == 0


def test_candidates_must_be_on_the_selection_framework_and_at_most_eight(commissioner, db):
    # GPSoC has expired and lists nothing: for this test it is live, with one item of its own.
    gpsoc = db.scalars(select(Framework).where(Framework.slug == "gpsoc")).one()
    gpsoc.status = FrameworkStatus.LIVE
    own = db.get(CatalogueItem, item_id(db, "vision-training"))
    own.lot = next(lot for lot in gpsoc.lots if lot.number == 1)
    db.flush()
    selection, etag = start(commissioner, framework="gpsoc", term_months=36)
    path = f"{BASE}/{selection['id']}"
    response = commissioner.call(
        "POST", f"{path}/candidates", {"item_ids": [item_id(db, "emis-web")]}, etag
    )
    assert response.status_code == 422
    assert "outside this selection's framework" in response.get_json()["errors"]["item_ids"][0]

    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    # Nine Lot 1 systems are at Level 2 or above: too many for one shortlist.
    filters = {"lot": 1, "kind": "system", "maturity_level": 2}
    response = commissioner.call("POST", f"{path}/candidates", {"filters": filters}, etag)
    assert response.status_code == 422
    assert "Narrow the search" in response.get_json()["errors"]["filters"][0]


def test_updates_need_the_current_etag(commissioner):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    assert commissioner.call("PATCH", path, {"name": "a"}).status_code == 428
    changed, new_etag = ok(commissioner.call("PATCH", path, {"price_weight": 70}, etag))
    assert changed["non_price_weight"] == 30
    assert new_etag != etag
    assert commissioner.call("PATCH", path, {"name": "b"}, etag).status_code == 412
    assert commissioner.call("GET", path).headers["ETag"] == new_etag


def test_one_candidate_is_a_direct_award(commissioner, practice, db):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    selection, etag = ok(
        commissioner.call(
            "POST", f"{path}/candidates", {"item_ids": [item_id(db, "systmone")]}, etag
        )
    )
    assert selection["mode"] == "direct_award"
    result, _ = ok(commissioner.call("GET", f"{path}/result"))
    assert result["mode"] == "direct_award" and result["complete"]
    assert result["ranked"][0]["breakdown"] == [] and result["sensitivity"] is None
    # A direct award needs both signatures too.
    assert commissioner.call("POST", f"{path}/lock", etag=etag).status_code == 403
    signed, etag = ok(commissioner.call("POST", f"{path}/sign-off", etag=etag))
    assert signed["status"] == "draft"
    locked, _ = ok(practice.call("POST", f"{path}/sign-off", etag=etag))
    assert locked["status"] == "locked"
    result, _ = ok(commissioner.call("GET", f"{path}/result"))
    assert result["leader_item_ids"] == [item_id(db, "systmone")]


def test_candidates_from_free_text_are_what_search_finds_in_the_framework(
    commissioner, client, indexed_search
):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    searched = client.get(
        "/api/v1/search",
        query_string={"q": "sistmone", "framework": "gpsoc-r", "kind": "system"},
    ).get_json()
    expected = {item["id"] for item in searched["items"]}
    assert expected, searched

    selection, _ = ok(
        commissioner.call(
            "POST", f"{path}/candidates", {"filters": {"q": "sistmone", "kind": "system"}}, etag
        )
    )
    assert {c["item_id"] for c in selection["candidates"]} == expected
    assert "SystmOne" in {c["name"] for c in selection["candidates"]}


def test_a_search_matching_more_than_the_shortlist_holds_adds_nothing(commissioner, indexed_search):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    refused = commissioner.call("POST", f"{path}/candidates", {"filters": {"q": "clinical"}}, etag)
    assert refused.status_code == 422, refused.get_json()
    assert "too many" in refused.get_json()["message"]
    assert commissioner.call("GET", path).get_json()["candidates"] == []


def test_exports_never_turn_entered_text_into_formulas(commissioner, db):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    ids = [item_id(db, "emis-web"), item_id(db, "systmone")]
    selection, etag = ok(commissioner.call("POST", f"{path}/candidates", {"item_ids": ids}, etag))
    formula = '=HYPERLINK("http://evil.example/x","Click to confirm")'
    criterion = {"kind": "should", "name": formula, "group": "features", "weight": 1}
    ok(commissioner.call("POST", f"{path}/criteria", criterion, etag), 201)

    response = commissioner.call("GET", f"{path}/export.xlsx")
    assert response.status_code == 200, response.get_json()
    cells = [
        cell
        for sheet in load_workbook(io.BytesIO(response.data)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == formula
    ]
    assert cells and all(cell.data_type == "s" for cell in cells)

    csv_body = commissioner.call("GET", f"{path}/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(" in csv_body
    assert ',"=HYPERLINK(' not in csv_body and "\n=HYPERLINK(" not in csv_body


def test_a_candidate_suspended_since_shortlisting_blocks_the_lock(commissioner, db):
    selection, etag = start(commissioner)
    path = f"{BASE}/{selection['id']}"
    systmone = item_id(db, "systmone")
    selection, etag = ok(
        commissioner.call("POST", f"{path}/candidates", {"item_ids": [systmone]}, etag)
    )
    item = db.get(CatalogueItem, systmone)
    item.status = ItemStatus.SUSPENDED
    db.flush()

    refused = commissioner.call("POST", f"{path}/sign-off", etag=etag)
    assert refused.status_code == 409
    assert refused.get_json()["errors"]["candidates"] == ["SystmOne is no longer published."]
    assert commissioner.call("GET", path).get_json()["status"] == "draft"
