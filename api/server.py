"""Runs the app under gunicorn from code, so `gpsoc serve` needs no separate config file.

Slow clients must not stall the service: a sync worker is held by one connection that sends a
header line and never finishes it, or announces a body and never sends it, so two such sockets
froze the default set-up. Each worker here is a gevent worker instead: every connection is a
greenlet that costs memory, not a worker, up to WORKER_CONNECTIONS per worker, and

- a request's headers must arrive within KEEPALIVE seconds (gunicorn's gevent worker times the
  header read with the keep-alive timeout), else the connection is closed;
- every socket read or write waits at most SOCKET_TIMEOUT seconds, so a body that stops
  arriving ends in a 408 (api/common/request_input.py) and frees its greenlet;
- a whole body must arrive within GPSOC_BODY_READ_TIMEOUT seconds (30), however it trickles,
  else 408 too (api/serving_limits.py);
- one client address holds at most GPSOC_MAX_CONNECTIONS_PER_CLIENT connections (100) per
  worker; more are answered 429 and closed, so one client cannot take all WORKER_CONNECTIONS.

In production put a buffering reverse proxy in front as well (nginx with its default
`proxy_request_buffering on`, or a cloud load balancer): it absorbs slow clients before they
reach a worker. Every connection then comes from the proxy: set
GPSOC_MAX_CONNECTIONS_PER_CLIENT=0 and bound clients in the proxy instead (nginx:
`limit_conn` per `$binary_remote_addr`, `client_body_timeout`).
"""

from __future__ import annotations

import contextlib
import http
import json
import logging
import os
import shutil
import socket
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as gunicorn_errors
from gunicorn.http.errors import (
    ExpectationFailed,
    ForbiddenProxyRequest,
    LimitRequestHeaders,
    LimitRequestLine,
    ParseException,
    UnsupportedTransferCoding,
)
from gunicorn.workers.base import Worker
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from api.serving_limits import BodyDeadline, ClientConnections, too_many_connections
from catalogue.config import Settings

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType  # the stubs' name for a WSGI app
    from gunicorn.http.message import Request

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
        # GPSOC_SERVING: this worker keeps search in step (api/search/extension.py).
        app = create_app({"GPSOC_SERVING": True})
        seconds = app.config["GPSOC_SETTINGS"].body_read_timeout
        return cast("_WSGIAppType", BodyDeadline(app, seconds))


class _GeventWorker(GeventWorker):
    """gunicorn's gevent worker, but its connections' reads and writes time out, and one client
    address holds at most `max_connections_per_client` of them (0: no cap)."""

    max_connections_per_client = 0

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle puts the socket in blocking mode (no timeout) first.
        client.settimeout(SOCKET_TIMEOUT)
        counts = self.__dict__.setdefault(
            "_client_connections", ClientConnections(self.max_connections_per_client)
        )
        address = str(addr[0]) if isinstance(addr, tuple) and addr else ""
        if not counts.admit(address):
            with contextlib.suppress(OSError):  # gone already: nothing to tell
                util.write_nonblock(client, too_many_connections(counts.limit))
            util.close(client)
            return
        try:
            AsyncWorker.handle(self, listener, client, addr)
        finally:
            counts.release(address)


def capped_worker(limit: int) -> type[_GeventWorker]:
    """The gevent worker with a cap of `limit` connections per client address."""
    return type("CappedGeventWorker", (_GeventWorker,), {"max_connections_per_client": limit})


# A response header the app sent that gunicorn refuses is the app's fault (gunicorn 27 names
# these; older stubs do not know them).
_APP_FAULTS = tuple(
    getattr(gunicorn_errors, name)
    for name in ("InvalidResponseHeader", "InvalidResponseHeaderName")
    if hasattr(gunicorn_errors, name)
)

# What gunicorn answers itself, before the app sees a request: the statuses are gunicorn's own.
_GUNICORN_STATUSES: tuple[
    tuple[type[BaseException] | tuple[type[BaseException], ...], int], ...
] = (
    (_APP_FAULTS, 500),
    (LimitRequestLine, 414),
    (LimitRequestHeaders, 431),
    (ExpectationFailed, 417),
    (UnsupportedTransferCoding, 501),
    ((ForbiddenProxyRequest, ssl.SSLError), 403),
    (ParseException, 400),
)


def gunicorn_error_body(error: BaseException) -> tuple[int, bytes]:
    """The status and the body, in the API's one error shape, of a request gunicorn refuses
    before the app sees it (a request line over the limit, too many headers, a malformed
    request...), or of a failure it catches."""
    status = next((code for kind, code in _GUNICORN_STATUSES if isinstance(error, kind)), 500)
    message = str(error) if status < 500 else "The server could not complete the request."
    body = {"code": status, "status": http.HTTPStatus(status).phrase, "message": message}
    return status, json.dumps(body).encode()


def _answer_in_json(
    worker: Worker,
    _req: Request | None,
    client: socket.socket,
    addr: Any,
    error: BaseException,
) -> None:
    status, body = gunicorn_error_body(error)
    if status >= 500:
        worker.log.exception("Error handling request")
    else:
        worker.log.warning("Invalid request from %s: %s", (addr or ("",))[0], error)
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    try:
        util.write_nonblock(client, head.encode("latin-1") + body)
    except Exception:  # the client has gone: nothing more to tell it
        worker.log.debug("Failed to send error message.")


def json_errors(worker_class: type[Worker]) -> type[Worker]:
    """`worker_class` answering gunicorn's own errors (400, 414, 431...) in the API's JSON
    error shape rather than gunicorn's HTML page; wrap whichever worker class serves."""
    return type(f"Json{worker_class.__name__}", (worker_class,), {"handle_error": _answer_in_json})


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
            "worker_class": json_errors(capped_worker(settings.max_connections_per_client)),
            "worker_connections": WORKER_CONNECTIONS,
            "keepalive": KEEPALIVE,
            "timeout": WORKER_TIMEOUT,
            "accesslog": None,
            "child_exit": _worker_exited,
            **options,
        }
    ).run()
