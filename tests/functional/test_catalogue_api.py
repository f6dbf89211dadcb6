"""The public read API, end to end over HTTP against the seeded catalogue."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from catalogue.maturity import derive_level, load_requirements
from catalogue.models import CatalogueItem, ItemKind, ItemStatus, Lot
from catalogue.principal import Role
from tests.factories import token

ERROR_KEYS = {"code", "status", "message"}


def _system_id(client, name: str) -> int:
    items = client.get("/api/v1/systems", query_string={"page_size": 100}).get_json()["items"]
    return next(item["id"] for item in items if item["name"] == name)


def test_lot_1_level_2_lists_exactly_the_systems_whose_capabilities_reach_level_2(client, db):
    body = client.get("/api/v1/systems?lot=1&maturity_level=2&page_size=100").get_json()

    requirements = load_requirements(db)
    expected = {
        item.name
        for item in db.scalars(
            select(CatalogueItem)
            .join(Lot)
            .where(
                Lot.number == 1,
                CatalogueItem.kind.in_([ItemKind.SYSTEM, ItemKind.MODULE]),
                CatalogueItem.status == ItemStatus.PUBLISHED,
            )
        )
        if derive_level(item.capability_codes, requirements) >= 2
    }
    assert {item["name"] for item in body["items"]} == expected
    assert body["total"] == len(expected)
    assert {"EMIS Web", "SystmOne", "Vision 3", "Synergy", "Evolution"} <= expected
    for item in body["items"]:
        assert item["lot"]["number"] == 1
        assert item["maturity_level"] >= 2


def test_items_show_level_lot_supplier_and_prices_as_decimal_strings(client):
    emis_web = client.get(f"/api/v1/systems/{_system_id(client, 'EMIS Web')}").get_json()
    assert emis_web["supplier"]["name"].startswith("EMIS")
    assert emis_web["maturity_level"] == 3
    assert emis_web["lot"]["number"] == 1
    licence = [p for p in emis_web["prices"] if p["amount"] == "3427.72"]
    assert licence, emis_web["prices"]
    assert licence[0]["currency"] == "GBP"
    assert Decimal(licence[0]["tiers"][0]["amount"]) == Decimal("3427.72")


def test_isoft_and_microtest_systems_are_level_2_not_3(client):
    for name in ("Synergy", "Premiere", "Evolution", "Practice Manager II"):
        item = client.get(f"/api/v1/systems/{_system_id(client, name)}").get_json()
        assert item["maturity_level"] == 2, name


def test_capability_filter_requires_every_capability_given(client):
    both = client.get("/api/v1/systems?capability=eps&capability=gp2gp&page_size=100").get_json()
    eps = client.get("/api/v1/systems?capability=eps&page_size=100").get_json()
    assert 0 < both["total"] < eps["total"]
    for item in both["items"]:
        codes = {capability["code"] for capability in item["capabilities"]}
        assert {"eps", "gp2gp"} <= codes


def test_filters_by_supplier_kind_hosting_and_framework(client):
    tpp = next(
        s
        for s in client.get("/api/v1/suppliers?page_size=100").get_json()["items"]
        if s["slug"] == "tpp"
    )
    items = client.get(f"/api/v1/systems?supplier={tpp['id']}&page_size=100").get_json()["items"]
    assert items and all(item["supplier"]["id"] == tpp["id"] for item in items)

    modules = client.get("/api/v1/systems?kind=module&page_size=100").get_json()["items"]
    assert modules and all(item["kind"] == "module" for item in modules)

    hosted = client.get("/api/v1/systems?hosting=hosted&page_size=100").get_json()["items"]
    assert hosted and all(item["hosting"] == "hosted" for item in hosted)

    none = client.get("/api/v1/systems?framework=no-such-framework").get_json()
    assert none["total"] == 0 and none["items"] == []


def test_pagination_reports_the_total_and_caps_the_page_size(client):
    first = client.get("/api/v1/services?page=1&page_size=5").get_json()
    second = client.get("/api/v1/services?page=2&page_size=5").get_json()
    assert first["total"] == second["total"] > 5
    assert len(first["items"]) == 5
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}

    too_big = client.get("/api/v1/services?page_size=1000")
    assert too_big.status_code == 422
    assert "page_size" in too_big.get_json()["errors"]


def test_services_of_a_system_include_migration_and_audit_trail_services(client):
    systmone = _system_id(client, "SystmOne")
    page = client.get(f"/api/v1/systems/{systmone}/services?page_size=100").get_json()
    services = page["items"]
    assert page["total"] == len(services)
    categories = {service["category"] for service in services}
    assert {"migration", "audit_trail_retrieval"} & categories
    assert all(service["kind"] == "service" for service in services)


def test_unpublished_items_are_invisible_to_anonymous_callers(client, db):
    item = db.scalars(select(CatalogueItem).where(CatalogueItem.slug == "emis-pcs")).one()
    item.status = ItemStatus.SUSPENDED
    db.flush()
    assert client.get(f"/api/v1/systems/{item.id}").status_code == 404
    names = {i["name"] for i in client.get("/api/v1/systems?page_size=100").get_json()["items"]}
    assert "EMIS PCS" not in names


def test_single_objects_send_an_etag_and_honour_if_none_match(client):
    url = f"/api/v1/systems/{_system_id(client, 'Vision 3')}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_frameworks_lots_and_reference_data(client):
    frameworks = {f["slug"]: f for f in client.get("/api/v1/frameworks").get_json()["items"]}
    assert {"gpsoc", "gpsoc-r"} <= set(frameworks)
    assert frameworks["gpsoc"]["end_date"] == "2014-03-31"
    lots = client.get("/api/v1/frameworks/gpsoc-r/lots").get_json()["items"]
    assert [lot["number"] for lot in lots] == [1, 2, 3]
    lot_2 = client.get("/api/v1/frameworks/gpsoc-r/lots/2").get_json()
    assert lot_2["default_funding"] == "commissioner"
    assert client.get("/api/v1/frameworks/gpsoc-r/lots/9").status_code == 404

    levels = client.get("/api/v1/maturity-levels").get_json()["items"]
    assert [level["level"] for level in levels] == [1, 2, 3]
    level_2 = {c["code"] for c in levels[1]["required_capabilities"]}
    assert "eps" in level_2
    page = client.get("/api/v1/capabilities?page_size=100").get_json()
    codes = {c["code"] for c in page["items"]}
    assert {"eps", "gp2gp", "choose-and-book", "pds"} <= codes


def test_organisations_show_practices_with_list_size_and_commissioner(client):
    page = client.get("/api/v1/organisations?kind=practice&page_size=100").get_json()
    practice = next(p for p in page["items"] if p["ods_code"] == "A81001")
    assert practice["list_size"] == 8432
    assert practice["commissioner"]["ods_code"]
    assert practice["current_system"]["name"] == "EMIS LV"
    one = client.get(f"/api/v1/organisations/{practice['id']}")
    assert one.status_code == 200 and one.headers["ETag"]
    by_code = client.get("/api/v1/organisations?ods_code=a81001").get_json()
    assert [o["id"] for o in by_code["items"]] == [practice["id"]]


def test_errors_share_one_shape(client):
    cases = [
        (client.get("/api/v1/systems/999999"), 404),
        (client.get("/api/v1/nowhere"), 404),
        (client.delete("/api/v1/frameworks"), 405),
        (client.get("/api/v1/systems?lot=first"), 422),
        (client.get("/api/v1/systems?maturity_level=-1"), 422),
        (client.get("/api/v1/systems/99999999999999999999"), 404),
        (client.get("/api/v1/frameworks/gpsoc-r/lots/x"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) >= ERROR_KEYS, body
        assert body["code"] == status
        assert "Traceback" not in response.get_data(as_text=True)


def test_malformed_json_is_a_400_in_the_error_shape(client, db):
    secret = token(db, Role.AUTHORITY, "json")
    response = client.post(
        "/api/v1/tokens",
        data="{not json",
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert set(response.get_json()) >= ERROR_KEYS


def test_health_readiness_metrics_and_docs(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"] == "ok"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "gpsoc_http_requests_total" in metrics
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/healthz").headers["X-Request-ID"]


def test_every_page_walk_gives_the_same_name_order_shallow_or_deep(client):
    """Front pages of many matches and deep pages are read by different plans; both must give
    one consistent order with nothing repeated or skipped."""
    everything = client.get("/api/v1/services?page_size=100").get_json()
    expected = [(item["name"], item["id"]) for item in everything["items"]]
    assert expected == sorted(expected)

    walked = []
    for page in range(1, everything["total"] + 1):
        body = client.get(f"/api/v1/services?page_size=1&page={page}").get_json()
        assert body["total"] == everything["total"]
        walked += [(item["name"], item["id"]) for item in body["items"]]
    assert walked == expected
    beyond = client.get(f"/api/v1/services?page_size=1&page={everything['total'] + 1}")
    assert beyond.get_json()["items"] == []


def test_out_of_range_numbers_are_4xx_not_500(client, db):
    from catalogue.audit import encode_cursor

    headers = {"Authorization": f"Bearer {token(db, Role.AUTHORITY, 'range')}"}
    cases = [
        client.get("/api/v1/search?supplier=99999999999999999999999"),
        client.get(f"/api/v1/audit-events?cursor={encode_cursor(10**30)}", headers=headers),
        client.get("/api/v1/audit-events?cursor=bm9wZQ", headers=headers),
    ]
    for response in cases:
        assert response.status_code == 422, response.get_data(as_text=True)
        assert set(response.get_json()) >= ERROR_KEYS
