"""GET /api/v1/compare: items side by side, with the whole-life cost for a practice."""

from __future__ import annotations

from sqlalchemy import event

from catalogue.models import CatalogueItem, ItemStatus
from tests.factories import item_id


def test_compare_systems_side_by_side_with_whole_life_cost(client, db):
    emis, tpp = item_id(db, "emis-web"), item_id(db, "systmone")
    response = client.get(f"/api/v1/compare?ids={emis},{tpp}&practice=A81001&term_months=36")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["practice"]["ods_code"] == "A81001"
    assert body["practice"]["list_size"] == 8432
    emis_web, systmone = body["items"]
    assert (emis_web["name"], emis_web["supplier"]["slug"]) == ("EMIS Web", "emis")
    assert (emis_web["lot"]["number"], emis_web["maturity_level"]) == (1, 3)
    assert emis_web["hosting"] == "hosted"
    # Hansard 2009 figures over three years: 3 x (3427.72 + 204 + 665.08)
    cost = emis_web["whole_life_cost"]
    assert (cost["total"], cost["central"], cost["commissioner"], cost["practice"]) == (
        "12890.40",
        "10895.16",
        "1995.24",
        "0.00",
    )
    assert cost["local"] == "1995.24"  # deprecated: commissioner + practice
    assert systmone["whole_life_cost"]["total"] == "15312.00"  # 3 x (4250 + 204 + 650)
    # The capability matrix covers every capability either holds.
    codes = [capability["code"] for capability in body["capabilities"]]
    assert "cross-care-record-sharing" in codes
    assert systmone["capability_matrix"]["cross-care-record-sharing"] is True
    assert emis_web["capability_matrix"]["cross-care-record-sharing"] is False
    assert set(emis_web["capability_matrix"]) == set(codes)
    assert {s["category"] for s in emis_web["migration_services"]} <= {
        "migration",
        "deployment",
        "data_extract",
    }
    assert any(s["category"] == "migration" for s in systmone["migration_services"])
    assert any(s["category"] == "audit_trail_retrieval" for s in systmone["audit_trail_services"])


def test_without_a_practice_there_is_no_cost(client, db):
    response = client.get(f"/api/v1/compare?ids={item_id(db, 'vision-3')}")
    assert response.status_code == 200
    assert response.get_json()["practice"] is None
    assert response.get_json()["items"][0]["whole_life_cost"] is None


def test_unpublished_items_are_not_compared(client, db):
    item = db.get(CatalogueItem, item_id(db, "synergy"))
    item.status = ItemStatus.SUSPENDED
    db.flush()
    response = client.get(f"/api/v1/compare?ids={item_id(db, 'emis-web')},{item.id}")
    assert response.status_code == 404
    assert response.get_json()["message"]


def test_bad_compare_requests_are_refused_clearly(client, db):
    assert client.get("/api/v1/compare?ids=abc").status_code == 422
    assert client.get("/api/v1/compare").status_code == 422
    eleven = ",".join(str(n) for n in range(1, 12))
    assert client.get(f"/api/v1/compare?ids={eleven}").status_code == 422
    unknown_practice = client.get(f"/api/v1/compare?ids={item_id(db, 'emis-web')}&practice=ZZZ999")
    assert unknown_practice.status_code == 404
    assert client.get("/api/v1/compare?ids=1&term_months=0").status_code == 422


def test_the_query_count_does_not_depend_on_how_many_items_are_compared(client, db, engine):
    slugs = ("emis-web", "systmone", "vision-3", "synergy", "evolution")
    ids = [item_id(db, slug) for slug in slugs]
    statements: list[str] = []

    def count(*_args):
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for compared in (ids[:1], ids[:2], ids):
            statements.clear()
            url = f"/api/v1/compare?ids={','.join(map(str, compared))}&practice=A81001"
            assert client.get(url).status_code == 200
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] == counts[2], counts
