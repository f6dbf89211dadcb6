"""GET /api/v1: what the API is and where to start, for a person or a program at its root."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from .schemas import ApiIndexSchema

API_PREFIX = "/api/v1"

blp = Blueprint("index", __name__, description="The API's root: links to everything else.")


def _collections() -> dict[str, str]:
    """Every readable path one level below the prefix, named by its last segment: taken from
    the routes themselves, so the list is never out of date."""
    paths = sorted(
        rule.rule
        for rule in current_app.url_map.iter_rules()
        if rule.rule.startswith(f"{API_PREFIX}/")
        and "GET" in (rule.methods or ())
        and "<" not in rule.rule
        and rule.rule.count("/") == API_PREFIX.count("/") + 1
    )
    return {path.rsplit("/", 1)[1]: path for path in paths}


@blp.route(API_PREFIX)
@blp.doc(operationId="getApiIndex")
@blp.response(200, ApiIndexSchema)
def index() -> dict[str, Any]:
    """The API's title and version, links to its OpenAPI document and documentation, and its
    collections."""
    return {
        "title": current_app.config["API_TITLE"],
        "version": str(current_app.config["API_VERSION"]),
        "openapi": "/openapi.json",
        "docs": "/docs",
        "collections": _collections(),
    }
