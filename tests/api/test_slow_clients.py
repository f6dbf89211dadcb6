"""Slow clients cannot stall the service: `gpsoc serve` (the real gunicorn set-up of
api/server.py) keeps answering within a second while 50 connections hang on it, half with a
header line sent and never finished, half with a body announced and never sent; the server
then closes the first within its keep-alive time and answers the second 408.

And a flood of bodies trickled a byte at a time from one client address (more connections than
both workers can hold) neither stalls /healthz for other clients (the per-client cap answers
the excess 429) nor holds a connection past the body deadline (408), however it trickles."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from api.server import SOCKET_TIMEOUT
from tests.api.servers import gpsoc_serve

SLOW_CONNECTIONS = 50


# More than 2 workers x WORKER_CONNECTIONS (1000): without a per-client cap, this many
# connections from one address leave none for anybody else.
FLOOD = 2500
FLOOD_SOURCE = "127.0.0.2"  # the flooding client: loopback, another address than the probes
BODY_READ_TIMEOUT = 4
TRICKLE_EVERY = 2.0  # seconds: below the socket timeout, so only the body deadline ends them


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


def _trickling_body(port: int) -> socket.socket | None:
    """A POST announcing a body it sends one byte at a time; None if not even connected."""
    try:
        connection = socket.create_connection(
            ("127.0.0.1", port), timeout=5, source_address=(FLOOD_SOURCE, 0)
        )
        connection.sendall(
            b"POST /api/v1/selections HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"
        )
    except OSError:
        return None
    connection.setblocking(False)
    return connection


def _timed_get(url: str) -> float:
    started = time.monotonic()
    assert _get(url) == 200
    return time.monotonic() - started


def test_a_flood_of_trickled_bodies_neither_stalls_healthz_nor_stays_open(tmp_path):
    env = {"GPSOC_BODY_READ_TIMEOUT": str(BODY_READ_TIMEOUT)}
    with gpsoc_serve(tmp_path, prepare=[("init-db",)], env=env) as served:
        healthz = f"{served.base}/healthz"
        for _ in range(20):  # both workers have loaded the app
            assert _get(healthz) == 200
        flood = [c for c in (_trickling_body(served.port) for _ in range(FLOOD)) if c]
        answers: dict[int, bytes] = {}
        slowest = 0.0
        try:
            assert len(flood) > 2000, len(flood)
            time.sleep(1)  # the workers have taken the flood in
            deadline = time.monotonic() + BODY_READ_TIMEOUT + SOCKET_TIMEOUT + 15
            next_byte = time.monotonic()
            while len(answers) < len(flood) and time.monotonic() < deadline:
                slowest = max(slowest, _timed_get(healthz))
                trickle = time.monotonic() >= next_byte
                if trickle:
                    next_byte = time.monotonic() + TRICKLE_EVERY
                for index, connection in enumerate(flood):
                    if index in answers:
                        continue
                    if (answer := _answer(connection)) is not None:
                        answers[index] = answer
                    elif trickle:
                        try:
                            connection.send(b" ")
                        except OSError:
                            answers[index] = b""
                time.sleep(0.1)
        finally:
            for connection in flood:
                connection.close()

    assert slowest < 1.0
    # Every connection was answered and let go while it still trickled: 429 at once beyond
    # the per-client cap, 408 at the body deadline for those a worker took.
    assert len(answers) == len(flood)
    statuses = {answer[:12] for answer in answers.values() if answer}
    assert statuses <= {b"HTTP/1.1 429", b"HTTP/1.1 408"}, statuses
    assert b"HTTP/1.1 408" in statuses and b"HTTP/1.1 429" in statuses
