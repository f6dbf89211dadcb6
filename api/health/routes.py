"""Liveness, readiness and metrics, outside the versioned prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.observability import EXTENSION as METRICS
from service import database
from service.readiness import readiness_checks
from service.search import refresh_metrics as refresh_search_metrics

from .schemas import HealthSchema, ReadinessSchema

blp = Blueprint("health", __name__, description="Health, readiness and metrics.")


@blp.route("/healthz")
@blp.doc(operationId="getHealth")
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.doc(operationId="getReadiness")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="A dependency is unavailable.")
def readyz() -> tuple[dict[str, Any], int]:
    """Each dependency, checked: the database (answers and takes writes), the search engine
    (reachable), the index (its generation and document count against the database's
    searchable items; not ready while it is rebuilt) and the search outbox (the age of the
    oldest pending change; not ready past GPSOC_OUTBOX_LAG_LIMIT seconds)."""
    checks = {"database": _database_check()}
    for name, check in readiness_checks(current_app).items():
        try:
            checks[name] = check()
        except SQLAlchemyError as error:
            checks[name] = f"unknown: the database failed ({type(error).__name__})"
    ready = all(problem is None or getattr(problem, "ready", False) for problem in checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return body, 200 if ready else 503


@blp.route("/metrics")
@blp.doc(operationId="getMetrics")
@blp.response(200, content_type="text/plain", description="Prometheus text exposition.")
def metrics() -> Response:
    """Prometheus metrics: of every gunicorn worker under `gpsoc serve`, else of this process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = current_app.extensions[METRICS].registry
    refresh_search_metrics(current_app)
    # content_type, not mimetype: CONTENT_TYPE_LATEST names its charset already.
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _database_check() -> str | None:
    engine = database.state().engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if engine.dialect.name == "postgresql":
                read_only = connection.scalar(
                    text("SELECT current_setting('transaction_read_only')")
                )
                if read_only == "on" or connection.scalar(text("SELECT pg_is_in_recovery()")):
                    return "database is read-only (a standby, or transaction_read_only)"
    except SQLAlchemyError as error:
        return f"database unreachable: {type(error).__name__}"
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not path.startswith("file:"):
            file = Path(path)
            if not os.access(file, os.W_OK) or not os.access(file.parent, os.W_OK):
                return "database is read-only (its file or directory cannot be written)"
    return None
