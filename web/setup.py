"""Wiring the web front end into the app: the NHS.UK assets, the session cookie, CSRF, security
headers and the pages."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import cast

from flask import Blueprint, Flask, Response, g, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from catalogue.config import Settings

from . import (
    account_pages,
    catalogue_pages,
    compare_page,
    forms,
    item_pages,
    notification_pages,
    order_form_pages,
    order_funding_pages,
    order_pages,
    pages,
    review_pages,
    search_page,
    selection_evaluator_pages,
    selection_pages,
    selection_scoring_pages,
    signing_in,
    supplier_pages,
    webhook_pages,
)

log = logging.getLogger(__name__)

# npm installs nhsuk-frontend beside the code (package.json at the top of the repository).
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
NHSUK_DIST = NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk"
SESSION_HOURS = 8

# Each page module adds its routes to pages.blueprint when imported: here, and only here, so that
# the blueprint is complete before it is registered (and web.pages never imports a page).
PAGE_MODULES = (
    account_pages,
    catalogue_pages,
    compare_page,
    forms,
    item_pages,
    notification_pages,
    order_form_pages,
    order_funding_pages,
    order_pages,
    review_pages,
    search_page,
    selection_evaluator_pages,
    selection_pages,
    selection_scoring_pages,
    supplier_pages,
    webhook_pages,
)


def secret_key(settings: Settings) -> str:
    """GPSOC_SECRET_KEY, or else a random key kept in the data directory (readable by its owner
    only), so that sessions survive a restart and every server process shares it."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    data_dir = settings.data_dir
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as out:
        out.write(key)
    return key


def init_app(app: Flask) -> None:
    settings: Settings = app.config["GPSOC_SETTINGS"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(settings)
    cookie = {
        "SESSION_COOKIE_NAME": "gpsoc_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies travel over HTTPS only: on wherever the service is served over HTTPS.
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=SESSION_HOURS),
    }
    for key, value in cookie.items():
        if app.config.get(key) == Flask.default_config.get(key):  # not set by the caller
            app.config[key] = value
    # CSRF is checked on every form of the web pages (see pages.py), not on the token API.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", SESSION_HOURS * 3600)
    pages.csrf.init_app(app)
    signing_in.init_app(app)

    if not NHSUK_DIST.is_dir():
        log.warning("nhsuk-frontend is not installed (run `npm ci`): pages will have no styles")
    # The design system's stylesheet refers to its images at /assets/images/...
    app.register_blueprint(
        Blueprint(
            "nhsuk_assets",
            __name__,
            static_folder=str(NHSUK_DIST / "assets"),
            static_url_path="/assets",
        )
    )
    app.register_blueprint(
        Blueprint(
            "nhsuk_frontend",
            __name__,
            static_folder=str(NHSUK_DIST),
            static_url_path="/assets/nhsuk",
        )
    )
    app.register_blueprint(pages.blueprint)
    app.after_request(_security_headers)
    _pages_for_unknown_addresses(app)


# Addresses of the API and the service's machinery: an unknown one there is the API's JSON 404.
MACHINE_PATHS = ("/api/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics", "/assets/")


def _pages_for_unknown_addresses(app: Flask) -> None:
    """A person who mistypes an address gets the design system's "Page not found"; the API
    and programs asking for JSON keep the API's error shape."""
    api_handler = app.error_handler_spec[None][None].get(HTTPException)

    def not_found(error: HTTPException) -> ResponseReturnValue:
        wants_page = request.accept_mimetypes.accept_html and not request.path.startswith(
            MACHINE_PATHS
        )
        if wants_page or api_handler is None:
            g.csp_nonce = secrets.token_urlsafe(16)
            body, status = pages.error_page(
                404, "If you typed the web address, check it is correct."
            )
            return _security_headers(Response(body, status, mimetype="text/html"), force=True)
        return cast(ResponseReturnValue, api_handler(error))  # the API's handlers are not async

    app.register_error_handler(404, not_found)


def _security_headers(response: Response, force: bool = False) -> Response:
    if request.blueprint != pages.blueprint.name and not force:
        return response
    nonce = g.get("csp_nonce", "")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
