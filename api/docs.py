"""Serves the Swagger UI assets from the installed package, so /docs needs no CDN."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask

ASSETS_URL = "/docs/assets/"  # as flask-smorest wants it: with the trailing slash
ASSETS_DIR = Path(flask_swagger_ui.__file__).parent / "dist"


def init_app(app: Flask) -> None:
    assets = Blueprint(
        "docs_assets",
        __name__,
        static_folder=str(ASSETS_DIR),
        static_url_path=ASSETS_URL.rstrip("/"),
    )
    app.register_blueprint(assets)
