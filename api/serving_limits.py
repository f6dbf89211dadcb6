"""Bounds on what one client can hold of a serving process (api/server.py wires them in).

- `BodyDeadline`, a WSGI middleware: a request's whole body must arrive within
  GPSOC_BODY_READ_TIMEOUT seconds of its headers. The socket timeout bounds each read, not
  their sum: a body trickled one byte every 10 s would otherwise hold its connection forever.
  A read past the deadline fails like a dropped connection, so the app answers 408
  (api/common/request_input.py); gunicorn then drains what is left of the body within its
  keep-alive time, or closes the connection.
- `ClientConnections`: the connections one client address holds open at once in a worker, at
  most GPSOC_MAX_CONNECTIONS_PER_CLIENT; the next is answered 429 and closed before it is read.
  Behind a reverse proxy every connection comes from the proxy: set it to 0 there and bound
  clients in the proxy (nginx: `limit_conn` per `$binary_remote_addr`, `client_body_timeout`).
"""

from __future__ import annotations

import http
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import gevent

BODY_TIMEOUT_MESSAGE = "The request body did not arrive in time."


class _DeadlineInput:
    """`wsgi.input` whose reads all end by `deadline` (time.monotonic())."""

    def __init__(self, stream: Any, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _within_deadline(self, read: Callable[..., Any], *args: Any) -> Any:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(BODY_TIMEOUT_MESSAGE)
        with gevent.Timeout(remaining, TimeoutError(BODY_TIMEOUT_MESSAGE)):
            return read(*args)

    def read(self, size: int | None = None) -> bytes:
        return self._within_deadline(self._stream.read, size)

    def readline(self, size: int | None = None) -> bytes:
        return self._within_deadline(self._stream.readline, size)

    def readlines(self, hint: int | None = None) -> list[bytes]:
        return self._within_deadline(self._stream.readlines, hint)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class BodyDeadline:
    """Wraps a WSGI app so that each request's body must arrive within `seconds`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        stream = environ.get("wsgi.input")
        if self.seconds > 0 and stream is not None:
            environ["wsgi.input"] = _DeadlineInput(stream, time.monotonic() + self.seconds)
        return self.app(environ, start_response)


class ClientConnections:
    """Open connections per client address in one worker, capped (`limit` 0: no cap)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def admit(self, address: str) -> bool:
        """Count a new connection from `address`, unless it holds `limit` already."""
        if self.limit and self._open[address] >= self.limit:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


def too_many_connections(limit: int) -> bytes:
    """The whole 429 response to a connection over the cap, in the API's one error shape."""
    status = http.HTTPStatus.TOO_MANY_REQUESTS
    body = json.dumps(
        {
            "code": status.value,
            "status": status.phrase,
            "message": f"Too many connections from your address at once (at most {limit}).",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Connection: close\r\n"
        "Retry-After: 1\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body
