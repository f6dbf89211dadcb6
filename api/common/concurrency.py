"""Optimistic concurrency: version-based ETags and If-Match checks for every write.

A writable object's ETag is derived from its type, id and version column, so it changes on
every stored change. Writes (PATCH, DELETE and transition POSTs alike) must send If-Match with
the current ETag: missing is 428, stale is 412. The version column (SQLAlchemy's
version_id_col) then guards the UPDATE itself, so of two writers holding the same ETag exactly
one succeeds.
"""

from __future__ import annotations

import hashlib

from flask import request
from flask_smorest import abort


def version_etag(kind: str, object_id: int | str, version: int) -> str:
    return hashlib.sha1(f"{kind}:{object_id}:{version}".encode()).hexdigest()


def check_if_match(kind: str, object_id: int | str, version: int) -> None:
    if not request.if_match:
        abort(428, message="This change needs an If-Match header with the current ETag.")
    if version_etag(kind, object_id, version) not in request.if_match:
        abort(412, message="The object has changed since you fetched it; fetch it again.")


def send_etag(response, kind: str, object_id: int | str, version: int):
    """Set the ETag on a response (a Flask Response), and answer 304 to a matching
    If-None-Match on GET."""
    etag = version_etag(kind, object_id, version)
    response.set_etag(etag)
    if request.method in ("GET", "HEAD") and etag in request.if_none_match:
        response = response.__class__(status=304, headers={"ETag": response.headers["ETag"]})
    return response


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
