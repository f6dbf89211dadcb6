"""HTTP API of the GPSoC catalogue."""

from .app import create_app

__all__ = ["create_app"]
