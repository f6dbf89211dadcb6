"""The framework authority's writes over HTTP: frameworks and their explicit status
transitions, lots, capabilities, maturity levels (re-deriving every item's level) and
organisations; each audited, each guarded by If-Match."""

from __future__ import annotations

from tests.factories import audit_count, item_id, organisation_id
from tests.functional.actors import (  # noqa: F401 (fixtures)
    anonymous_caller,
    authority_caller,
    commissioner_caller,
)

API = "/api/v1"
FRAMEWORK = {
    "slug": "gp-it-futures",
    "name": "GP IT Futures",
    "description": "The successor to GPSoC.",
    "start_date": "2019-01-01",
    "end_date": "2022-12-31",
    "max_term_months": 36,
    "funding_types": ["central"],
}


def test_a_framework_moves_coming_open_live_expired_one_explicit_step_at_a_time(authority):
    created = authority.post(f"{API}/frameworks", json=FRAMEWORK)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "coming"
    path, etag = f"{API}/frameworks/gp-it-futures", created.headers["ETag"]

    skipped = authority.post(f"{path}/go-live", etag=etag)
    assert skipped.status_code == 409
    assert skipped.get_json()["errors"] == {"allowed_transitions": ["open"]}
    for step, status in (("open", "open"), ("go-live", "live"), ("expire", "expired")):
        response = authority.post(f"{path}/{step}", etag=etag)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
        etag = response.headers["ETag"]
    assert authority.post(f"{path}/open", etag=etag).get_json()["errors"] == {
        "allowed_transitions": []
    }
    actions = [
        e["action"]
        for e in authority.get(f"{API}/audit-events?object_type=framework").get_json()["items"]
    ]
    assert actions[:4] == [
        "framework.expire",
        "framework.go-live",
        "framework.open",
        "framework.create",
    ]


def test_framework_changes_need_if_match_and_valid_dates(authority, db):
    path = f"{API}/frameworks/gpsoc-r"
    etag = authority.get(path).headers["ETag"]
    assert authority.patch(path, json={"name": "x"}).status_code == 428
    events = audit_count(db)
    bad = authority.patch(path, json={"end_date": "2000-01-01"}, etag=etag)
    assert bad.status_code == 422 and "end_date" in bad.get_json()["errors"]
    assert authority.patch(path, json={"status": "expired"}, etag=etag).status_code == 422
    assert audit_count(db) == events
    changed = authority.patch(path, json={"max_term_months": 60}, etag=etag)
    assert changed.status_code == 200 and changed.get_json()["max_term_months"] == 60
    assert changed.headers["ETag"] != etag
    assert authority.patch(path, json={"max_term_months": 72}, etag=etag).status_code == 412
    duplicate = authority.post(f"{API}/frameworks", json={**FRAMEWORK, "slug": "gpsoc-r"})
    assert duplicate.status_code == 409


def test_lots_and_capabilities(authority):
    lot = authority.post(
        f"{API}/frameworks/gpsoc-r/lots",
        json={"number": 4, "name": "Lot 4", "default_funding": "commissioner"},
    )
    assert lot.status_code == 201 and lot.get_json()["framework"] == "gpsoc-r"
    again = authority.post(
        f"{API}/frameworks/gpsoc-r/lots",
        json={"number": 4, "name": "Again", "default_funding": "commissioner"},
    )
    assert again.status_code == 409
    changed = authority.patch(
        f"{API}/frameworks/gpsoc-r/lots/4", json={"name": "Lot four"}, etag=lot.headers["ETag"]
    )
    assert changed.get_json()["name"] == "Lot four"

    capability = authority.post(
        f"{API}/capabilities",
        json={"code": "video-consultation", "name": "Video consultation", "category": "clinical"},
    )
    assert capability.status_code == 201
    assert authority.post(f"{API}/capabilities", json=capability.get_json()).status_code == 409
    bad_code = authority.post(
        f"{API}/capabilities", json={"code": "Not A Code", "name": "x", "category": "clinical"}
    )
    assert bad_code.status_code == 422
    etag = authority.get(f"{API}/capabilities/video-consultation").headers["ETag"]
    renamed = authority.patch(
        f"{API}/capabilities/video-consultation", json={"name": "Video consults"}, etag=etag
    )
    assert renamed.get_json()["name"] == "Video consults"


def test_changing_a_level_s_requirements_re_derives_every_item_s_level(authority, anonymous, db):
    emis_web = f"{API}/systems/{item_id(db, 'emis-web')}"
    assert anonymous.get(emis_web).get_json()["maturity_level"] == 3
    level = authority.get(f"{API}/maturity-levels/3")
    codes = [c["code"] for c in level.get_json()["required_capabilities"]]
    response = authority.patch(
        f"{API}/maturity-levels/3",
        json={"required_capabilities": [*codes, "online-consultation"]},
        etag=level.headers["ETag"],
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items_relevelled"] >= 1
    assert anonymous.get(emis_web).get_json()["maturity_level"] == 2

    unknown = authority.patch(
        f"{API}/maturity-levels/3",
        json={"required_capabilities": ["telepathy"]},
        etag=response.headers["ETag"],
    )
    assert unknown.status_code == 422
    assert "telepathy" in str(unknown.get_json()["errors"])
    assert anonymous.get(emis_web).get_json()["maturity_level"] == 2

    new_level = authority.post(
        f"{API}/maturity-levels",
        json={"level": 4, "name": "Level 4", "required_capabilities": ["scr"]},
    )
    assert new_level.status_code == 201 and new_level.get_json()["level"] == 4


def test_organisations_are_created_and_changed_by_the_authority_only(authority, commissioner, db):
    ccg = organisation_id(db, "13T")
    practice = {
        "kind": "practice",
        "ods_code": "b82099",
        "name": "Hillside Surgery",
        "commissioner_id": ccg,
        "list_size": 6200,
        "current_system_id": item_id(db, "emis-web"),
    }
    assert commissioner.post(f"{API}/organisations", json=practice).status_code == 403
    created = authority.post(f"{API}/organisations", json=practice)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["ods_code"] == "B82099" and body["commissioner"]["id"] == ccg
    assert authority.post(f"{API}/organisations", json=practice).status_code == 409

    no_commissioner = authority.post(
        f"{API}/organisations", json={**practice, "ods_code": "B82100", "commissioner_id": None}
    )
    assert no_commissioner.status_code == 422
    assert "commissioner_id" in no_commissioner.get_json()["errors"]

    path = f"{API}/organisations/{body['id']}"
    changed = authority.patch(path, json={"list_size": 6400}, etag=created.headers["ETag"])
    assert changed.status_code == 200 and changed.get_json()["list_size"] == 6400
    seen = commissioner.get(f"{API}/audit-events?object_type=organisation").get_json()["items"]
    assert [e["action"] for e in seen][:2] == ["organisation.update", "organisation.create"]
