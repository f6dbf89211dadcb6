"""The GPSoC catalogue domain: models, rules and services. Framework-free (no Flask here)."""

# Installs the search outbox hooks on every SQLAlchemy Session (see catalogue.outbox).
from . import outbox as _outbox  # noqa: E402, F401
