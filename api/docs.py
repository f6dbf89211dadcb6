"""Serves the Swagger UI assets from the installed package, so /docs needs no CDN."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, redirect
from werkzeug.wrappers import Response

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
    # The UI is at /docs; /docs/ (as people type it) is the same page.
    app.add_url_rule("/docs/", endpoint="docs_slash", view_func=_to_docs)


def _to_docs() -> Response:
    return redirect("/docs", code=301)
