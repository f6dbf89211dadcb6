"""One error shape everywhere: {"code", "status", "message", "errors"?}, where `errors` maps
each field to its reasons: {"field": ["reason", ...]} (a list or object field keeps its nested
errors under its name).

Request validation (webargs) reports errors by location ({"query": {...}, "json": {...}});
they are flattened to the field names, so a client reads a bad query parameter and a bad body
field alike. A name refused in two locations of one request (rare: one schema parses each
request) is given as "location.name" for each, e.g. "query.page" and "json.page".

Every failure, from a bad query parameter to an unexpected bug, leaves through here, so no
response ever carries a stack trace.
"""

from __future__ import annotations

import http
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_smorest import Api
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from catalogue import errors as domain
from search.errors import SearchUnavailable

log = logging.getLogger(__name__)

ErrorResult = tuple[dict[str, Any], int]

DOMAIN_STATUS = {
    domain.NotFound: 404,
    domain.InvalidInput: 422,
    domain.Conflict: 409,
    domain.Forbidden: 403,
    domain.StaleVersion: 412,
}


class CatalogueApi(Api):
    def handle_http_exception(
        self, error: HTTPException
    ) -> tuple[dict[str, Any], int, Headers | dict[str, str]]:
        payload, code, headers = super().handle_http_exception(error)
        # The exception's own headers (Allow on a 405, Retry-After...), but not its HTML type.
        own = {name: value for name, value in error.get_headers() if name != "Content-Type"}
        headers = {**own, **dict(headers or {})}
        # webargs' abort keeps the marshmallow error it reports on the exception.
        if isinstance(getattr(error, "exc", None), ValidationError) and isinstance(
            payload.get("errors"), Mapping
        ):
            payload["errors"] = by_field(payload["errors"])
        if code >= 500:
            payload.pop("errors", None)
            payload["message"] = "The server could not complete the request."
        else:
            payload.setdefault("message", error.description or http.HTTPStatus(code).phrase)
        return payload, code, headers


def by_field(by_location: Mapping[str, Any]) -> dict[str, Any]:
    """{"query": {"page": [...]}, "json": {"name": [...]}} -> {"page": [...], "name": [...]}."""
    located = {
        location: errors for location, errors in by_location.items() if isinstance(errors, Mapping)
    }
    seen = Counter(name for errors in located.values() for name in errors)
    flat: dict[str, Any] = {
        location: errors for location, errors in by_location.items() if location not in located
    }  # a whole location refused, e.g. {"json": ["Invalid JSON body."]}
    for location, errors in located.items():
        for name, reasons in errors.items():
            flat[f"{location}.{name}" if seen[name] > 1 else name] = reasons
    return flat


def error_body(code: int, message: str, errors: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "status": http.HTTPStatus(code).phrase,
        "message": message,
    }
    if errors:
        body["errors"] = errors
    return body


def make_api(app: Flask) -> CatalogueApi:
    api = CatalogueApi(app)

    @app.errorhandler(domain.DomainError)
    def _domain_error(error: domain.DomainError) -> ErrorResult:
        code = next(
            (status for kind, status in DOMAIN_STATUS.items() if isinstance(error, kind)), 400
        )
        return error_body(code, error.message, error.errors), code

    @app.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError) -> ErrorResult:
        return error_body(412, "The object was changed by someone else; fetch it again."), 412

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> ErrorResult:
        log.info("integrity error: %s", error.orig)
        return error_body(409, "The change conflicts with existing data."), 409

    @app.errorhandler(DataError)
    def _out_of_range(error: DataError) -> ErrorResult:
        log.info("data error: %s", error.orig)
        return error_body(422, "A value is out of the range that can be stored."), 422

    @app.errorhandler(OperationalError)
    def _operational(error: OperationalError) -> ErrorResult:
        log.exception("database unavailable")
        return error_body(503, "The database is unavailable; try again shortly."), 503

    @app.errorhandler(SearchUnavailable)
    def _search_unavailable(error: SearchUnavailable) -> ErrorResult:
        log.warning("search unavailable: %s", error)
        return error_body(503, "Search is unavailable; try again shortly."), 503

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ErrorResult | tuple[Any, ...]:
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        log.exception("unhandled error")
        return error_body(500, "The server could not complete the request."), 500

    return api
