"""The service's settings: one typed object read from the environment (pydantic-settings), with
embedded defaults that need nothing installed.

Every variable is validated when a process starts (every `gpsoc` command, each server worker):
a value the service cannot use is a ConfigurationError naming the variable and the reason, which
the command line prints as one line before it exits with code 2. Adding a setting is one field
below: its environment variable is its `validation_alias`, its `description` is the line of the
configuration table in the docs (docs/hooks.py generates that table from this class).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

DEFAULT_SEARCH_CACHE = 256
# The largest request body accepted (413 above it): generous for any real listing or order.
DEFAULT_MAX_REQUEST_BYTES = 1_048_576
# Seconds between a serving process's background drains of the search outbox (0: none).
DEFAULT_SEARCH_DRAIN_INTERVAL = 2.0
# Seconds the oldest pending outbox row may wait before /readyz says not ready.
DEFAULT_OUTBOX_LAG_LIMIT = 60.0
# Set while Settings.from_env reads a mapping it was given: then the process's environment is
# not read at all (a test's {} means no variable set, whatever the process has).
_ONLY_GIVEN: ContextVar[bool] = ContextVar("settings_only_given", default=False)
# Where failed authentications are counted by default: the database (every process shares it).
DATABASE_THROTTLE_STORAGE = "database"
# Seconds a start-up check waits for the database to answer.
CONNECT_TIMEOUT = 10
# Notifications (email and webhooks; docs/notifications.md).
DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_SMTP_PORT = 587
DEFAULT_MAIL_FROM = "GPSoC catalogue <noreply@gpsoc.invalid>"
# Seconds between a serving process's notification rounds (0: none; `gpsoc notify-worker`).
DEFAULT_NOTIFY_INTERVAL = 5.0
# Serving limits against slow and greedy clients (api/server.py).
DEFAULT_BODY_READ_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 100
# Seconds between a serving process's automatic anchors of the audit chain (0: none).
DEFAULT_AUDIT_ANCHOR_INTERVAL = 60.0


class ConfigurationError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _database_url(url: str) -> str:
    """A URL SQLAlchemy can parse, of a dialect and driver that are installed. The value is not
    repeated in the message: a database URL may hold a password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            "not a database URL; give a SQLAlchemy URL such as sqlite:///data/gpsoc.sqlite3 "
            "or postgresql+psycopg://user@host:5432/db"
        ) from None
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        raise ValueError(
            f"names a database or driver that is not installed ({parsed.drivername}); "
            "use sqlite or postgresql+psycopg"
        ) from None
    return url


def _throttle_storage(uri: str) -> str:
    """ "database", or a `limits` storage URI whose storage is installed and counts a moving
    window (memory://, redis://...). Not repeated in the message: it may hold a password."""
    if uri == DATABASE_THROTTLE_STORAGE:
        return uri
    from limits import storage  # only for the rare deployment that counts elsewhere

    try:
        store = storage.storage_from_string(uri)
    except Exception as error:  # limits' own ConfigurationError, a missing client library...
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f'not "database" nor a usable limits storage URI such as memory:// or '
            f"redis://host:6379 ({reason})"
        ) from None
    if not isinstance(store, storage.MovingWindowSupport):
        raise ValueError("names a storage that cannot count a moving window; use redis://")
    return uri


def _http_url(url: str | None) -> str | None:
    if url and not url.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL such as http://127.0.0.1:9200")
    return url


def _key(key: SecretStr | None) -> SecretStr | None:
    if key is not None and len(key.get_secret_value().strip()) < 16:
        raise ValueError("must be a secret of 16 characters or more")
    return key


def _base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError("must be the service's address, such as https://gpsoc.example.org")
    return url.strip().rstrip("/")


def _host(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", value.strip()):
        raise ValueError("must be a host name or address, such as mail.example.org")
    return value.strip() if value else value


def _one_line_text(value: str | None) -> str | None:
    if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not hold control characters or line breaks")
    return value


def _mail_from(value: str) -> str:
    _name, address = parseaddr(value)
    if "@" not in address or "\n" in value or "\r" in value:
        raise ValueError("must be an email address (with a name if you like)")
    return value.strip()


# A key (HMAC, session signing): hidden in reprs and logs, and never a short or blank one.
Key = Annotated[SecretStr | None, AfterValidator(_key)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        env_ignore_empty=True,  # an empty variable is an unset one
        extra="ignore",
        validate_default=True,
    )

    data_dir: Path = Field(
        Path("data"),
        validation_alias="GPSOC_DATA_DIR",
        description="The directory of the service's files: the SQLite database, the embedded "
        "search index, sent mail (.eml), the session key, metrics. Created when missing; it "
        "must be writable.",
    )
    database_url: Annotated[str, AfterValidator(lambda v: _database_url(v) if v else v)] = Field(
        "",
        validation_alias="DATABASE_URL",
        description="The database, as a SQLAlchemy URL; unset, SQLite in the data directory "
        "(`<data dir>/gpsoc.sqlite3`). PostgreSQL: "
        "`postgresql+psycopg://user:password@host:5432/db`. It must answer at start.",
    )
    elasticsearch_url: Annotated[str | None, AfterValidator(_http_url)] = Field(
        None,
        validation_alias="ELASTICSEARCH_URL",
        description="Search on an Elasticsearch or OpenSearch cluster at this URL; unset, the "
        "embedded index in the data directory.",
    )
    search_cache_size: int = Field(
        DEFAULT_SEARCH_CACHE,
        ge=0,
        validation_alias="GPSOC_SEARCH_CACHE",
        description="Search results each server process keeps (embedded engine; 0 turns the "
        "cache off).",
    )
    throttle_storage_uri: Annotated[str, AfterValidator(_throttle_storage)] = Field(
        DATABASE_THROTTLE_STORAGE,
        validation_alias="GPSOC_THROTTLE_STORAGE",
        description='Where failed sign-ins and token checks are counted: "database" (shared '
        "by every process and machine on the database), or a `limits` storage URI "
        "(`memory://` is per process, `redis://host:6379` shared).",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        validation_alias="GPSOC_TRUSTED_PROXIES",
        description="Reverse proxies in front of the service whose X-Forwarded-For/-Proto/-Host "
        "headers to trust, so that the client address (throttling, logs) is the caller's.",
    )
    max_request_bytes: int = Field(
        DEFAULT_MAX_REQUEST_BYTES,
        ge=0,
        validation_alias="GPSOC_MAX_REQUEST_BYTES",
        description="The largest request body accepted, in bytes; a larger one is a 413 "
        "(with Content-Length or chunked).",
    )
    audit_anchor_key: Key = Field(
        None,
        validation_alias="GPSOC_AUDIT_ANCHOR_KEY",
        description="The HMAC key that signs the audit chain's head (GET "
        "/api/v1/audit-events/head); unset, the head is served unsigned.",
    )
    search_drain_interval: float = Field(
        DEFAULT_SEARCH_DRAIN_INTERVAL,
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        validation_alias="GPSOC_SEARCH_DRAIN_INTERVAL",
        description="Seconds between each serving process's drains of the search outbox and "
        "checks of its index (0: never; the after-commit drain and `gpsoc index-worker` "
        "remain).",
    )
    outbox_lag_limit: float = Field(
        DEFAULT_OUTBOX_LAG_LIMIT,
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        validation_alias="GPSOC_OUTBOX_LAG_LIMIT",
        description="Seconds the oldest pending search outbox row may wait before /readyz "
        "says not ready.",
    )
    secret_key: Key = Field(
        None,
        validation_alias="GPSOC_SECRET_KEY",
        description="The key that signs the web pages' session cookies and CSRF tokens (16 "
        "characters or more); unset, a random key kept in `<data dir>/secret_key`.",
    )
    secure_cookies: bool = Field(
        False,
        validation_alias="GPSOC_SECURE_COOKIES",
        description="Send the session cookie over HTTPS only: true wherever the service is "
        "served over HTTPS (true/false, 1/0, yes/no, on/off).",
    )

    # -- Notifications (docs/notifications.md)
    base_url: Annotated[str, AfterValidator(_base_url)] = Field(
        DEFAULT_BASE_URL,
        validation_alias="GPSOC_BASE_URL",
        description="The service's address as people reach it, for the links in emails and "
        "webhook bodies.",
    )
    smtp_host: Annotated[str | None, AfterValidator(_host)] = Field(
        None,
        validation_alias="GPSOC_SMTP_HOST",
        description="The mail server; unset, each email is written as an .eml file under "
        "`<data dir>/mail`.",
    )
    smtp_port: int = Field(
        DEFAULT_SMTP_PORT,
        ge=1,
        le=65_535,
        validation_alias="GPSOC_SMTP_PORT",
        description="The mail server's port.",
    )
    smtp_starttls: bool = Field(
        True,
        validation_alias="GPSOC_SMTP_STARTTLS",
        description="Upgrade the mail connection with STARTTLS (the certificate is checked).",
    )
    smtp_user: Annotated[str | None, AfterValidator(_one_line_text)] = Field(
        None, validation_alias="GPSOC_SMTP_USER", description="The mail server's user name."
    )
    smtp_password: Annotated[str | None, AfterValidator(_one_line_text)] = Field(
        None, validation_alias="GPSOC_SMTP_PASSWORD", description="The mail server's password."
    )
    mail_from: Annotated[str, AfterValidator(_mail_from)] = Field(
        DEFAULT_MAIL_FROM,
        validation_alias="GPSOC_MAIL_FROM",
        description="The sender of every email.",
    )
    webhooks_allow_loopback: bool = Field(
        False,
        validation_alias="GPSOC_WEBHOOKS_ALLOW_LOOPBACK",
        description="Allow webhook endpoints on loopback addresses (and plain http:// to them): "
        "for tests only.",
    )
    notify_interval: float = Field(
        DEFAULT_NOTIFY_INTERVAL,
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        validation_alias="GPSOC_NOTIFY_INTERVAL",
        description="Seconds between each serving process's rounds of sending email and "
        "webhooks (0: none; `gpsoc notify-worker` sends).",
    )
    # -- Serving limits, HSTS, automatic audit anchors
    body_read_timeout: float = Field(
        DEFAULT_BODY_READ_TIMEOUT,
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        validation_alias="GPSOC_BODY_READ_TIMEOUT",
        description="Seconds a whole request body may take to arrive (a 408 after; 0: no limit "
        "but the per-read socket timeout).",
    )
    max_connections_per_client: int = Field(
        DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
        ge=0,
        validation_alias="GPSOC_MAX_CONNECTIONS_PER_CLIENT",
        description="Connections one client address may hold open at once in each worker (a "
        "429 beyond; 0: no cap; behind a proxy, bound it there instead).",
    )
    hsts_seconds: int = Field(
        0,
        ge=0,
        validation_alias="GPSOC_HSTS_SECONDS",
        description="Strict-Transport-Security max-age on every response (0: not sent; set it "
        "only where the service is reached over HTTPS alone).",
    )
    audit_anchor_interval: float = Field(
        DEFAULT_AUDIT_ANCHOR_INTERVAL,
        ge=0,
        le=86_400,
        allow_inf_nan=False,
        validation_alias="GPSOC_AUDIT_ANCHOR_INTERVAL",
        description="Seconds between each serving process's automatic anchors of the audit "
        "chain's head to `<data dir>/audit-anchors.jsonl` (0: none).",
    )

    # The variables whose values never appear in an error message (passwords, keys).
    SECRET_VARIABLES: ClassVar[frozenset[str]] = frozenset(
        {"DATABASE_URL", "ELASTICSEARCH_URL", "GPSOC_THROTTLE_STORAGE", "GPSOC_AUDIT_ANCHOR_KEY"}
        | {"GPSOC_SECRET_KEY", "GPSOC_SMTP_PASSWORD"}
    )

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            default = f"sqlite:///{self.data_dir / 'gpsoc.sqlite3'}"
            object.__setattr__(self, "database_url", default)
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from `environ` (the process's environment by default); a value the
        service cannot use is a ConfigurationError of one line naming its variable."""
        try:
            if environ is None:
                return cls()
            names = set(cls.variables())
            given: dict[str, Any] = {k: v for k, v in environ.items() if k in names and v}
            only_given = _ONLY_GIVEN.set(True)  # `environ` alone, never the process's
            try:
                return cls(**given)
            finally:
                _ONLY_GIVEN.reset(only_given)
        except ValidationError as invalid:
            raise ConfigurationError(_one_line(invalid)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if _ONLY_GIVEN.get():
            return (init_settings,)
        return (init_settings, env_settings, dotenv_settings, file_secret_settings)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Each environment variable and its field's name."""
        return {str(field.validation_alias): name for name, field in cls.model_fields.items()}

    def replace(self, **changes: Any) -> Settings:
        return self.model_copy(update=changes)

    def ensure_data_dir(self) -> None:
        """Create the data directory, and check it is a directory the service can write."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / f".write-check-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ConfigurationError(
                f"GPSOC_DATA_DIR: cannot use {str(self.data_dir)!r} as the data directory "
                f"({reason})."
            ) from None

    def check_database(self) -> None:
        """Connect once: an unreachable database stops a command at start, in one line."""
        url = make_url(self.database_url)
        sqlite = url.get_backend_name() == "sqlite"
        connect_args = {} if sqlite else {"connect_timeout": CONNECT_TIMEOUT}
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if str(error.orig) else "no answer"
            raise ConfigurationError(
                f"DATABASE_URL: cannot connect to the database ({reason})."
            ) from None
        finally:
            engine.dispose()

    def check_usable(self) -> None:
        """What a command checks before doing anything: the data directory, the database."""
        self.ensure_data_dir()
        self.check_database()


def _one_line(invalid: ValidationError) -> str:
    error = invalid.errors(include_url=False)[0]
    variable = str(error["loc"][0]) if error["loc"] else "the settings"
    reason = error["msg"].removeprefix("Value error, ")
    if variable in Settings.SECRET_VARIABLES or not isinstance(error.get("input"), str):
        return f"{variable}: {reason}."
    return f"{variable}: {reason} (not {error['input']!r})."
