"""Request ids, structured access logs and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from service.search import METRICS_EXTENSION

log = logging.getLogger("gpsoc.access")
EXTENSION = METRICS_EXTENSION  # service.search records the search metrics there too
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gpsoc_http_requests_total",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gpsoc_http_request_duration_seconds",
            "HTTP request latency by endpoint.",
            ["endpoint"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        # Search: the outbox and the index (set by service.search; under gunicorn the
        # most recent value any worker saw is reported).
        self.outbox_pending = Gauge(
            "gpsoc_search_outbox_pending",
            "Search outbox rows waiting to be indexed.",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.outbox_oldest_age = Gauge(
            "gpsoc_search_outbox_oldest_age_seconds",
            "How long the oldest pending search outbox row has waited.",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.index_documents = Gauge(
            "gpsoc_search_index_documents",
            "Documents in the search index.",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.drain_duration = Histogram(
            "gpsoc_search_drain_duration_seconds",
            "Time to drain the search outbox into the engine, per drain that found work.",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.drain_failures = Counter(
            "gpsoc_search_drain_failures",
            "Drains of the search outbox that the engine failed (the rows stay pending).",
            registry=self.registry,
        )
        self.index_rebuilds = Counter(
            "gpsoc_search_index_rebuilds",
            "Rebuilds of a missing, damaged, outdated or empty search index by the keeper.",
            registry=self.registry,
        )


def init_app(app: Flask) -> None:
    metrics = Metrics()
    app.extensions[EXTENSION] = metrics

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.latency.labels(endpoint).observe(elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if log.isEnabledFor(logging.INFO):
            # The query string may be logged; headers (and so tokens) never are.
            log.info(
                json.dumps(
                    {
                        "request_id": g.get("request_id"),
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round(elapsed * 1000, 2),
                    }
                )
            )
        return response
