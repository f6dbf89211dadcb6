"""Optimistic concurrency: version-based ETags and If-Match checks for every write.

A writable object's ETag is derived from its model, its identity and its version column, so
it changes on every stored change. Callers pass the object; the model decides the rest:

- GET one object: decorate with `@blp.etag` and call `set_etag(blp, obj)` in the view;
  flask-smorest then answers If-None-Match with 304.
- Every write (PATCH, DELETE and transition POSTs alike): call `check_if_match(obj)` before
  changing anything (missing If-Match: 428; stale: 412), and answer through
  `api.common.writes.write_response`, which sends the new ETag. Don't put `@blp.etag` on writes.

The version column (SQLAlchemy's version_id_col) also guards the UPDATE itself, so of two
writers that sent the same ETag exactly one succeeds; the loser's StaleDataError is a 412.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import request
from flask_smorest import Blueprint, abort
from flask_smorest.etag import EtagMixin

from catalogue.models import (
    CallOffMigration,
    CallOffOrder,
    Capability,
    CatalogueItem,
    Framework,
    Lot,
    MaturityLevel,
    Organisation,
    Selection,
    SelectionEvaluator,
    WebhookEndpoint,
)


class _EtagKey(NamedTuple):
    kind: str  # hashed into the ETag: renaming one would invalidate every ETag clients hold
    identity: str  # the attribute clients address the object by


ETAG_KEYS: dict[type, _EtagKey] = {
    CatalogueItem: _EtagKey("catalogue_item", "id"),
    Capability: _EtagKey("capability", "id"),
    Framework: _EtagKey("framework", "id"),
    Lot: _EtagKey("lot", "id"),
    MaturityLevel: _EtagKey("maturity_level", "id"),
    Organisation: _EtagKey("organisation", "id"),
    Selection: _EtagKey("selection", "id"),
    SelectionEvaluator: _EtagKey("selection_evaluator", "id"),
    CallOffOrder: _EtagKey("order", "call_off_id"),
    CallOffMigration: _EtagKey("order-migration", "notice_key"),
    WebhookEndpoint: _EtagKey("webhook_endpoint", "id"),
}


def etag_value(kind: str, object_id: int | str, version: int) -> str:
    """The ETag (unquoted) of the object of `kind` with that identity at that version."""
    return EtagMixin._generate_etag(_etag_data(kind, object_id, version))


def _etag_data(kind: str, object_id: int | str, version: int) -> dict[str, Any]:
    return {"kind": kind, "id": object_id, "version": version}


def etag_data(obj: Any) -> dict[str, Any]:
    """What an object's ETag is computed from (flask-smorest hashes it)."""
    key = ETAG_KEYS[type(obj)]
    return _etag_data(key.kind, getattr(obj, key.identity), obj.version)


def etag_of(obj: Any) -> str:
    return EtagMixin._generate_etag(etag_data(obj))


def etag_header(obj: Any) -> dict[str, str]:
    """The ETag response header of the object as now stored."""
    return {"ETag": f'"{etag_of(obj)}"'}


def set_etag(blp: Blueprint, obj: Any) -> None:
    """The ETag of a GET (under `@blp.etag`): If-None-Match with it answers 304."""
    blp.set_etag(etag_data(obj))


def check_if_match(obj: Any) -> None:
    """Refuse a write unless If-Match names the object's current ETag (428, 412)."""
    if not request.if_match:
        abort(428, message="This change needs an If-Match header with the current ETag.")
    if request.if_match.star_tag:
        # "*" matches whatever is stored now, which is exactly what must not be assumed.
        abort(428, message="If-Match must name the ETag you last fetched, not '*'.")
    if etag_of(obj) not in request.if_match:
        abort(412, message="The object has changed since you fetched it; fetch it again.")


# One or more entity tags (RFC 9110 8.8.3), none of them "*" (etagc without the asterisk).
_ENTITY_TAG = r'(W/)?"[!#-)+-~]*"'
ENTITY_TAGS = rf"^\s*{_ENTITY_TAG}(\s*,\s*{_ENTITY_TAG})*\s*$"

# The If-Match header and its refusals, as the OpenAPI document shows them on every write.
IF_MATCH_DOC: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            # Entity tags, as the ETag header gave them; never "*" (a 428: it would match
            # whatever is stored now, which is exactly what must not be assumed).
            "schema": {"type": "string", "pattern": ENTITY_TAGS},
            "description": "The ETag of the object as last fetched (not *).",
        }
    ],
    "responses": {412: "DEFAULT_ERROR", 428: "DEFAULT_ERROR"},
}
