"""Optimistic concurrency: version-based ETags and If-Match checks for every write.

A writable object's ETag is derived from its kind, id and version column, so it changes on
every stored change. Use it like this:

- GET one object: decorate with `@blp.etag` and call `blp.set_etag(etag_data(kind, obj.id,
  obj.version))` in the view; flask-smorest then answers If-None-Match with 304.
- Every write (PATCH, DELETE and transition POSTs alike): call `check_if_match(kind, obj.id,
  obj.version)` before changing anything (missing If-Match: 428; stale: 412), and return the
  new ETag with `etag_header(...)` in the response headers. Don't put `@blp.etag` on writes.

The version column (SQLAlchemy's version_id_col) also guards the UPDATE itself, so of two
writers that sent the same ETag exactly one succeeds; the loser's StaleDataError is a 412.
"""

from __future__ import annotations

from flask import request
from flask_smorest import abort
from flask_smorest.etag import EtagMixin


def etag_data(kind: str, object_id: int | str, version: int) -> dict:
    return {"kind": kind, "id": object_id, "version": version}


def etag_value(kind: str, object_id: int | str, version: int) -> str:
    return EtagMixin._generate_etag(etag_data(kind, object_id, version))


def etag_header(kind: str, object_id: int | str, version: int) -> dict[str, str]:
    return {"ETag": f'"{etag_value(kind, object_id, version)}"'}


def check_if_match(kind: str, object_id: int | str, version: int) -> None:
    if not request.if_match:
        abort(428, message="This change needs an If-Match header with the current ETag.")
    if request.if_match.star_tag:
        # "*" matches whatever is stored now, which is exactly what must not be assumed.
        abort(428, message="If-Match must name the ETag you last fetched, not '*'.")
    if etag_value(kind, object_id, version) not in request.if_match:
        abort(412, message="The object has changed since you fetched it; fetch it again.")


# For @blp.doc(**IF_MATCH_DOC) on writes, so the OpenAPI document tells the truth.
IF_MATCH_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": "The ETag of the object as last fetched.",
        }
    ],
    "responses": {412: "DEFAULT_ERROR", 428: "DEFAULT_ERROR"},
}
