"""Webhook deliveries as the Standard Webhooks specification has them: a JSON body, and the
`webhook-id`, `webhook-timestamp` and `webhook-signature` headers (signed by the
`standardwebhooks` package with the endpoint's secret).

The connection is made to an address checked first: every address the endpoint's host
resolves to must be public (catalogue.notifications.address_refusal), and the connection goes
to the checked address, so a name cannot be re-pointed between the check and the call.
Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from catalogue.notifications import Claimed, address_refusal

USER_AGENT = "GPSoC-catalogue-webhooks/1"


def body_of(claimed: Claimed, base_url: str) -> bytes:
    """The JSON body: the event's type, when it happened, and its data with a link."""
    hidden = ("path", "paths", "api_path", "user_ids", "organisation_ids")
    data = {k: v for k, v in claimed.data.items() if k not in hidden}
    data.update(
        {
            "event_id": claimed.message_id,
            "object_type": claimed.object_type,
            "object_id": claimed.object_id,
            "url": claimed.path(base_url),
            "api_url": base_url + str(claimed.data.get("api_path") or "/api/v1"),
        }
    )
    payload = {
        "type": claimed.event_type,
        "timestamp": claimed.occurred_at.astimezone(UTC).isoformat(),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


def signed_headers(claimed: Claimed, body: bytes, now: datetime) -> dict[str, str]:
    assert claimed.secret is not None
    signature = Webhook(claimed.secret).sign(claimed.message_id, now, body)
    return {
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None = None


class Refused(Exception):
    """The endpoint's host resolves to an address the service must not call."""


def _checked_address(host: str, port: int, allow_loopback: bool) -> tuple[str, int]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Refused(f"cannot resolve {host}: {error}") from error
    for info in infos:
        refusal = address_refusal(str(info[4][0]), allow_loopback)
        if refusal is not None:
            raise Refused(f"{host} resolves to {refusal}")
    address = infos[0][4]
    return str(address[0]), int(address[1])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: tuple[str, int], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection(self._address, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: tuple[str, int], timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address
        self._context = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def deliver(
    claimed: Claimed,
    base_url: str,
    allow_loopback: bool = False,
    timeout: float = 10.0,
    now: datetime | None = None,
) -> Outcome:
    """POST the event to its endpoint; 2xx is success, anything else (or no answer) a failure."""
    assert claimed.url is not None
    body = body_of(claimed, base_url)
    headers = signed_headers(claimed, body, now or datetime.now(UTC))
    parts = urlsplit(claimed.url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.perf_counter()
    try:
        address = _checked_address(host, port, allow_loopback)
        kind = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
        connection = kind(host, port, address, timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(65_536)
            status = response.status
        finally:
            connection.close()
    except (Refused, OSError, http.client.HTTPException) as error:
        return Outcome(False, None, _ms(started), f"{type(error).__name__}: {error}")
    if 200 <= status < 300:
        return Outcome(True, status, _ms(started))
    return Outcome(False, status, _ms(started), f"answered {status}")


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
