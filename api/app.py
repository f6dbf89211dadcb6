"""The application factory: the one place where the app, its extensions and blueprints meet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from catalogue.config import Settings
from catalogue.db import make_engine
from service import database, notify
from service import search as search_extension
from web import init_app as init_web

from . import auth, docs, errors, headers, observability
from .audit_events import anchoring
from .common import converters, openapi, request_input
from .json import OrjsonProvider
from .resources import register_resources


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    converters.install(app)
    config = dict(config or {})
    settings = Settings.from_env()
    if "GPSOC_DATA_DIR" in config:
        settings = settings.replace(data_dir=Path(config["GPSOC_DATA_DIR"]))
    app.config.update(
        API_TITLE="GPSoC catalogue",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS_URL,
        # Operations folded under their tags: Swagger UI stops drawing an API of this size
        # (136 operations) part-way through the first tag when they all start unfolded.
        OPENAPI_SWAGGER_UI_CONFIG={"docExpansion": "none"},
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Catalogue and procurement service of a GP IT supplier framework in the "
                    "shape of GP Systems of Choice (GPSoC)."
                )
            },
        },
        MAX_PAGE_SIZE=100,
        # Werkzeug refuses larger bodies wherever they are read (413; api/common/request_input).
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        GPSOC_SETTINGS=settings,
        DATABASE_URL=settings.database_url,
    )
    app.config.update(config)
    app.json = OrjsonProvider(app)

    engine = app.config.get("DATABASE_ENGINE")
    if engine is None:
        if app.config["DATABASE_URL"] == settings.database_url:
            settings.ensure_data_dir()
        engine = make_engine(app.config["DATABASE_URL"])
    database.init_app(app, engine)
    search_extension.init_app(app, settings)
    notify.init_app(app, settings)

    api = errors.make_api(app)
    converters.document(api)
    openapi.install(api)
    observability.init_app(app)
    auth.init_app(app, api)
    request_input.init_app(app)
    docs.init_app(app)
    headers.init_app(app, settings.hsts_seconds)
    anchoring.init_app(app, settings.audit_anchor_interval)
    register_resources(api)
    init_web(app)  # the web pages, beside the API
    if settings.trusted_proxies:
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # as Flask's docs do it
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app
