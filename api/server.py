"""Runs the app under gunicorn from code, so `gpsoc serve` needs no separate config file.

Slow clients must not stall the service: a sync worker is held by one connection that sends a
header line and never finishes it, or announces a body and never sends it, so two such sockets
froze the default set-up. Each worker here is a gevent worker instead: every connection is a
greenlet that costs memory, not a worker, up to WORKER_CONNECTIONS per worker, and

- a request's headers must arrive within KEEPALIVE seconds (gunicorn's gevent worker times the
  header read with the keep-alive timeout), else the connection is closed;
- every socket read or write waits at most SOCKET_TIMEOUT seconds, so a body that stops
  arriving ends in a 408 (api/common/request_input.py) and frees its greenlet.

In production put a buffering reverse proxy in front as well (nginx with its default
`proxy_request_buffering on`, or a cloud load balancer): it absorbs slow clients before they
reach a worker, and it can limit connections per client address, which this server cannot.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gunicorn.app.base import BaseApplication
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from catalogue.config import Settings

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType  # the stubs' name for a WSGI app
    from gunicorn.workers.base import Worker

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
WORKER_CONNECTIONS = 1000
KEEPALIVE = 5
SOCKET_TIMEOUT = 15
# A worker whose event loop is blocked this long (a runaway request) is restarted.
WORKER_TIMEOUT = 30


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # Newer gunicorn opens a control socket at one fixed path per user, which a second
            # server on the machine would fight over; nothing here uses it.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> _WSGIAppType:
        from api import create_app

        # Flask takes the environ as a dict, gunicorn's stubs say MutableMapping: the same call.
        return cast("_WSGIAppType", create_app())


class _GeventWorker(GeventWorker):
    """gunicorn's gevent worker, but its connections' reads and writes time out."""

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle puts the socket in blocking mode (no timeout) first.
        client.settimeout(SOCKET_TIMEOUT)
        AsyncWorker.handle(self, listener, client, addr)


def _worker_exited(_server: object, worker: Worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _prepare_metrics_dir(settings: Settings) -> None:
    """Workers are separate processes: prometheus_client's multiprocess mode lets /metrics
    report all of them, through files in a directory emptied at each start."""
    directory = Path(os.environ.get(METRICS_DIR_VARIABLE) or settings.data_dir / "metrics")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[METRICS_DIR_VARIABLE] = str(directory)


def serve(host: str, port: int, workers: int, **options: Any) -> None:
    settings = Settings.from_env()
    settings.ensure_data_dir()
    _prepare_metrics_dir(settings)  # before prometheus_client is first imported
    # One JSON line per request from the gpsoc.access logger (see api/observability.py).
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": _GeventWorker,
            "worker_connections": WORKER_CONNECTIONS,
            "keepalive": KEEPALIVE,
            "timeout": WORKER_TIMEOUT,
            "accesslog": None,
            "child_exit": _worker_exited,
            **options,
        }
    ).run()
