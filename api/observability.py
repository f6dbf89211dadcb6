"""Request ids, structured access logs and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger("gpsoc.access")
EXTENSION = "gpsoc_metrics"
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
