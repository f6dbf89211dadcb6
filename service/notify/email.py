"""Emails for people: composed from Jinja templates (plain text and HTML) with the standard
library's `email` package, and sent by SMTP or, on the embedded default, written as `.eml`
files under the data directory (so `make serve` needs no mail server)."""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from catalogue.models import utcnow
from catalogue.notifications import Claimed, EventType

# What each kind of event says: a subject and the first sentence (the title is the order's,
# listing's or selection's; `reason` is given when there is one).
WORDING: dict[str, tuple[str, str]] = {
    EventType.ORDER_SUBMITTED: (
        "{title} has been placed with you",
        "A commissioner has submitted {title} to you. Accept it, or say why not.",
    ),
    EventType.ORDER_AMENDED: (
        "{title}: an amendment has been submitted",
        "A commissioner has submitted an amendment to an order placed with you, as {title}.",
    ),
    EventType.ORDER_ACCEPTED: (
        "{title} has been accepted",
        "The supplier has accepted {title}.",
    ),
    EventType.ORDER_CANCELLED: (
        "{title} has been cancelled",
        "{title} has been cancelled.",
    ),
    EventType.ORDER_LIVE: (
        "{title} has gone live",
        "{title} has gone live.",
    ),
    EventType.MIGRATION_NOTICE_GIVEN: (
        "Notice: a practice is leaving your system ({title})",
        "A practice you serve is moving to another system under {title}. This is its "
        "notice: acknowledge it from the notice's page.",
    ),
    EventType.MIGRATION_NOTICE_EXTENDED: (
        "Notice extended ({title})",
        "The commissioner has extended the notice period under {title}; please "
        "acknowledge the new end of your service.",
    ),
    EventType.MIGRATION_ACKNOWLEDGED: (
        "Notice acknowledged ({title})",
        "The previous supplier has acknowledged the notice under {title}.",
    ),
    EventType.LISTING_SUBMITTED: (
        "{title} is waiting for review",
        "A supplier has submitted {title} for publication.",
    ),
    EventType.LISTING_PUBLISHED: (
        "{title} has been published",
        "{title} is now published in the catalogue.",
    ),
    EventType.LISTING_SENT_BACK: (
        "{title} has been sent back",
        "{title} has been sent back to you to change before it can be published.",
    ),
    EventType.REVISION_APPROVED: (
        "Changes to {title} approved",
        "The changes you proposed to {title} have been approved and are now published.",
    ),
    EventType.REVISION_REJECTED: (
        "Changes to {title} not approved",
        "The changes you proposed to {title} have not been approved.",
    ),
    EventType.EVALUATOR_INVITED: (
        "You have been asked to evaluate {title}",
        "You have been named as an evaluator of {title}. Your score sheet is waiting for you.",
    ),
    EventType.SCORING_CLOSED: (
        "Scoring has closed for {title}",
        "Scoring has closed for {title}: the evaluators' scores can now be moderated.",
    ),
    EventType.SIGNOFF_WAITING: (
        "{title} is waiting for your sign-off",
        "One side has signed off the result of {title}; it is waiting for the other.",
    ),
    EventType.ENDPOINT_DISABLED: (
        "Your webhook endpoint has been switched off",
        "{title} has been switched off: every attempt to deliver an event to it failed "
        "for more than a day. Switch it back on when it can receive again.",
    ),
}

_TEMPLATES = Environment(
    loader=PackageLoader("service.notify", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Line:
    """One event as a message shows it."""

    subject: str
    sentence: str
    reason: str | None
    url: str
    occurred_at: str


def line_of(claimed: Claimed, base_url: str) -> Line:
    subject, sentence = WORDING.get(claimed.event_type, ("{title}", "{title} has changed."))
    # One line, whatever a name holds: a header cannot carry a line break.
    title = " ".join(str(claimed.data.get("title") or claimed.event_type).split())
    reason = claimed.data.get("reason")
    return Line(
        subject=subject.format(title=title),
        sentence=sentence.format(title=title),
        reason=str(reason) if reason else None,
        url=claimed.path(base_url),
        occurred_at=f"{claimed.occurred_at:%d %B %Y at %H:%M} UTC",
    )


def compose(
    deliveries: Sequence[Claimed], base_url: str, sender: str, domain: str | None = None
) -> EmailMessage:
    """One message to one person: of one event, or a daily summary of several."""
    first = deliveries[0]
    lines = [line_of(d, base_url) for d in deliveries]
    summary = len(deliveries) > 1 or first.digest
    context: dict[str, Any] = {
        "name": first.name,
        "lines": lines,
        "summary": summary,
        "base_url": base_url,
        "preferences_url": f"{base_url}/account/notifications",
    }
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((first.name or "", first.email or ""))
    message["Subject"] = (
        f"GPSoC catalogue: {len(lines)} updates today" if summary else lines[0].subject
    )
    message["Date"] = format_datetime(utcnow())
    domain = domain or parseaddr(sender)[1].rpartition("@")[2] or "gpsoc.invalid"
    # The same on every retry of the same delivery: a receiver may drop a repeat.
    key = "-".join(str(d.id) for d in deliveries)
    message["Message-ID"] = f"<gpsoc.{key}@{domain}>"
    message["X-GPSoC-Event"] = ", ".join(sorted({d.event_type for d in deliveries}))
    message.set_content(_TEMPLATES.get_template("message.txt").render(context))
    message.add_alternative(_TEMPLATES.get_template("message.html").render(context), subtype="html")
    return message


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass
class SmtpTransport:
    """A mail server: one connection kept open across the sends of a round, STARTTLS when
    asked (always verifying the server's certificate), logging in when given credentials."""

    host: str
    port: int
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    _smtp: smtplib.SMTP | None = field(default=None, repr=False)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        try:
            self._connection().send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


@dataclass
class EmlTransport:
    """Each message as an .eml file in a folder; a message written again (a retry) replaces
    its own file, named by its Message-ID."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(str(message["Message-ID"]).encode()).hexdigest()[:24]
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(bytes(message))
        os.replace(partial, target)

    def close(self) -> None:
        return None
