"""HTTP API of the GPSoC catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `gpsoc serve` can configure the environment (Prometheus'
    # multiprocess directory) before the app's modules are loaded.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
