"""HTTP API of the GPSoC catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import json_numbers as _json_numbers

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]

# Before any route is declared: every operation's body reads 32.0 as the integer 32.
_json_numbers.install()


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `gpsoc serve` can configure the environment (Prometheus'
    # multiprocess directory) before the app's modules are loaded.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
