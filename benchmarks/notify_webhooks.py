"""1,000 events delivered as signed webhooks to a receiver on 127.0.0.1.

Target (issue 26): 1,000 events delivered to a local receiver in under 60 s on this machine.
The events are written to the outbox first; the clock runs from the notifier's first round to
the receiver holding every delivery, each one's signature verified by the receiver (with the
`standardwebhooks` package's own verifier) and each outcome committed by the notifier.

    python -m benchmarks.notify_webhooks [--events 1000] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from benchmarks.common import BENCH_DIR, machine
from catalogue import notifications
from catalogue.db import make_engine, make_session_factory, writer_engine
from catalogue.migrate import upgrade_to_head
from catalogue.models import Organisation, Supplier
from catalogue.notifications.events import Derived, EventType, write
from catalogue.principal import Principal, Role
from catalogue.seeding import seed_catalogue
from service.notify import EmlTransport, Notifier


class _Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.verified: set[str] = set()
        self.refused = 0
        self.done = threading.Condition()


def _serve(receiver: _Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                ok = True
            except Exception:
                ok = False
            with receiver.done:
                if ok:
                    receiver.verified.add(self.headers["webhook-id"])
                else:
                    receiver.refused += 1
                receiver.done.notify_all()
            self.send_response(204 if ok else 400)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="notifier threads at once")
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"notify-{uuid.uuid4().hex[:8]}.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    receiver = _Receiver()
    server = _serve(receiver)
    try:
        with engine.begin() as connection:
            upgrade_to_head(connection)
        sessions = make_session_factory(writer_engine(engine))
        with sessions.begin() as session:
            seed_catalogue(session)
            supplier = session.query(Supplier).filter_by(slug="tpp").one()
            ccg = session.query(Organisation).filter_by(ods_code="13T").one()
            owner = Principal(role=Role.SUPPLIER, name="bench", supplier_id=supplier.id)
            port = server.server_address[1]
            endpoint = notifications.register(
                session,
                owner,
                f"http://127.0.0.1:{port}/hooks",
                ["order.submitted"],
                allow_loopback=True,
            )
            receiver.secret = endpoint.secret
            events = [
                Derived(
                    EventType.ORDER_SUBMITTED,
                    supplier.id,
                    ccg.id,
                    {"title": f"Order C{n:05d}-01", "path": f"/orders/C{n:05d}-01"},
                )
                for n in range(args.events)
            ]
            write(session.connection(), events, object_type="call_off_order", object_id="-")

        notifiers = [
            Notifier(sessions, EmlTransport(BENCH_DIR / "mail"), "http://localhost", "a@b.c", True)
            for _ in range(args.workers)
        ]
        started = time.perf_counter()
        threads = [
            threading.Thread(target=_drain, args=(n, receiver, args.events)) for n in notifiers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        print(machine(), f"SQLite, load average {os.getloadavg()[0]:.1f}")
        print(
            f"{len(receiver.verified)} of {args.events} events delivered and verified "
            f"({receiver.refused} refused) in {elapsed:.1f} s: "
            f"{len(receiver.verified) / elapsed:.0f} events/s with {args.workers} notifier(s)"
        )
    finally:
        server.shutdown()
        engine.dispose()
        for leftover in BENCH_DIR.glob(f"{path.name}*"):
            leftover.unlink()


def _drain(notifier: Notifier, receiver: _Receiver, events: int) -> None:
    give_up = time.monotonic() + 600  # a delivery failing for good must not spin forever
    while len(receiver.verified) < events and time.monotonic() < give_up:
        notifier.run_round(max_batches=1000)


if __name__ == "__main__":
    main()
