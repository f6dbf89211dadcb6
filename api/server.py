"""Runs the app under gunicorn from code, so `gpsoc serve` needs no separate config file."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gunicorn.app.base import BaseApplication

from catalogue.config import Settings

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType  # the stubs' name for a WSGI app
    from gunicorn.workers.base import Worker

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


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
        return cast("_WSGIAppType", create_app({"GPSOC_SERVING": True}))


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
            "accesslog": None,
            "timeout": 60,
            "child_exit": _worker_exited,
            **options,
        }
    ).run()
