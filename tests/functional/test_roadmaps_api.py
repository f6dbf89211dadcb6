"""Suppliers' roadmaps over HTTP: a supplier plans a capability on its system, the authority
approves it with the rest of the listing, the supplier moves it to delivered, and only the
authority's grant of the capability makes it an accreditation (and the level)."""

from __future__ import annotations

from datetime import date

from tests.factories import audit_count
from tests.functional.actors import (  # noqa: F401 (fixtures)
    anonymous_caller,
    authority_caller,
    create_system,
    other_supplier_caller,
    publish,
    supplier_caller,
)

SYSTEMS = "/api/v1/systems"
LEVEL_1 = ("choose-and-book", "spine-connection", "pds")


def _level_1_system(supplier, authority) -> tuple[str, str]:
    """A published system of the supplier's at Level 1 (no EPS): its path and ETag."""
    system, etag = create_system(supplier, name="Surgery Classic")
    path = f"{SYSTEMS}/{system['id']}"
    for code in LEVEL_1:
        response = authority.post(f"{path}/capabilities", json={"code": code}, etag=etag)
        assert response.status_code == 200, response.get_json()
        etag = response.headers["ETag"]
    return path, publish(supplier, authority, path, etag)


def test_a_roadmap_entry_is_visible_once_approved_then_delivered_then_accredited(
    supplier, authority, anonymous, db
):
    path, etag = _level_1_system(supplier, authority)
    assert anonymous.get(path).get_json()["maturity_level"] == 1

    # The supplier plans EPS (Level 2) for mid-2027: held for review, not yet public.
    planned = {"capability": "EPS", "target_date": "2027-06-30", "note": "ETP release 2"}
    response = supplier.post(f"{path}/roadmap", json=planned, etag=etag)
    assert response.status_code == 202, response.get_json()
    revision = response.get_json()
    assert revision["proposed"]["roadmap"] == [
        {
            "id": None,
            "capability": "eps",
            "target_date": "2027-06-30",
            "status": "planned",
            "note": "ETP release 2",
            "accredited_on": None,
        }
    ]
    assert revision["diff"]["roadmap"]["added"][0]["capability"] == "eps"
    public = anonymous.get(path).get_json()
    assert public["roadmap"] == [] and public["planned_levels"] == []

    # The authority approves: the roadmap and the level it plans show on the system.
    review = authority.get(f"{path}/revision")
    response = authority.post(f"{path}/revision/approve", etag=review.headers["ETag"])
    assert response.status_code == 200, response.get_json()
    etag = response.headers["ETag"]
    public = anonymous.get(path).get_json()
    [entry] = public["roadmap"]
    assert entry["capability"] == {"code": "eps", "name": entry["capability"]["name"]}
    assert (entry["target_date"], entry["status"], entry["accredited_on"]) == (
        "2027-06-30",
        "planned",
        None,
    )
    assert public["planned_levels"] == [{"level": 2, "by": "2027-06-30"}]
    listed = anonymous.get(f"{SYSTEMS}?supplier={supplier.supplier_id}&page_size=100")
    [row] = [item for item in listed.get_json()["items"] if item["id"] == public["id"]]
    assert row["roadmap"] == public["roadmap"]
    assert row["planned_levels"] == public["planned_levels"]

    # Delivered, and approved: still only the supplier's word, no accreditation.
    response = supplier.patch(
        f"{path}/roadmap/{entry['id']}", json={"status": "delivered"}, etag=etag
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["diff"]["roadmap"]["changed"] == [
        {"id": entry["id"], "changes": {"status": {"from": "planned", "to": "delivered"}}}
    ]
    response = authority.post(f"{path}/revision/approve", etag=response.headers["ETag"])
    etag = response.headers["ETag"]
    public = anonymous.get(path).get_json()
    assert public["roadmap"][0]["status"] == "delivered"
    assert public["maturity_level"] == 1
    assert "eps" not in {c["code"] for c in public["capabilities"]}

    # The authority grants EPS: the entry is accredited and the system is at Level 2.
    events = audit_count(db)
    response = authority.post(f"{path}/capabilities", json={"code": "eps"}, etag=etag)
    assert response.status_code == 200, response.get_json()
    assert audit_count(db) == events + 1
    public = anonymous.get(path).get_json()
    assert public["maturity_level"] == 2
    assert public["roadmap"][0]["accredited_on"] == date.today().isoformat()
    assert public["planned_levels"] == []  # Level 3 (GP2GP) is not planned

    # An accredited entry is a record: the supplier cannot move it any more.
    response = supplier.patch(
        f"{path}/roadmap/{entry['id']}",
        json={"status": "planned"},
        etag=response.headers["ETag"],
    )
    assert response.status_code == 409, response.get_json()


def test_a_draft_roadmap_changes_at_once_and_bad_entries_are_refused(supplier, authority):
    system, etag = create_system(supplier, name="Surgery Draft")
    path = f"{SYSTEMS}/{system['id']}"
    response = authority.post(f"{path}/capabilities", json={"code": "pds"}, etag=etag)
    etag = response.headers["ETag"]

    response = supplier.post(
        f"{path}/roadmap",
        json={"capability": "gp2gp", "target_date": "2028-01-31", "status": "in_accreditation"},
        etag=etag,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "in_accreditation" and created["capability"]["code"] == "gp2gp"
    etag = response.headers["ETag"]

    refusals = {
        "unknown": ({"capability": "telepathy", "target_date": "2028-01-31"}, "capability"),
        "held": ({"capability": "pds", "target_date": "2028-01-31"}, "capability"),
        "twice": ({"capability": "gp2gp", "target_date": "2029-01-31"}, "capability"),
        "no date": ({"capability": "eps"}, "target_date"),
        "bad status": (
            {"capability": "eps", "target_date": "2028-01-31", "status": "rumoured"},
            "status",
        ),
    }
    for name, (body, field) in refusals.items():
        response = supplier.post(f"{path}/roadmap", json=body, etag=etag)
        assert response.status_code == 422, name
        assert field in response.get_json()["errors"], (name, response.get_json())

    response = supplier.delete(f"{path}/roadmap/{created['id']}", etag=etag)
    assert response.status_code == 204
    assert supplier.get(path).get_json()["roadmap"] == []


def test_only_the_owner_writes_a_roadmap(supplier, other_supplier, authority, anonymous):
    path, etag = _level_1_system(supplier, authority)
    body = {"capability": "eps", "target_date": "2027-06-30"}
    assert anonymous.post(f"{path}/roadmap", json=body, etag=etag).status_code == 401
    assert authority.post(f"{path}/roadmap", json=body, etag=etag).status_code == 403
    assert other_supplier.post(f"{path}/roadmap", json=body, etag=etag).status_code == 403
    assert supplier.post(f"{path}/roadmap", json=body).status_code == 428


def test_search_finds_systems_planned_to_reach_level_2_by_a_date(
    supplier, authority, anonymous, indexed_search
):
    path, etag = _level_1_system(supplier, authority)
    body = {"capability": "eps", "target_date": "2027-06-30"}
    response = supplier.post(f"{path}/roadmap", json=body, etag=etag)
    authority.post(f"{path}/revision/approve", etag=response.headers["ETag"])

    def found(query: str) -> list[str]:
        response = anonymous.get(f"/api/v1/search?{query}")
        assert response.status_code == 200, response.get_json()
        return [hit["name"] for hit in response.get_json()["items"]]

    assert found("planned_level=2&planned_by=2027-12-31") == ["Surgery Classic"]
    assert found("planned_level=2&planned_by=2027-06-01") == []
    [hit] = anonymous.get("/api/v1/search?planned_level=2").get_json()["items"]
    assert hit["planned_levels"] == [{"level": 2, "by": "2027-06-30"}]
    response = anonymous.get("/api/v1/search?planned_by=2027-12-31")
    assert response.status_code == 422
    assert "planned_level" in response.get_json()["errors"]
