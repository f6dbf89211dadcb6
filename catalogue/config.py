"""Configuration read from the environment, with embedded defaults that need nothing installed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_SEARCH_CACHE = 256
# The largest request body accepted (413 above it): generous for any real listing or order.
DEFAULT_MAX_REQUEST_BYTES = 1_048_576
# Seconds between a serving process's background drains of the search outbox (0: none).
DEFAULT_SEARCH_DRAIN_INTERVAL = 2.0
# Seconds the oldest pending outbox row may wait before /readyz says not ready.
DEFAULT_OUTBOX_LAG_LIMIT = 60.0
# Notifications (email and webhooks; docs/notifications.md).
DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_SMTP_PORT = 587
DEFAULT_MAIL_FROM = "GPSoC catalogue <noreply@gpsoc.invalid>"
# Seconds between a serving process's notification rounds (0: none; `gpsoc notify-worker`).
DEFAULT_NOTIFY_INTERVAL = 5.0
# Serving limits against slow and greedy clients (api/server.py): the seconds a whole request
# body may take to arrive (0: no limit but the per-read socket timeout), and the connections
# one client address may hold open at once in each worker (0: no cap; behind a proxy, which
# every connection comes from, bound it there instead).
DEFAULT_BODY_READ_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 100
# Seconds between a serving process's automatic anchors of the audit chain (0: none).
DEFAULT_AUDIT_ANCHOR_INTERVAL = 60.0


class ConfigurationError(ValueError):
    """An environment variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    elasticsearch_url: str | None = None
    # Search results each server process keeps (embedded engine; 0 turns the cache off).
    search_cache_size: int = DEFAULT_SEARCH_CACHE
    # Where failed authentications are counted: "database" (shared by every process and
    # machine on the database), or a `limits` storage URI (memory:// is per process).
    throttle_storage_uri: str = "database"
    # Reverse proxies in front of the service whose X-Forwarded-For/-Proto headers to trust, so
    # that the client address (throttling, logs) is the caller's, not the proxy's.
    trusted_proxies: int = 0
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    # The HMAC key that signs the audit chain's head (GET /audit-events/head); unset, the head
    # is served unsigned and anchors cannot be checked.
    audit_anchor_key: str | None = None
    # How often each serving process drains the outbox and checks its index (0: never; the
    # after-commit drain and `gpsoc index-worker` remain).
    search_drain_interval: float = DEFAULT_SEARCH_DRAIN_INTERVAL
    # How old the oldest pending outbox row may be before /readyz says not ready.
    outbox_lag_limit: float = DEFAULT_OUTBOX_LAG_LIMIT
    # -- Notifications
    # The service's address as people reach it, for the links in emails and webhook bodies.
    base_url: str = DEFAULT_BASE_URL
    # The mail server; unset, each email is written as an .eml file under data_dir/mail.
    smtp_host: str | None = None
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    # Webhook endpoints on loopback addresses (and plain http:// to them): for tests only.
    webhooks_allow_loopback: bool = False
    # How often each serving process sends what is due (0: never; `gpsoc notify-worker` does).
    notify_interval: float = DEFAULT_NOTIFY_INTERVAL
    # --- security (issue 21): serving limits, HSTS, automatic audit anchors.
    body_read_timeout: float = DEFAULT_BODY_READ_TIMEOUT
    max_connections_per_client: int = DEFAULT_MAX_CONNECTIONS_PER_CLIENT
    # Strict-Transport-Security max-age in seconds on every response (0: not sent; set it only
    # where the service is reached over HTTPS alone).
    hsts_seconds: int = 0
    audit_anchor_interval: float = DEFAULT_AUDIT_ANCHOR_INTERVAL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("GPSOC_DATA_DIR") or "./data")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{(data_dir / 'gpsoc.sqlite3')}"
        _check_database_url(database_url)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            elasticsearch_url=env.get("ELASTICSEARCH_URL") or None,
            search_cache_size=_count(env, "GPSOC_SEARCH_CACHE", DEFAULT_SEARCH_CACHE),
            throttle_storage_uri=env.get("GPSOC_THROTTLE_STORAGE") or "database",
            trusted_proxies=_count(env, "GPSOC_TRUSTED_PROXIES", 0),
            max_request_bytes=_count(env, "GPSOC_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES),
            audit_anchor_key=env.get("GPSOC_AUDIT_ANCHOR_KEY") or None,
            search_drain_interval=_seconds(
                env, "GPSOC_SEARCH_DRAIN_INTERVAL", DEFAULT_SEARCH_DRAIN_INTERVAL
            ),
            outbox_lag_limit=_seconds(env, "GPSOC_OUTBOX_LAG_LIMIT", DEFAULT_OUTBOX_LAG_LIMIT),
            base_url=_base_url(env),
            smtp_host=env.get("GPSOC_SMTP_HOST") or None,
            smtp_port=_port(env, "GPSOC_SMTP_PORT", DEFAULT_SMTP_PORT),
            smtp_starttls=_flag(env, "GPSOC_SMTP_STARTTLS", True),
            smtp_user=env.get("GPSOC_SMTP_USER") or None,
            smtp_password=env.get("GPSOC_SMTP_PASSWORD") or None,
            mail_from=_mail_from(env),
            webhooks_allow_loopback=_flag(env, "GPSOC_WEBHOOKS_ALLOW_LOOPBACK", False),
            notify_interval=_seconds(env, "GPSOC_NOTIFY_INTERVAL", DEFAULT_NOTIFY_INTERVAL),
            # --- security (issue 21)
            body_read_timeout=_seconds(env, "GPSOC_BODY_READ_TIMEOUT", DEFAULT_BODY_READ_TIMEOUT),
            max_connections_per_client=_count(
                env, "GPSOC_MAX_CONNECTIONS_PER_CLIENT", DEFAULT_MAX_CONNECTIONS_PER_CLIENT
            ),
            hsts_seconds=_count(env, "GPSOC_HSTS_SECONDS", 0),
            audit_anchor_interval=_seconds(
                env, "GPSOC_AUDIT_ANCHOR_INTERVAL", DEFAULT_AUDIT_ANCHOR_INTERVAL
            ),
        )

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


def _check_database_url(url: str) -> None:
    """A URL SQLAlchemy can parse, of a dialect and driver that are installed. The value is not
    repeated in the message: a database URL may hold a password."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigurationError(
            "DATABASE_URL is not a database URL; give a SQLAlchemy URL such as "
            "sqlite:///data/gpsoc.sqlite3 or postgresql+psycopg://user@host:5432/db."
        ) from error
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError) as error:
        raise ConfigurationError(
            f"DATABASE_URL names a database or driver that is not installed "
            f"({parsed.drivername}); use sqlite or postgresql+psycopg."
        ) from error


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigurationError(f"{name} must be a whole number of 0 or more, not {raw!r}.")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (0 <= value <= 86_400):  # also refuses nan and inf
        raise ConfigurationError(
            f"{name} must be a number of seconds from 0 to 86400, not {raw!r}."
        )
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, not {env.get(name)!r}.")


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    value = _count(env, name, default)
    if not 0 < value < 65_536:
        raise ConfigurationError(f"{name} must be a port from 1 to 65535, not {env.get(name)!r}.")
    return value


def _base_url(env: Mapping[str, str]) -> str:
    raw = (env.get("GPSOC_BASE_URL") or "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigurationError(
            f"GPSOC_BASE_URL must be the service's address, such as https://gpsoc.example.org, "
            f"not {raw!r}."
        )
    return raw.rstrip("/")


def _mail_from(env: Mapping[str, str]) -> str:
    raw = (env.get("GPSOC_MAIL_FROM") or "").strip() or DEFAULT_MAIL_FROM
    _name, address = parseaddr(raw)
    if "@" not in address or "\n" in raw or "\r" in raw:
        raise ConfigurationError(
            f"GPSOC_MAIL_FROM must be an email address (with a name if you like), not {raw!r}."
        )
    return raw
