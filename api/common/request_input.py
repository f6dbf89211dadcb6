"""What every request must be before a view sees it, checked once for every endpoint:

- a body no larger than GPSOC_MAX_REQUEST_BYTES (413), read within the server's socket timeout
  (408 when the client stops sending);
- a JSON body that is valid JSON in UTF-8 (400), nested at most MAX_JSON_DEPTH deep (400; the
  parsers downstream recurse), whose text is Unicode (a lone surrogate such as "\\ud800" is a 422
  naming the field);
- text without control characters (422 naming the field; `catalogue.validation`'s one rule for
  both databases and for spreadsheets), in the JSON body and the query string; a path naming
  one is a 404 (no stored key can hold one).

`init_app` installs it as a `before_request` hook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn

import orjson
from flask import Flask, current_app, request
from flask_smorest import abort
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from catalogue.validation import (
    CONTROL_CHARACTER_REASON,
    CONTROL_CHARACTERS,
    FieldErrors,
    has_control_characters,
)

MAX_JSON_DEPTH = 32
NOT_UNICODE_REASON = "Not Unicode text: a lone surrogate (such as \\ud800) is not a character."


# The web pages' blueprint: people's browsers, answered with pages rather than JSON errors.
WEB_PAGES = "web"


def init_app(app: Flask) -> None:
    app.before_request(check_request)


def check_request() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        _too_large(limit)  # whatever its type, before a byte of it is read
    if limit is not None and request.content_length is None and _chunked():
        _check_chunked_body(limit)
    if request.blueprint == WEB_PAGES:
        return  # pages drop odd query text themselves (web.pages); nothing there is JSON
    errors = FieldErrors()
    for name, value in request.args.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            errors.add(_label(name), CONTROL_CHARACTER_REASON)
    errors.raise_if_any("The request contains text that is not allowed.")
    for value in (request.view_args or {}).values():
        # No key of anything stored can hold one (text input refuses them): nothing is there.
        if isinstance(value, str) and has_control_characters(value):
            abort(404, message="Nothing is at this path: it contains a control character.")
    if request.is_json:
        _check_json_body()


def _body() -> bytes:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:  # sent without a length, and longer than the limit
        _too_large(limit)
    except (ClientDisconnected, OSError):
        # The server's socket timeout (api/server.py), or the client went: a body announced
        # and never sent in full.
        abort(408, message="The request body did not arrive in time.")
    raise AssertionError("unreachable")  # abort raised


def _chunked() -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _check_chunked_body(limit: int) -> None:
    """A body sent without a length (Transfer-Encoding: chunked) is read up to the limit (and
    kept for the view); one byte more is a 413. Werkzeug's stream stops at the limit without a
    word, so the view saw the first MiB of a larger body, as invalid JSON (a 400)."""
    body = _body()
    if len(body) >= limit and request.environ["wsgi.input"].read(1):
        _too_large(limit)


def _too_large(limit: int | None) -> None:
    abort(413, message=f"The request body is larger than the limit of {limit} bytes.")


def _check_json_body() -> None:
    body = _body()
    if not body:
        return
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        _reject_invalid_json(body, error)
    if _depth_exceeds(document, MAX_JSON_DEPTH):
        abort(400, message=f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    errors = FieldErrors()
    for path, text in _strings(document):
        if has_control_characters(text):
            errors.add(path or "json", CONTROL_CHARACTER_REASON)
    errors.raise_if_any("The request contains text that is not allowed.")


def _reject_invalid_json(body: bytes, error: orjson.JSONDecodeError) -> NoReturn:
    """400 for JSON that is not JSON; 422, naming the fields, for JSON whose text escapes
    spell lone surrogates (valid JSON, but no text any database or export can hold)."""
    try:
        # orjson refuses lone surrogates; the json module reads them, so that we can say where.
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        abort(
            400,
            message=f"The request body is not valid JSON: {error}.",
            errors={"json": ["Invalid JSON body."]},
        )
    errors = FieldErrors()
    for path, text in _strings(document):
        if _has_surrogates(text):
            errors.add(path or "json", NOT_UNICODE_REASON)
    errors.raise_if_any("The request contains text that is not Unicode.")
    abort(400, message=f"The request body is not valid JSON: {error}.")
    raise AssertionError("unreachable")  # abort raised


def _label(name: str) -> str:
    """`name` fit to be a field name in an error: printable, and encodable as UTF-8."""
    readable = CONTROL_CHARACTERS.sub("\ufffd", name)
    return readable.encode("utf-8", "replace").decode("utf-8")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _depth_exceeds(document: Any, limit: int) -> bool:
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return False


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every text in `document` (object keys too) with its dotted path, without recursion."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, child in value.items():
                child_path = f"{path}.{_label(key)}" if path else _label(key)
                yield child_path, key
                pending.append((child_path, child))
        elif isinstance(value, list):
            pending.extend(
                (f"{path}.{index}" if path else str(index), child)
                for index, child in enumerate(value)
            )
