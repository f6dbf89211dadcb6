"""Suppliers writing their own listings over HTTP: drafts, prices, the lifecycle, pending
revisions of published items, accreditation by the authority, visibility, If-Match, and bad
input refused with per-field reasons and nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from catalogue.models import CatalogueItem, ItemRevision, Price
from tests.factories import audit_count, item_id, price_body, system_body, tiers
from tests.functional.actors import (  # noqa: F401 (fixtures)
    anonymous_caller,
    authority_caller,
    commissioner_caller,
    create_system,
    other_supplier_caller,
    publish,
    supplier_caller,
)

SYSTEMS = "/api/v1/systems"


def _item_state(db, item: int) -> tuple:
    db.expire_all()
    row = db.get(CatalogueItem, item)
    prices = db.scalars(select(Price).where(Price.item_id == item).order_by(Price.id)).all()
    return (
        row.name,
        row.status,
        row.version,
        [(p.name, [(t.lower_bound, t.upper_bound, t.amount) for t in p.tiers]) for p in prices],
    )


# --------------------------------------------------------------------------- visibility


def test_a_draft_is_seen_by_its_supplier_and_the_authority_only(
    supplier, other_supplier, commissioner, anonymous, authority
):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    assert system["status"] == "draft" and system["version"] == 1
    assert system["supplier"]["id"] == supplier.supplier_id

    for caller in (anonymous, other_supplier, commissioner):
        assert caller.get(path).status_code == 404
        assert caller.get(f"{path}/prices").status_code == 404
        listed = caller.get(f"{SYSTEMS}?page_size=100").get_json()["items"]
        assert system["id"] not in {item["id"] for item in listed}
    for caller in (supplier, authority):
        response = caller.get(path)
        assert response.status_code == 200
        assert response.headers["ETag"] == etag
    mine = supplier.get(f"{SYSTEMS}?status=draft&supplier={supplier.supplier_id}").get_json()
    assert [item["id"] for item in mine["items"]] == [system["id"]]
    queue = authority.get(f"{SYSTEMS}?status=draft").get_json()
    assert system["id"] in {item["id"] for item in queue["items"]}


def test_the_list_query_count_does_not_depend_on_the_viewer_or_page_size(
    supplier, anonymous, authority, engine
):
    create_system(supplier)
    statements: list[str] = []

    def count(*_args):
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for caller, size in ((anonymous, 2), (supplier, 2), (supplier, 50), (authority, 50)):
            statements.clear()
            assert caller.get(f"{SYSTEMS}?page_size={size}").status_code == 200
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The supplier's and authority's requests also authenticate their token (one query).
    assert counts[1] == counts[2] == counts[3] == counts[0] + 1


# --------------------------------------------------------------------------- lifecycle


def test_draft_to_published_then_suspended_reinstated_and_withdrawn(supplier, authority, anonymous):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    etag = publish(supplier, authority, path, etag)
    published = anonymous.get(path).get_json()
    assert published["status"] == "published" and published["published_at"]

    response = authority.post(f"{path}/suspend", json={"reason": "Clinical safety"}, etag=etag)
    assert response.get_json()["status"] == "suspended"
    assert anonymous.get(path).status_code == 404
    response = authority.post(f"{path}/reinstate", etag=response.headers["ETag"])
    assert response.get_json()["status"] == "published"
    response = authority.post(f"{path}/withdraw", json={}, etag=response.headers["ETag"])
    assert response.get_json()["status"] == "withdrawn"

    again = authority.post(f"{path}/reinstate", etag=response.headers["ETag"])
    assert again.status_code == 409
    assert again.get_json()["errors"] == {"allowed_transitions": []}
    assert "final" in again.get_json()["message"]


def test_an_illegal_transition_is_409_naming_the_allowed_ones(supplier, authority):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    response = authority.post(f"{path}/publish", etag=etag)
    assert response.status_code == 409
    assert response.get_json()["errors"] == {"allowed_transitions": ["submit"]}
    assert "submit" in response.get_json()["message"]
    assert authority.get(path).get_json()["status"] == "draft"


def test_a_rejected_submission_goes_back_to_draft_with_its_reason(supplier, authority, db):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    etag = supplier.post(f"{path}/submit", etag=etag).headers["ETag"]
    edit = supplier.patch(path, json={"name": "While submitted"}, etag=etag)
    assert edit.status_code == 409  # with the authority: no edits meanwhile

    assert authority.post(f"{path}/reject", json={}, etag=etag).status_code == 422
    response = authority.post(f"{path}/reject", json={"reason": "Prices missing VAT"}, etag=etag)
    assert response.status_code == 200
    assert response.get_json()["status"] == "draft"
    assert db.get(CatalogueItem, system["id"]).rejection_reason == "Prices missing VAT"
    assert supplier.get(path).get_json()["rejection_reason"] == "Prices missing VAT"
    events = supplier.get(
        f"/api/v1/audit-events?object_type=catalogue_item&object_id={system['id']}"
    ).get_json()["items"]
    assert events[0]["action"] == "item.reject"
    assert events[0]["after"]["reason"] == "Prices missing VAT"

    fixed = supplier.patch(path, json={"name": "Fixed"}, etag=response.headers["ETag"])
    assert fixed.status_code == 200 and fixed.get_json()["name"] == "Fixed"
    resubmitted = supplier.post(f"{path}/submit", etag=fixed.headers["ETag"])
    assert resubmitted.get_json()["status"] == "submitted"


def test_an_item_without_prices_cannot_be_submitted(supplier):
    system, etag = create_system(supplier, prices=[])
    response = supplier.post(f"{SYSTEMS}/{system['id']}/submit", etag=etag)
    assert response.status_code == 409
    assert "prices" in response.get_json()["errors"]


# --------------------------------------------------------------------------- revisions


def test_a_pending_revision_is_invisible_to_the_public_until_approved(
    supplier, authority, anonymous, other_supplier, db
):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    etag = publish(supplier, authority, path, etag)
    price_id = system["prices"][0]["id"]

    response = supplier.patch(f"{path}/prices/{price_id}", json={"amount": "3100.00"}, etag=etag)
    assert response.status_code == 202
    assert response.get_json()["status"] == "pending"
    response = supplier.patch(
        path, json={"summary": "Now with more."}, etag=response.headers["ETag"]
    )
    assert response.status_code == 202

    public = anonymous.get(path).get_json()
    assert public["prices"][0]["amount"] == "3000.00"
    assert public["summary"] == "A system made by a test."
    listed = anonymous.get(f"{SYSTEMS}?page_size=100").get_json()["items"]
    assert next(i for i in listed if i["id"] == system["id"])["prices"][0]["amount"] == "3000.00"
    assert other_supplier.get(f"{path}/revision").status_code == 404
    assert anonymous.get(f"{path}/revision").status_code == 401

    revision = authority.get(f"{path}/revision")
    assert revision.status_code == 200
    diff = revision.get_json()["diff"]
    assert diff["fields"] == {
        "summary": {"from": "A system made by a test.", "to": "Now with more."}
    }
    (changed,) = diff["prices"]["changed"]
    assert changed["id"] == price_id
    assert changed["changes"]["tiers"]["to"][0]["amount"] == "3100.00"
    assert supplier.get(f"{path}/revision").get_json() == revision.get_json()

    approved = authority.post(f"{path}/revision/approve", etag=revision.headers["ETag"])
    assert approved.status_code == 200
    public = anonymous.get(path).get_json()
    assert public["prices"][0]["amount"] == "3100.00"
    assert public["summary"] == "Now with more."
    assert supplier.get(f"{path}/revision").status_code == 404
    statuses = db.scalars(select(ItemRevision.status).where(ItemRevision.item_id == system["id"]))
    assert [s.value for s in statuses] == ["approved"]


def test_revisions_add_and_remove_prices_and_can_be_rejected_or_discarded(
    supplier, authority, anonymous
):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    etag = publish(supplier, authority, path, etag)
    support = {
        "name": "Support",
        "charge_type": "support_service",
        "unit": "practice",
        "period": "year",
        "effective_from": "2015-04-01",
        "tiers": [
            {"lower_bound": 1, "upper_bound": 10, "amount": "600.00"},
            {"lower_bound": 11, "upper_bound": None, "amount": "550.00"},
        ],
    }
    response = supplier.post(f"{path}/prices", json=support, etag=etag)
    assert response.status_code == 202
    price_id = system["prices"][0]["id"]
    response = supplier.delete(f"{path}/prices/{price_id}", etag=response.headers["ETag"])
    assert response.status_code == 202
    diff = response.get_json()["diff"]["prices"]
    assert [p["name"] for p in diff["added"]] == ["Support"]
    assert [p["id"] for p in diff["removed"]] == [price_id]

    rejected = authority.post(
        f"{path}/revision/reject",
        json={"reason": "Keep the licence"},
        etag=response.headers["ETag"],
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["rejection_reason"] == "Keep the licence"
    assert [p["name"] for p in anonymous.get(path).get_json()["prices"]] == [
        "Annual practice licence"
    ]

    response = supplier.patch(path, json={"name": "Renamed"}, etag=rejected.headers["ETag"])
    assert response.status_code == 202
    discarded = supplier.delete(f"{path}/revision", etag=response.headers["ETag"])
    assert discarded.status_code == 204
    assert supplier.get(f"{path}/revision").status_code == 404
    assert anonymous.get(path).get_json()["name"] == "Test Clinical System"


# --------------------------------------------------------------------------- accreditation


def test_accreditation_by_the_authority_re_derives_the_maturity_level(supplier, authority):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    levels = []
    for code in ("choose-and-book", "spine-connection", "pds", "eps"):
        response = authority.post(f"{path}/capabilities", json={"code": code}, etag=etag)
        assert response.status_code == 200, response.get_json()
        etag = response.headers["ETag"]
        levels.append(response.get_json()["maturity_level"])
    assert levels == [None, None, 1, 2]

    response = authority.delete(f"{path}/capabilities/pds", etag=etag)
    assert response.status_code == 200
    assert response.get_json()["maturity_level"] is None
    assert "pds" not in {c["code"] for c in response.get_json()["capabilities"]}
    etag = response.headers["ETag"]

    unknown = authority.post(f"{path}/capabilities", json={"code": "telepathy"}, etag=etag)
    assert unknown.status_code == 422 and "code" in unknown.get_json()["errors"]
    refused = supplier.post(f"{path}/capabilities", json={"code": "gp2gp"}, etag=etag)
    assert refused.status_code == 403


# --------------------------------------------------------------------------- ownership, If-Match


def test_supplier_a_cannot_change_supplier_b_s_item(supplier, other_supplier, db):
    theirs = item_id(db, "systmone")
    path = f"{SYSTEMS}/{theirs}"
    etag = other_supplier.get(path).headers["ETag"]
    price_id = other_supplier.get(path).get_json()["prices"][0]["id"]
    before, events = _item_state(db, theirs), audit_count(db)

    attempts = [
        supplier.patch(path, json={"name": "Hijacked"}, etag=etag),
        supplier.patch(f"{path}/prices/{price_id}", json={"amount": "0.01"}, etag=etag),
        supplier.delete(f"{path}/prices/{price_id}", etag=etag),
        supplier.post(f"{path}/prices", json=price_body(), etag=etag),
        supplier.delete(f"{path}/revision", etag=etag),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert _item_state(db, theirs) == before
    assert audit_count(db) == events

    draft, draft_etag = create_system(other_supplier)
    hidden = supplier.patch(f"{SYSTEMS}/{draft['id']}", json={"name": "x"}, etag=draft_etag)
    assert hidden.status_code == 404


def test_updates_need_the_current_etag(supplier, db):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}"
    missing = supplier.patch(path, json={"name": "No etag"})
    assert missing.status_code == 428
    first = supplier.patch(path, json={"name": "First"}, etag=etag)
    assert first.status_code == 200 and first.headers["ETag"] != etag
    stale = supplier.patch(path, json={"name": "Stale"}, etag=etag)
    assert stale.status_code == 412
    assert supplier.post(f"{path}/submit", etag=etag).status_code == 412
    wildcard = supplier.patch(path, json={"name": "Any version"}, etag="*")
    assert wildcard.status_code == 428
    assert db.get(CatalogueItem, system["id"]).name == "First"


# --------------------------------------------------------------------------- bad input


BAD_SYSTEMS = {
    "wrong type": ({"lot": "one"}, "lot"),
    "unknown field": ({"colour": "blue"}, "colour"),
    "name too long": ({"name": "x" * 201}, "name"),
    "unknown lot": ({"lot": 7}, "lot"),
    "module without parent": ({"kind": "module"}, "parent_id"),
    "negative price": ({"prices": [price_body(amount="-1.00")]}, "prices"),
    "float price": ({"prices": [price_body(amount=3000.5)]}, "prices"),
    "not a decimal": ({"prices": [price_body(amount="lots")]}, "prices"),
    "currency": ({"prices": [price_body(currency="USD")]}, "prices"),
    "gapped tiers": (
        {"prices": [price_body(amount=None, tiers=tiers((1, 10), (12, None)))]},
        "prices.0.tiers",
    ),
    "overlapping tiers": (
        {"prices": [price_body(amount=None, tiers=tiers((1, 10), (5, None)))]},
        "prices.0.tiers",
    ),
    "tiers not from 1": ({"prices": [price_body(amount=None, tiers=tiers((2, None)))]}, None),
    "last tier closed": ({"prices": [price_body(amount=None, tiers=tiers((1, 10)))]}, None),
    "twice the same name": ({"prices": [price_body(), price_body()]}, "prices"),
}


@pytest.mark.parametrize("case", BAD_SYSTEMS, ids=list(BAD_SYSTEMS))
def test_bad_input_is_422_per_field_and_stores_nothing(case, supplier, db):
    overrides, field = BAD_SYSTEMS[case]
    items, events = db.scalar(select(func.count(CatalogueItem.id))), audit_count(db)
    response = supplier.post(SYSTEMS, json=system_body(**overrides))
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    if field is not None:
        assert field in str(errors), errors
    assert db.scalar(select(func.count(CatalogueItem.id))) == items
    assert audit_count(db) == events


def test_bad_price_changes_are_422_and_change_nothing(supplier, db):
    system, etag = create_system(supplier)
    path = f"{SYSTEMS}/{system['id']}/prices/{system['prices'][0]['id']}"
    before = _item_state(db, system["id"])
    for body in (
        {"amount": "-5"},
        {"amount": "1.00", "tiers": tiers((1, None))},
        {"tiers": tiers((1, 5), (5, None))},
        {"effective_to": "2001-01-01"},
        {"unit": "per-fortnight"},
        {"currency": "EUR"},
    ):
        response = supplier.patch(path, json=body, etag=etag)
        assert response.status_code == 422, (body, response.get_json())
    assert _item_state(db, system["id"]) == before


def test_a_module_belongs_to_one_of_its_supplier_s_systems(supplier, db):
    own = item_id(db, "emis-web")
    theirs = item_id(db, "systmone")
    refused = supplier.post(SYSTEMS, json=system_body(kind="module", parent_id=theirs))
    assert refused.status_code == 422 and "parent_id" in refused.get_json()["errors"]
    module, _ = create_system(supplier, kind="module", parent_id=own, name="EMIS Add-on")
    assert module["kind"] == "module" and module["parent"]["id"] == own


def test_services_are_written_the_same_way(supplier, authority, anonymous, db):
    body = {
        "name": "Test training",
        "framework": "gpsoc-r",
        "lot": 2,
        "category": "training",
        "hosting": "practice_based",
        "parent_id": item_id(db, "emis-web"),
        "prices": [price_body(name="Day rate", unit="day", period="one_off", amount="650.00")],
    }
    response = supplier.post("/api/v1/services", json=body)
    assert response.status_code == 201, response.get_json()
    service = response.get_json()
    assert service["kind"] == "service" and service["category"] == "training"
    path = f"/api/v1/services/{service['id']}"
    publish(supplier, authority, path, response.headers["ETag"])
    assert anonymous.get(path).get_json()["status"] == "published"
    assert anonymous.get(f"{SYSTEMS}/{service['id']}").status_code == 404  # not a system
    missing_category = supplier.post("/api/v1/services", json={**body, "category": None})
    assert missing_category.status_code == 422


def test_a_new_listings_slug_transliterates_its_name(supplier):
    system, _ = create_system(supplier, name="Café Ærø Système")
    assert system["slug"] == "cafe-aero-systeme"
    again, _ = create_system(supplier, name="Cafe Aero Systeme")
    assert again["slug"] == "cafe-aero-systeme-2"  # taken: numbered, as before
