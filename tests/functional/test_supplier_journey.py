"""The issue's "done when", end to end on a database whose commits are real: a supplier starting
from a token made by the CLI creates a system with prices and submits it; the authority
publishes it; the supplier changes a price through a pending revision that goes live on
approval; the audit trail shows every step with the right actors and verifies intact."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api import create_app
from api.cli import main
from catalogue.db import make_session_factory
from tests.databases import fresh_database
from tests.factories import supplier_id, system_body

pytestmark = pytest.mark.committed
API = "/api/v1"


@pytest.fixture
def database(tmp_path, monkeypatch):
    with fresh_database(tmp_path) as engine:
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("GPSOC_DATA_DIR", str(tmp_path / "data"))
        # Its app keeps a search index in step: an embedded one of its own, not a shared cluster's.
        monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
        yield engine


def _cli_token(*args: str) -> str:
    result = CliRunner().invoke(main, ["create-token", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_a_supplier_lists_publishes_and_revises_a_price(database, tmp_path):
    with make_session_factory(database)() as session:
        emis = supplier_id(session, "emis")
    supplier_token = _cli_token("--role", "supplier", "--supplier", str(emis), "--name", "EMIS")
    authority_token = _cli_token("--role", "authority", "--name", "Framework authority")
    app = create_app({"DATABASE_ENGINE": database, "GPSOC_DATA_DIR": str(tmp_path / "data")})
    client = app.test_client()
    as_supplier = {"Authorization": f"Bearer {supplier_token}"}
    as_authority = {"Authorization": f"Bearer {authority_token}"}

    def call(method, path, headers, etag=None, json=None, expect=200):
        sent = {**headers, **({"If-Match": etag} if etag else {})}
        response = client.open(API + path, method=method, headers=sent, json=json)
        assert response.status_code == expect, response.get_json()
        return response

    created = call("POST", "/systems", as_supplier, json=system_body(), expect=201)
    system = created.get_json()
    path = f"/systems/{system['id']}"
    price_id = system["prices"][0]["id"]
    submitted = call("POST", f"{path}/submit", as_supplier, created.headers["ETag"])
    published = call("POST", f"{path}/publish", as_authority, submitted.headers["ETag"])
    assert client.get(API + path).get_json()["status"] == "published"

    proposed = call(
        "PATCH",
        f"{path}/prices/{price_id}",
        as_supplier,
        published.headers["ETag"],
        json={"amount": "3250.00"},
        expect=202,
    )
    assert client.get(API + path).get_json()["prices"][0]["amount"] == "3000.00"
    revision = call("GET", f"{path}/revision", as_authority)
    assert revision.headers["ETag"] == proposed.headers["ETag"]
    call("POST", f"{path}/revision/approve", as_authority, revision.headers["ETag"])
    assert client.get(API + path).get_json()["prices"][0]["amount"] == "3250.00"

    trail = call(
        "GET",
        f"/audit-events?object_type=catalogue_item&object_id={system['id']}",
        as_supplier,
    ).get_json()["items"]
    steps = [(event["action"], event["actor_role"]) for event in reversed(trail)]
    assert steps == [
        ("item.create", "supplier"),
        ("item.submit", "supplier"),
        ("item.publish", "authority"),
        ("item.revision.propose", "supplier"),
        ("item.revision.approve", "authority"),
    ]
    assert {event["actor_name"] for event in trail} == {"EMIS", "Framework authority"}
    approval = trail[0]
    assert approval["before"]["prices"][0]["tiers"][0]["amount"] == "3000.00"
    assert approval["after"]["prices"][0]["tiers"][0]["amount"] == "3250.00"
    report = call("GET", "/audit-events/verify", as_authority).get_json()
    assert report["intact"] is True and report["events_checked"] >= 7
