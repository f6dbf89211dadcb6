"""Webhook endpoints over the API: registered by a party for itself with its secret shown
once, refused on private or loopback addresses, changed with If-Match, a delivery log, replay."""

from __future__ import annotations

import pytest

from catalogue import notifications
from catalogue.principal import Role
from service.notify import Notifier, transport_for
from tests.factories import migration_order_body, organisation_id, supplier_id, token
from tests.functional.actors import Caller
from tests.functional.orders import commissioner_caller, move, place
from tests.notifications.servers import webhook_receiver

ENDPOINTS = "/api/v1/webhook-endpoints"


@pytest.fixture
def tpp(client, db) -> Caller:
    return Caller(client, token(db, Role.SUPPLIER, supplier_id=supplier_id(db, "tpp")))


@pytest.fixture
def allow_loopback(app):
    settings = app.config["GPSOC_SETTINGS"]

    app.config["GPSOC_SETTINGS"] = settings.replace(webhooks_allow_loopback=True)
    yield
    app.config["GPSOC_SETTINGS"] = settings


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "http://hooks.example.org/plain-http",
        "https://user:pw@hooks.example.org/",
        "not a url",
    ],
)
def test_private_loopback_and_plain_urls_are_refused(tpp, url):
    response = tpp.post(ENDPOINTS, json={"url": url, "event_types": ["order.submitted"]})
    assert response.status_code == 422, response.get_json()
    assert "url" in str(response.get_json())


def test_unknown_event_types_are_refused(tpp):
    body = {"url": "https://hooks.example.org/", "event_types": ["order.eaten"]}
    assert tpp.post(ENDPOINTS, json=body).status_code == 422


def test_the_authority_has_no_endpoints(client, db):
    authority = Caller(client, token(db, Role.AUTHORITY))
    assert authority.get(ENDPOINTS).status_code == 403


def test_register_read_change_and_remove_an_endpoint(client, db, tpp):
    body = {"url": "https://hooks.example.org/gpsoc", "event_types": ["order.submitted"]}
    created = tpp.post(ENDPOINTS, json=body)
    assert created.status_code == 201
    shown = created.get_json()
    assert shown["secret"].startswith("whsec_")
    path = f"{ENDPOINTS}/{shown['id']}"
    fetched = tpp.get(path)
    assert "secret" not in fetched.get_json()
    assert tpp.get(ENDPOINTS).get_json()["total"] == 1
    # Another party cannot see it.
    emis = Caller(client, token(db, Role.SUPPLIER, supplier_id=supplier_id(db, "emis")))
    assert emis.get(path).status_code == 404
    commissioner = Caller(
        client, token(db, Role.COMMISSIONER, organisation_id=organisation_id(db, "13T"))
    )
    assert commissioner.get(ENDPOINTS).get_json()["total"] == 0

    assert tpp.patch(path, json={"enabled": False}).status_code == 428
    changed = tpp.patch(path, json={"enabled": False}, etag=fetched.headers["ETag"])
    assert changed.status_code == 200 and changed.get_json()["enabled"] is False
    assert tpp.delete(path, etag=fetched.headers["ETag"]).status_code == 412
    assert tpp.delete(path, etag=changed.headers["ETag"]).status_code == 204
    assert tpp.get(path).status_code == 404


def test_the_delivery_log_and_replay(client, db, tpp, session_factory, app, allow_loopback):
    with webhook_receiver() as receiver:
        body = {"url": receiver.url, "event_types": ["order.submitted"]}
        created = tpp.post(ENDPOINTS, json=body).get_json()
        receiver.secret = created["secret"]
        commissioner = commissioner_caller(client, db, "13T")
        order, etag = place(commissioner, migration_order_body(db))
        move(commissioner, order["call_off_id"], "submit", etag)
        settings = app.config["GPSOC_SETTINGS"]
        notifier = Notifier.from_settings(settings, session_factory)
        notifier.transport = transport_for(settings)
        notifier.run_round()
        assert receiver.wait_for(lambda got: len(got) == 1)

        log = tpp.get(f"{ENDPOINTS}/{created['id']}/deliveries").get_json()
        assert log["total"] == 1
        entry = log["items"][0]
        assert (entry["status"], entry["last_status_code"], entry["event_type"]) == (
            "sent",
            204,
            "order.submitted",
        )
        assert entry["last_latency_ms"] >= 0
        replayed = tpp.post(f"{ENDPOINTS}/{created['id']}/deliveries/{entry['id']}/replay")
        assert replayed.status_code == 202
        assert replayed.get_json()["status"] == notifications.PENDING
        assert notifier.run_round().sent == 1
        assert receiver.wait_for(lambda got: len(got) == 2)
        first, second = receiver.received
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert second.refusal == ""
        missing = tpp.post(f"{ENDPOINTS}/{created['id']}/deliveries/999999/replay")
        assert missing.status_code == 404
