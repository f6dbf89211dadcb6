"""What every catalogue item endpoint does, for systems (and modules) and services alike: the
view bodies `api.items.collection` mounts on the systems and the services blueprints. Each takes
the item kinds of its collection first.

Writes check in this order, so that a refusal never depends on what the caller sent: role
(@requires, on the route) -> existence as the caller may see it (404) -> ownership (403) ->
If-Match (428, 412) -> the domain rule (409, 422).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint

from api.auth import current_principal, principal
from api.common.concurrency import check_if_match, etag_header, set_etag
from api.common.writes import ViewResult, write_response
from catalogue import listings
from catalogue.errors import NotFound
from catalogue.listings import (
    accreditation,
    lifecycle,
    revisions,
    roadmap_writes,
    rules,
    writes,
)
from catalogue.models import CatalogueItem, ItemKind, ItemRevision
from catalogue.principal import Principal, Role
from service.database import get_session, writing_session
from service.pagination import page_of_list

from .filters import item_filters
from .representation import item_page_response
from .write_schemas import RevisionSchema

Kinds = frozenset[ItemKind]


def viewer_visibility() -> listings.Visibility:
    return listings.visibility_for(current_principal())


# ------------------------------------------------------------------------------------ reads
def list_items(kinds: Kinds, args: Mapping[str, Any]) -> Response:
    filters = item_filters(args, kinds, viewer_visibility())
    return item_page_response(get_session(), filters, args)


def get_item(blp: Blueprint, kinds: Kinds, item_id: int) -> CatalogueItem:
    item = listings.get_item(get_session(), item_id, kinds, viewer_visibility())
    set_etag(blp, item)
    return item


def list_prices(kinds: Kinds, args: Mapping[str, Any], item_id: int) -> dict[str, Any]:
    visibility = viewer_visibility()
    return page_of_list(args, listings.get_item(get_session(), item_id, kinds, visibility).prices)


# ----------------------------------------------------------------------- the write tail
def _for_change(
    kinds: Kinds, item_id: int, *, owner_only: bool = False
) -> tuple[Principal, CatalogueItem]:
    """The caller and the item it changes, after the checks (404, 403, If-Match)."""
    caller = principal()
    item = listings.get_item(writing_session(), item_id, kinds, listings.visibility_for(caller))
    if owner_only:
        rules.ensure_owner(caller, item)
    check_if_match(item)
    return caller, item


def _answer(item: CatalogueItem, result: Any, status: int) -> ViewResult:
    """Commit, then answer with the result, or with the pending revision it became (202)."""
    if isinstance(result, ItemRevision):
        return write_response(item, 202, partial(revision_json, revision=result))
    return write_response(item, status, lambda _item: result)


def revision_body(item: CatalogueItem, revision: ItemRevision) -> dict[str, Any]:
    pending = revision.status.value == "pending"
    return {
        **{name: getattr(revision, name) for name in RevisionSchema().fields if name != "diff"},
        "diff": revisions.diff(item, revision) if pending else None,
    }


def revision_json(item: CatalogueItem, revision: ItemRevision) -> Response:
    """The revision as a response of its own: the route's schema is the item's."""
    return jsonify(RevisionSchema().dump(revision_body(item, revision)))


# ---------------------------------------------------------------------- items and prices
def create_item(kinds: Kinds, body: dict[str, Any]) -> ViewResult:
    item = writes.create_item(writing_session(), principal(), kinds, body)
    return write_response(item, 201)


def update_item(kinds: Kinds, body: dict[str, Any], item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    return _answer(item, writes.update_item(writing_session(), caller, item, body), 200)


def create_price(kinds: Kinds, body: dict[str, Any], item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    return _answer(item, writes.create_price(writing_session(), caller, item, body), 201)


def update_price(kinds: Kinds, body: dict[str, Any], item_id: int, price_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    result = writes.update_price(writing_session(), caller, item, price_id, body)
    return _answer(item, result, 200)


def delete_price(kinds: Kinds, item_id: int, price_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    return _answer(item, writes.delete_price(writing_session(), caller, item, price_id), 204)


# -------------------------------------------------------------------------- roadmap entries
def create_roadmap_entry(kinds: Kinds, body: dict[str, Any], item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    result = roadmap_writes.create_entry(writing_session(), caller, item, body)
    return _answer(item, result, 201)


def update_roadmap_entry(
    kinds: Kinds, body: dict[str, Any], item_id: int, entry_id: int
) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    result = roadmap_writes.update_entry(writing_session(), caller, item, entry_id, body)
    return _answer(item, result, 200)


def delete_roadmap_entry(kinds: Kinds, item_id: int, entry_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    result = roadmap_writes.delete_entry(writing_session(), caller, item, entry_id)
    return _answer(item, result, 204)


# ---------------------------------------------------------------- lifecycle, accreditation
def transition(kinds: Kinds, name: str, body: Mapping[str, Any], item_id: int) -> ViewResult:
    step = lifecycle.TRANSITIONS[name]
    caller, item = _for_change(kinds, item_id, owner_only=step.role is Role.SUPPLIER)
    lifecycle.transition(writing_session(), caller, item, name, body.get("reason"))
    return write_response(item)


def grant_capability(kinds: Kinds, body: Mapping[str, Any], item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id)
    accreditation.grant(writing_session(), caller, item, body["code"])
    return write_response(item)


def remove_capability(kinds: Kinds, item_id: int, code: str) -> ViewResult:
    caller, item = _for_change(kinds, item_id)
    accreditation.remove(writing_session(), caller, item, code)
    return write_response(item)


# ------------------------------------------------------------------- the pending revision
def get_revision(kinds: Kinds, item_id: int) -> Response:
    caller = principal()
    session = get_session()
    item = listings.get_item(session, item_id, kinds, listings.visibility_for(caller))
    if not (caller.is_authority or caller.is_supplier(item.supplier_id)):
        raise NotFound(f"Item {item.id} has no pending revision.")
    response = revision_json(item, revisions.require_pending(session, item))
    response.headers.update(etag_header(item))
    return response


def approve_revision(kinds: Kinds, item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id)
    revisions.approve(writing_session(), caller, item)
    return write_response(item)


def reject_revision(kinds: Kinds, body: Mapping[str, Any], item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id)
    revision = revisions.reject(writing_session(), caller, item, body["reason"])
    return write_response(item, 200, partial(revision_json, revision=revision))


def discard_revision(kinds: Kinds, item_id: int) -> ViewResult:
    caller, item = _for_change(kinds, item_id, owner_only=True)
    revisions.discard(writing_session(), caller, item)
    return write_response(item, 204)
