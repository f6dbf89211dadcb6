"""Slow clients cannot stall the service: `gpsoc serve` (the real gunicorn set-up of
api/server.py) keeps answering within a second while 50 connections hang on it, half with a
header line sent and never finished, half with a body announced and never sent; the server
then closes the first within its keep-alive time and answers the second 408."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from api.server import SOCKET_TIMEOUT
from tests.api.servers import gpsoc_serve

SLOW_CONNECTIONS = 50


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        response.read()
        return response.status


@pytest.fixture
def server(tmp_path):
    with gpsoc_serve(tmp_path, prepare=[("init-db",)]) as served:
        yield served.port


def _slow_connection(port: int, index: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    if index % 2:
        connection.sendall(b"GET /api/v1/frameworks HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    else:
        connection.sendall(
            b"POST /api/v1/selections HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"
        )
    connection.setblocking(False)
    return connection


def _answer(connection: socket.socket) -> bytes | None:
    """What the server sent back (b"" once it closed), or None while it still waits."""
    try:
        return connection.recv(200)
    except BlockingIOError:
        return None
    except OSError:  # reset by the server: closed as well
        return b""


def test_fifty_slow_connections_do_not_stall_ordinary_requests(server):
    url = f"http://127.0.0.1:{server}/api/v1/frameworks"
    for _ in range(20):  # both workers have loaded the app and opened the database
        assert _get(url) == 200

    slow = [_slow_connection(server, index) for index in range(SLOW_CONNECTIONS)]
    answers: dict[int, bytes] = {}
    slowest = 0.0
    try:
        deadline = time.monotonic() + SOCKET_TIMEOUT + 10
        while len(answers) < len(slow) and time.monotonic() < deadline:
            started = time.monotonic()
            assert _get(url) == 200
            slowest = max(slowest, time.monotonic() - started)
            for index, connection in enumerate(slow):
                if index not in answers and (answer := _answer(connection)) is not None:
                    answers[index] = answer
            time.sleep(0.1)
    finally:
        for connection in slow:
            connection.close()

    assert slowest < 1.0
    # Nothing was left hanging: headers that never end are dropped after the keep-alive time,
    # bodies that never arrive are answered 408 after the socket timeout.
    assert sorted(answers) == list(range(SLOW_CONNECTIONS))
    unfinished_headers = {answers[i] for i in range(1, SLOW_CONNECTIONS, 2)}
    assert unfinished_headers == {b""}
    missing_bodies = [answers[i] for i in range(0, SLOW_CONNECTIONS, 2)]
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in missing_bodies), missing_bodies
