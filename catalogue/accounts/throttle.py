"""Failed authentications counted per client in the database, so that every server process and
machine sees one count (a per-process count lets N workers take N times the limit).

A sliding window over two fixed windows: the current window's failures plus the previous
window's, weighted by how much of it still overlaps the last `period` seconds. Counting is an
atomic upsert, so concurrent failures are never lost; windows older than the previous one are
deleted as new failures arrive.

Limits of different periods share the table (the API's token failures, the web's sign-ins per
client and per account): a stored key starts with its limit's period, so that each limit's
windows are counted, and swept, among their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from catalogue.models import AuthFailureWindow, table_of

CLIENT_KEY_MAX = 64


@dataclass(frozen=True)
class FailureLimit:
    failures: int  # at most this many
    period: int  # seconds


def _stored_key(client_key: str, limit: FailureLimit) -> str:
    return f"{limit.period}:{client_key}"[:CLIENT_KEY_MAX]


def _estimate(session: Session, client_key: str, limit: FailureLimit, now: float) -> float:
    current = int(now // limit.period)
    rows = session.execute(
        select(AuthFailureWindow.window_number, AuthFailureWindow.failures).where(
            AuthFailureWindow.client_key == _stored_key(client_key, limit),
            AuthFailureWindow.window_number.in_((current - 1, current)),
        )
    )
    counts = {window: failures for window, failures in rows}
    elapsed = (now % limit.period) / limit.period
    return counts.get(current, 0) + counts.get(current - 1, 0) * (1 - elapsed)


def is_throttled(
    session: Session, client_key: str, limit: FailureLimit, now: float | None = None
) -> bool:
    """Whether `client_key` has used up its failures: then no token of its is even checked."""
    now = time.time() if now is None else now
    return _estimate(session, client_key, limit, now) >= limit.failures


def record_failure(
    session: Session, client_key: str, limit: FailureLimit, now: float | None = None
) -> bool:
    """Count one failure (flushed, not committed); True while the client is within the limit."""
    now = time.time() if now is None else now
    current = int(now // limit.period)
    key = _stored_key(client_key, limit)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table_of(AuthFailureWindow)).values(
        client_key=key, window_number=current, failures=1
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["client_key", "window_number"],
            set_={"failures": table_of(AuthFailureWindow).c.failures + 1},
        )
    )
    session.execute(
        delete(AuthFailureWindow).where(
            AuthFailureWindow.client_key.startswith(f"{limit.period}:", autoescape=True),
            AuthFailureWindow.window_number < current - 1,
        )
    )
    return _estimate(session, client_key, limit, now) <= limit.failures
