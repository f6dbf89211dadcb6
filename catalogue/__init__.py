"""The GPSoC catalogue domain: models, rules and services. Framework-free (no Flask here)."""

# Installs the search outbox hooks on every SQLAlchemy Session (see catalogue.outbox).
from . import outbox as _outbox  # noqa: E402, F401

# Installs the notification events hook: events derived from audit records (see
# catalogue.notifications.events).
from .notifications import events as _notification_events  # noqa: E402, F401
