"""`gpsoc serve` really serves: gunicorn with several workers, and /metrics counting them all."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest

from tests.api.servers import gpsoc_serve


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # One server for the module: starting one (migrate, seed, two workers) is most of its time.
    with gpsoc_serve(tmp_path_factory.mktemp("served")) as server:
        yield server.base


def test_serve_answers_and_metrics_cover_every_worker(served):
    for _ in range(10):
        status, body = _get(f"{served}/api/v1/systems?lot=1&maturity_level=2")
        assert status == 200
    assert json.loads(body)["total"] > 0

    _, metrics = _get(f"{served}/metrics")
    line = next(
        line
        for line in metrics.decode().splitlines()
        if line.startswith("gpsoc_http_requests_total{") and '"/api/v1/systems"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 10.0


def _raw(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-Filler-%d: 1\r\n" % n for n in range(120))
            + b"\r\n",
            431,
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n", 400),
    ],
    ids=["request line too long", "too many headers", "not http", "bad header"],
)
def test_what_gunicorn_refuses_is_answered_in_the_error_shape(served, request_bytes, status):
    answered, headers, body = _raw(served, request_bytes)
    assert answered == status
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["code"] == status and error["status"] and error["message"]


def test_a_serving_process_anchors_the_audit_chain_on_its_timer(tmp_path):
    """GPSOC_AUDIT_ANCHOR_INTERVAL: the workers append the chain's head to the anchor file."""
    anchors = tmp_path / "audit-anchors.jsonl"
    env = {
        "GPSOC_AUDIT_ANCHOR_INTERVAL": "1",
        "GPSOC_AUDIT_ANCHOR_KEY": "the operator's anchor key",
    }
    with gpsoc_serve(tmp_path, env=env):
        deadline = time.monotonic() + 60
        while not anchors.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    first = json.loads(anchors.read_text().splitlines()[0])
    assert first["sequence"] >= 0 and len(first["head_hash"]) == 64 and first["signature"]


def _chunked_post(base: str, path: str, body: bytes) -> tuple[int, dict]:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part)
        for part in (body[start : start + 65536] for start in range(0, len(body), 65536))
    )
    status, _, answer = _raw(
        base,
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\n\r\n",
    )
    return status, json.loads(answer)


def test_a_chunked_body_over_the_limit_is_a_413_and_one_within_it_is_read(served):
    too_large = json.dumps({"name": "x" * (1_048_576 + 10)}).encode()
    status, error = _chunked_post(served, "/api/v1/orders", too_large)
    assert status == 413 and error["code"] == 413 and "limit" in error["message"]
    # Within the limit the body reaches the view whole (no token: the view's 401, not a 400).
    status, error = _chunked_post(served, "/api/v1/orders", b'{"name": "x"}')
    assert status == 401, error
    status, error = _chunked_post(served, "/api/v1/orders", b"{not json")
    assert status in (400, 401), error
