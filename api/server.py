"""Runs the app under gunicorn from code, so `gpsoc serve` needs no separate config file."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from api import create_app

        return create_app()


def serve(host: str, port: int, workers: int, **options) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "accesslog": None,
            "timeout": 60,
            **options,
        }
    ).run()
