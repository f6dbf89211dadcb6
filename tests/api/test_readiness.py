"""Readiness tells the truth when the database is gone, and nothing leaks a stack trace."""

from api import create_app


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "db.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{missing}", "GPSOC_DATA_DIR": str(tmp_path)})
    client = app.test_client()

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable"
    assert ready.get_json()["checks"]["database"].startswith("database unreachable")

    listing = client.get("/api/v1/systems")
    assert listing.status_code == 503
    assert listing.get_json()["code"] == 503
    assert "Traceback" not in listing.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_behind_a_trusted_proxy_the_client_address_is_the_callers(tmp_path, monkeypatch):
    from flask import request

    monkeypatch.setenv("GPSOC_TRUSTED_PROXIES", "1")
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "GPSOC_DATA_DIR": str(tmp_path)}
    )
    seen = []
    app.before_request(lambda: seen.append(request.remote_addr))
    app.test_client().get(
        "/healthz",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert seen == ["203.0.113.9"]
