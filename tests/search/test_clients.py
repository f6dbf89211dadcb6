"""Reading bulk results and telling servers apart, without a server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from search.clients import ServerUnavailable, bulk_failures, detect_product


def test_bulk_failures_are_the_refused_actions_but_a_delete_of_a_missing_document():
    results = [
        (True, {"index": {"_id": "1", "status": 201}}),
        (False, {"delete": {"_id": "2", "status": 404, "result": "not_found"}}),
        (
            False,
            {
                "index": {
                    "_id": "3",
                    "status": 400,
                    "error": {"type": "mapper_parsing_exception", "reason": "failed to parse"},
                }
            },
        ),
        (False, {"index": {"_id": "4", "status": 429, "error": "rejected"}}),
    ]
    failures = bulk_failures(results)
    assert [(f.id, f.status, f.reason) for f in failures] == [
        ("3", 400, "failed to parse"),
        ("4", 429, "rejected"),
    ]


def serve_root(status: int, body: bytes):
    class Root(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server convention
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Root)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("root", "product"),
    [
        ({"version": {"distribution": "opensearch", "number": "2.19.1"}}, "opensearch"),
        ({"version": {"number": "8.14.1", "build_flavor": "default"}}, "elasticsearch"),
    ],
)
def test_the_product_is_read_from_the_servers_root_document(root, product):
    server = serve_root(200, json.dumps(root).encode())
    try:
        assert detect_product(f"http://127.0.0.1:{server.server_port}") == product
    finally:
        server.shutdown()


def test_a_failing_or_absent_server_is_unavailable():
    server = serve_root(503, b"{}")
    try:
        with pytest.raises(ServerUnavailable):
            detect_product(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    with pytest.raises(ServerUnavailable):
        detect_product("http://127.0.0.1:9")
