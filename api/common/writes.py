"""The tail of every write, and how writes are documented.

A write view loads what it changes through the request's `writing_session()`, calls
`check_if_match(obj)` (api.common.concurrency) before changing anything, lets the catalogue
change it, and ends with `return write_response(obj, status)`: that commits, then answers with
the object (or what `present` makes of it) and the object's new ETag.

Document writes with `@blp.doc(**WRITE_DOC)` (updates, deletions, transitions) or
`@blp.doc(**CREATE_DOC)` (creations that can clash with an existing object).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response

from api.common.concurrency import IF_MATCH_DOC, etag_header
from service.database import writing_session

T = TypeVar("T")

# What a view returns for flask-smorest to dump: (body, status, headers).
ViewResult = tuple[Any, int, dict[str, str]]

# For @blp.doc(**WRITE_DOC) on updates, deletions and transitions: If-Match (412, 428), the
# object as addressed does not exist for the caller (404), a rule of its current state (409).
WRITE_DOC: dict[str, Any] = {
    **IF_MATCH_DOC,
    "responses": {**IF_MATCH_DOC["responses"], 404: "DEFAULT_ERROR", 409: "DEFAULT_ERROR"},
}
# For @blp.doc(**CREATE_DOC) on creations that can clash with an existing object.
CREATE_DOC: dict[str, Any] = {"responses": {409: "DEFAULT_ERROR"}}
# For @blp.doc(**NOT_FOUND_DOC) on reads of one object the caller may not see.
NOT_FOUND_DOC: dict[str, Any] = {"responses": {404: "DEFAULT_ERROR"}}


def write_response(
    obj: T,
    status: int = 200,
    present: Callable[[T], Any] | None = None,
    headers: dict[str, str] | None = None,
) -> ViewResult:
    """Commit the request's write, then answer: the body is `present(obj)` (the object itself
    by default; nothing for a 204), computed after the commit so that it shows what is
    stored, with the object's new ETag and any further `headers`."""
    writing_session().commit()
    if status == 204:
        body: Any = Response(status=204)
    else:
        body = obj if present is None else present(obj)
    return body, status, {**etag_header(obj), **(headers or {})}
