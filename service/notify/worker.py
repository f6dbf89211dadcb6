"""The notifier: what sends the notification outbox, in `gpsoc notify-worker` and in a thread
of each serving process (like the search index keeper).

A round fans new events out into deliveries, then claims due deliveries a batch at a time
(catalogue.notifications.claim: committed before anything is sent), sends each, and commits
each outcome as soon as it is known. Any number of notifiers can run at once, in any process
on any machine on the same database: claims never overlap while a lease lasts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from catalogue import notifications
from catalogue.config import Settings
from catalogue.models import utcnow
from catalogue.notifications import Claimed

from .email import EmlTransport, SmtpTransport, Transport, compose
from .webhooks import deliver

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


def transport_for(settings: Settings) -> Transport:
    """SMTP when a host is set; otherwise .eml files under the data directory."""
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_starttls,
            settings.smtp_user,
            settings.smtp_password,
        )
    return EmlTransport(Path(settings.data_dir) / "mail")


@dataclass
class RoundReport:
    fanned_out: int = 0
    sent: int = 0
    failed: int = 0


@dataclass
class Notifier:
    write_session: SessionFactory
    transport: Transport
    base_url: str
    mail_from: str
    allow_loopback: bool = False
    # How long a claim lasts: longer than a batch's sends can take (a webhook times out at
    # 10 s, an SMTP exchange at 30 s: 10 of those are 300 s), so that no other worker takes a
    # delivery this one is still sending; a worker that dies holding claims frees them then.
    lease: float = 600.0
    batch: int = 10
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _last_failure: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, write_session: SessionFactory) -> Notifier:
        return cls(
            write_session,
            transport_for(settings),
            settings.base_url,
            settings.mail_from,
            settings.webhooks_allow_loopback,
        )

    def tick(self, now: datetime | None = None, max_batches: int = 50) -> RoundReport:
        """One round; never raises (a failure is logged once while it repeats)."""
        try:
            report = self.run_round(now, max_batches)
        except Exception as error:  # the next round retries; the service keeps serving
            if str(error) != self._last_failure:
                log.exception("the notifier failed")
            self._last_failure = str(error)
            return RoundReport()
        self._last_failure = None
        return report

    def run_round(self, now: datetime | None = None, max_batches: int = 50) -> RoundReport:
        report = RoundReport()
        with self.write_session() as session, session.begin():
            report.fanned_out = notifications.fan_out(session, now)
        try:
            for _ in range(max_batches):
                with self.write_session() as session, session.begin():
                    claimed = notifications.claim(
                        session, self.worker_id, now, self.lease, self.batch
                    )
                if not claimed:
                    break
                for group in _groups(claimed):
                    if self._send(group, now):
                        report.sent += len(group)
                    else:
                        report.failed += len(group)
        finally:
            self.transport.close()
        return report

    def _send(self, group: list[Claimed], now: datetime | None) -> bool:
        first = group[0]
        status_code: int | None = None
        latency = 0
        error: str | None = None
        if first.channel == notifications.WEBHOOK:
            outcome = deliver(first, self.base_url, self.allow_loopback)
            status_code, latency, error = outcome.status_code, outcome.latency_ms, outcome.error
        elif not first.email:
            error = "the person has no email address"
        else:
            try:
                self.transport.send(compose(group, self.base_url, self.mail_from))
            except Exception as failure:  # SMTP refusals, connection errors
                error = f"{type(failure).__name__}: {failure}"
        with self.write_session() as session, session.begin():
            for claimed in group:
                if error is None:
                    notifications.record_success(session, claimed.id, now, status_code, latency)
                else:
                    notifications.record_failure(
                        session, claimed.id, error, now, status_code, latency
                    )
        return error is None

    # -- the background thread

    def start(self, interval: float) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="gpsoc-notifier", daemon=True
        )
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(interval)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def _groups(claimed: list[Claimed]) -> list[list[Claimed]]:
    """Each delivery on its own, but a person's daily-summary deliveries together."""
    digests: dict[int, list[Claimed]] = defaultdict(list)
    groups: list[list[Claimed]] = []
    for delivery in claimed:
        if delivery.channel == notifications.EMAIL and delivery.digest and delivery.user_id:
            digests[delivery.user_id].append(delivery)
        else:
            groups.append([delivery])
    return groups + list(digests.values())


def backlog_now(session_factory: SessionFactory) -> notifications.Backlog:
    with session_factory() as session:
        return notifications.backlog(session, utcnow())
