"""Real servers on 127.0.0.1 for the notification tests: an SMTP server (aiosmtpd) that keeps
what arrives, and a webhook receiver written only from the Standard Webhooks specification.

Tests wait for what they expect with `wait_for` (a condition and a bounded timeout), never
with a sleep racing a thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

TOLERANCE = 5 * 60  # seconds: a delivery older (or newer) than this is refused as a replay


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.changed:
            self.messages.append(message)  # type: ignore[arg-type]
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> str:
    """Check a delivery as the specification says; return why it is refused, or ''.

    The secret is "whsec_" + base64 of the key; the signed content is
    "{webhook-id}.{webhook-timestamp}.{body}"; the signature header is a space-separated list of
    "v1,<base64 HMAC-SHA256>"; a timestamp more than five minutes away is refused.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        return "missing headers"
    try:
        sent = int(stamp)
    except ValueError:
        return "bad timestamp"
    if abs((time.time() if now is None else now) - sent) > TOLERANCE:
        return "timestamp too old or too new"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return ""
    return "no matching signature"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    refusal: str


@dataclass
class Receiver:
    """What arrived, and how to answer: `answer(received)` gives the status (204 by default);
    it may block (the kill test holds one delivery open)."""

    secret: str = ""
    received: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    answer: Callable[[Received], int] = lambda _received: 204
    url: str = ""

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 30.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self.received), timeout)


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = dict(self.headers.items())
            got = Received(headers, body, verify(receiver.secret, headers, body))
            with receiver.changed:
                receiver.received.append(got)
                receiver.changed.notify_all()
            status = 400 if got.refusal else receiver.answer(got)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # An answer to a sender that was killed meanwhile fails to be written: expected, quiet.
    server.handle_error = lambda _request, _address: None  # type: ignore[method-assign]
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
