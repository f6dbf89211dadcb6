"""Liveness, readiness and metrics, outside the versioned prefix."""

from __future__ import annotations

import os
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
    """The database (and every other dependency) answers."""
    checks = {"database": _database_check()}
    for name, check in readiness_checks(current_app).items():
        checks[name] = check()
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
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _database_check() -> str | None:
    try:
        with database.state().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return f"database unreachable: {type(error).__name__}"
    return None
