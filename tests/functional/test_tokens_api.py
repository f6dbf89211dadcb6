"""/api/v1/tokens and bearer authentication over HTTP: the authority issues (shown once),
lists (never the secret) and revokes; 401 with a challenge, 403 for the wrong role, 429 after
repeated failures from one client."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from api import create_app
from api.auth import EXTENSION as AUTH
from api.auth import AuthState
from catalogue.accounts import FailureLimit, is_throttled, issue_token, record_failure
from catalogue.db import make_session_factory
from catalogue.models import ApiToken, utcnow
from catalogue.principal import CONSOLE, Role
from service.database import EXTENSION as DATABASE
from tests.databases import fresh_database
from tests.factories import supplier_id
from tests.functional.actors import (  # noqa: F401 (fixtures)
    Caller,
    authority_caller,
    commissioner_caller,
    supplier_caller,
)

TOKENS = "/api/v1/tokens"


def _stranger(client) -> dict:
    """A client address of its own, so that failures here throttle nobody else."""
    return {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}


def test_the_authority_issues_a_token_that_works_at_once(authority, client, db):
    emis = supplier_id(db, "emis")
    response = authority.post(
        TOKENS, json={"role": "supplier", "name": "EMIS feed", "supplier_id": emis}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["role"] == "supplier" and body["supplier_id"] == emis
    assert body["token"].startswith("gpsoc_")
    assert body["created_by"].startswith("authority:token:")

    issued = Caller(client, body["token"], "issued")
    assert issued.get("/api/v1/audit-events").status_code == 200


def test_the_list_never_shows_a_secret(authority):
    secret = authority.post(TOKENS, json={"role": "authority", "name": "ops"}).get_json()["token"]
    response = authority.get(f"{TOKENS}?page_size=100")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    # gpsoc_<lookup>_<secret>: the lookup is hex, the secret may itself hold underscores.
    assert secret not in text and secret.split("_", 2)[2] not in text
    rows = response.get_json()["items"]
    assert all("token" not in row and "secret_hash" not in row for row in rows)
    assert "ops" in {row["name"] for row in rows}


def test_a_revoked_token_is_refused_at_once(authority, client):
    body = authority.post(TOKENS, json={"role": "authority", "name": "temp"}).get_json()
    temp = Caller(client, body["token"], "temp")
    assert temp.get(TOKENS).status_code == 200

    assert authority.delete(f"{TOKENS}/{body['id']}").status_code == 204
    response = client.get(TOKENS, headers=temp.headers, environ_base=_stranger(client))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert authority.delete(f"{TOKENS}/{body['id']}").status_code == 204  # harmless twice
    assert authority.delete(f"{TOKENS}/987654").status_code == 404


def test_an_expired_token_is_refused(authority, client, db):
    body = authority.post(TOKENS, json={"role": "authority", "name": "short"}).get_json()
    db.get(ApiToken, body["id"]).expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    headers = {"Authorization": f"Bearer {body['token']}"}
    response = client.get(TOKENS, headers=headers, environ_base=_stranger(client))
    assert response.status_code == 401


def test_no_credentials_is_401_with_a_challenge(client):
    for method, path in (("GET", TOKENS), ("POST", TOKENS), ("GET", "/api/v1/audit-events")):
        response = client.open(path, method=method, json={})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="gpsoc"'
        assert response.get_json()["code"] == 401


def test_bad_credentials_are_401_and_never_echoed(client):
    for scheme, credentials in (("Bearer", "gpsoc_abc_def"), ("Basic", "dXNlcjpwYXNz")):
        headers = {"Authorization": f"{scheme} {credentials}"}
        response = client.get(TOKENS, headers=headers, environ_base=_stranger(client))
        assert response.status_code == 401
        assert credentials not in response.get_data(as_text=True)
    response = client.get(
        TOKENS, headers={"Authorization": "Bearer "}, environ_base=_stranger(client)
    )
    assert response.status_code == 401


def test_a_valid_token_without_the_right_role_is_403(supplier, commissioner):
    for caller in (supplier, commissioner):
        assert caller.get(TOKENS).status_code == 403
        response = caller.post(TOKENS, json={"role": "authority", "name": "escalate"})
        assert response.status_code == 403
        assert response.get_json()["code"] == 403


def test_bad_input_is_422_per_field_and_stores_nothing(authority, db):
    before = db.scalars(select(ApiToken.id)).all()
    cases = [
        {"role": "emperor", "name": "x"},
        {"role": "supplier", "name": "x"},
        {"role": "commissioner", "name": "x", "organisation_id": 1, "extra": True},
        {"role": "authority", "name": ""},
        {"role": "authority", "name": "x", "expires_in_days": 0},
    ]
    for body in cases:
        response = authority.post(TOKENS, json=body)
        assert response.status_code == 422, body
        assert response.get_json()["errors"], body
    assert db.scalars(select(ApiToken.id)).all() == before


def test_repeated_failures_from_one_client_are_throttled(committed_app):
    committed_app.extensions[AUTH] = AuthState("memory://", "3/minute")
    client = committed_app.test_client()
    bad = {"Authorization": "Bearer gpsoc_nothere_wrong"}
    here, elsewhere = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
    statuses = [client.get(TOKENS, headers=bad, environ_base=here).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    throttled = client.get(TOKENS, headers=bad, environ_base=here)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]
    assert client.get(TOKENS, headers=bad, environ_base=elsewhere).status_code == 401
    assert client.get("/api/v1/frameworks", environ_base=here).status_code == 200  # anonymous
    # While throttled, no token is checked at all, a valid one neither (issue 10: verifying
    # on would let a guesser keep the service hashing); elsewhere it works.
    engine = committed_app.extensions[DATABASE].engine
    with make_session_factory(engine).begin() as session:
        valid = issue_token(session, CONSOLE, Role.AUTHORITY, "throttled neighbour").secret
    good = {"Authorization": f"Bearer {valid}"}
    assert client.get(TOKENS, headers=good, environ_base=here).status_code == 429
    assert client.get(TOKENS, headers=good, environ_base=elsewhere).status_code == 200
    assert client.get(TOKENS, headers=bad, environ_base=here).status_code == 429


def test_failures_are_counted_across_workers_in_the_database_by_default(tmp_path):
    """Two apps on one database stand for two gunicorn workers: no memory in common, one
    count. With the documented 10 a minute, the 11th bad token is a 429 whichever worker
    answers, and a valid token from that address is not checked until the window passes."""
    with fresh_database(tmp_path) as engine:
        workers = [
            create_app(
                {"TESTING": True, "DATABASE_ENGINE": engine, "GPSOC_DATA_DIR": str(tmp_path)}
            )
            for _ in range(2)
        ]
        assert all(worker.extensions[AUTH].limiter is None for worker in workers)  # database
        clients = [worker.test_client() for worker in workers]
        bad = {"Authorization": "Bearer gpsoc_nothere_wrong"}
        here = {"REMOTE_ADDR": "10.9.9.9"}
        statuses = [
            clients[attempt % 2].get(TOKENS, headers=bad, environ_base=here).status_code
            for attempt in range(12)
        ]
        assert statuses == [401] * 10 + [429, 429]
        with make_session_factory(engine).begin() as session:
            valid = issue_token(session, CONSOLE, Role.AUTHORITY, "behind the guesser").secret
        good = {"Authorization": f"Bearer {valid}"}
        for client in clients:
            assert client.get(TOKENS, headers=good, environ_base=here).status_code == 429
            assert (
                client.get(TOKENS, headers=good, environ_base={"REMOTE_ADDR": "10.9.9.10"})
            ).status_code == 200


def test_the_database_count_slides_with_time(db):
    limit = FailureLimit(failures=3, period=60)
    start = 6_000_030.0  # half way through a window
    for _ in range(3):
        assert record_failure(db, "10.1.1.1", limit, now=start)
    assert is_throttled(db, "10.1.1.1", limit, now=start)
    assert not is_throttled(db, "10.1.1.2", limit, now=start)
    # Half a window later, half the previous window's failures still count: 1.5 < 3.
    assert not is_throttled(db, "10.1.1.1", limit, now=start + 60)
    assert not is_throttled(db, "10.1.1.1", limit, now=start + 121)
