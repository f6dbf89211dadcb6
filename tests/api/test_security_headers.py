"""Security headers outside the web pages: nosniff on every response (JSON included), a
Content-Security-Policy on the interactive documentation, HSTS only when configured."""

from __future__ import annotations

import base64
import hashlib
import re

from api import create_app


def test_json_says_nosniff(client):
    for path in ("/api/v1/frameworks", "/api/v1/systems/999999", "/openapi.json", "/healthz"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


def test_the_docs_page_has_a_policy_that_allows_its_own_scripts_only(client):
    response = client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    scripts = re.search(r"script-src ([^;]+);", policy).group(1).split()
    assert "'unsafe-inline'" not in scripts
    inline = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.DOTALL)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in asset.headers


def test_hsts_is_off_by_default_and_sent_when_configured(client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    monkeypatch.setenv("GPSOC_HSTS_SECONDS", "31536000")
    configured = create_app({"DATABASE_URL": "sqlite://"}).test_client()
    for path in ("/healthz", "/docs", "/sign-in"):
        header = configured.get(path).headers["Strict-Transport-Security"]
        assert header == "max-age=31536000; includeSubDomains", path
