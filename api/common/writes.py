"""Small helpers shared by write endpoints."""

from __future__ import annotations

from api.common.concurrency import IF_MATCH_DOC

# For @blp.doc(**UPDATE_DOC) on updates and transitions: If-Match (412, 428), the object as
# addressed does not exist (404), a rule of its current state (409).
UPDATE_DOC = {
    **IF_MATCH_DOC,
    "responses": {**IF_MATCH_DOC["responses"], 404: "DEFAULT_ERROR", 409: "DEFAULT_ERROR"},
}
# For @blp.doc(**CREATE_DOC) on creations that can clash with an existing object.
CREATE_DOC = {"responses": {409: "DEFAULT_ERROR"}}
