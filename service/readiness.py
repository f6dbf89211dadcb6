"""Readiness checks beyond the database's: an extension (the search engine, say) registers one
here and /readyz runs them all."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

# A check returns None when ready, or a message saying what is wrong. A message with a true
# `ready` attribute (search.engine.Degraded: a cluster missing a replica) is reported and the
# service stays ready.
ReadinessCheck = Callable[[], str | None]

EXTENSION = "gpsoc_readiness_checks"


def add_readiness_check(app: Flask, name: str, check: ReadinessCheck) -> None:
    app.extensions.setdefault(EXTENSION, {})[name] = check


def readiness_checks(app: Flask) -> dict[str, ReadinessCheck]:
    return app.extensions.get(EXTENSION, {})


class ReadyNote(str):
    """What a check returns when all is well and it has something to report (an index's size,
    the outbox's lag): /readyz shows it and stays ready."""

    ready = True
