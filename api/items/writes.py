"""The write endpoints every kind of catalogue item has, added to the systems and the services
blueprints alike: item create and update, prices, lifecycle transitions, accreditations and the
pending revision.

Checks run in this order, so that a refusal never depends on what the caller sent: role
(@requires) -> existence as the caller may see it (404) -> ownership (403) -> If-Match (428,
412) -> the domain rule (409, 422).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, jsonify
from flask_smorest import Blueprint

from api.auth import current_principal, principal, requires
from api.common.concurrency import IF_MATCH_DOC, check_if_match, etag_data, etag_header
from api.database import get_session, writing_session
from catalogue import listings
from catalogue.errors import NotFound
from catalogue.listings import accreditation, lifecycle, revisions, rules, writes
from catalogue.models import CatalogueItem, ItemKind, ItemRevision
from catalogue.principal import Principal, Role

from .schemas import CatalogueItemSchema, PriceSchema
from .write_schemas import (
    AccreditationSchema,
    OptionalReasonSchema,
    PriceCreateSchema,
    PriceUpdateSchema,
    ReasonSchema,
    RevisionSchema,
)

ETAG_KIND = "catalogue_item"
HELD_AS_REVISION = (
    "On a published or suspended item the change is held as the pending revision (202), and "
    "the public keeps seeing the published item until the authority approves it."
)
# If-Match (412, 428), no such item as the caller sees it (404), a rule of its state (409).
WRITE_DOC = {
    **IF_MATCH_DOC,
    "responses": {**IF_MATCH_DOC["responses"], 404: "DEFAULT_ERROR", 409: "DEFAULT_ERROR"},
}


def item_etag(item: CatalogueItem) -> dict[str, str]:
    return etag_header(ETAG_KIND, item.id, item.version)


def set_item_etag(blp: Blueprint, item: CatalogueItem) -> None:
    blp.set_etag(etag_data(ETAG_KIND, item.id, item.version))


def viewer_visibility() -> listings.Visibility:
    return listings.visibility_for(current_principal())


def revision_body(item: CatalogueItem, revision: ItemRevision) -> dict:
    pending = revision.status.value == "pending"
    return {
        **{name: getattr(revision, name) for name in RevisionSchema().fields if name != "diff"},
        "diff": revisions.diff(item, revision) if pending else None,
    }


def revision_response(item: CatalogueItem, revision: ItemRevision, status: int) -> Response:
    response = jsonify(RevisionSchema().dump(revision_body(item, revision)))
    response.status_code = status
    response.headers.update(item_etag(item))
    return response


def register_item_writes(
    blp: Blueprint,
    collection: str,
    kinds: frozenset[ItemKind],
    create_schema: type,
    update_schema: type,
) -> None:
    """Add the write endpoints under `/{collection}` to `blp`."""
    base = f"/{collection}/<int:item_id>"

    def load(item_id: int, *, owner_only: bool = False) -> tuple[Principal, CatalogueItem]:
        caller = principal()
        item = listings.get_item(writing_session(), item_id, kinds, listings.visibility_for(caller))
        if owner_only:
            rules.ensure_owner(caller, item)
        check_if_match(ETAG_KIND, item.id, item.version)
        return caller, item

    def done(item: CatalogueItem, result, status: int, kind: str = "item"):
        """Commit, then answer with the result (or the pending revision, as a 202)."""
        writing_session().commit()
        if isinstance(result, ItemRevision):
            return revision_response(item, result, 202)
        if status == 204:
            return Response(status=204, headers=item_etag(item))
        return result, status, item_etag(item)

    @blp.route(f"/{collection}", methods=["POST"])
    @requires(Role.SUPPLIER)
    @blp.arguments(create_schema)
    @blp.response(201, CatalogueItemSchema)
    def create_item(body):
        """List a new item, as a draft of your own (suppliers)."""
        session = writing_session()
        item = writes.create_item(session, principal(), kinds, body)
        session.commit()
        return item, 201, item_etag(item)

    @blp.route(base, methods=["PATCH"])
    @requires(Role.SUPPLIER)
    @blp.doc(**WRITE_DOC)
    @blp.arguments(update_schema)
    @blp.response(200, CatalogueItemSchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def update_item(body, item_id):
        """Change your own item: at once while a draft; as a pending revision once published."""
        caller, item = load(item_id, owner_only=True)
        result = writes.update_item(writing_session(), caller, item, body)
        return done(item, result, 200)

    @blp.route(f"{base}/prices", methods=["POST"])
    @requires(Role.SUPPLIER)
    @blp.doc(**WRITE_DOC)
    @blp.arguments(PriceCreateSchema)
    @blp.response(201, PriceSchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def create_price(body, item_id):
        """Add a price to your own item. If-Match is the item's ETag."""
        caller, item = load(item_id, owner_only=True)
        result = writes.create_price(writing_session(), caller, item, body)
        return done(item, result, 201)

    @blp.route(f"{base}/prices/<int:price_id>", methods=["PATCH"])
    @requires(Role.SUPPLIER)
    @blp.doc(**WRITE_DOC)
    @blp.arguments(PriceUpdateSchema)
    @blp.response(200, PriceSchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def update_price(body, item_id, price_id):
        """Change a price of your own item. If-Match is the item's ETag."""
        caller, item = load(item_id, owner_only=True)
        result = writes.update_price(writing_session(), caller, item, price_id, body)
        return done(item, result, 200)

    @blp.route(f"{base}/prices/<int:price_id>", methods=["DELETE"])
    @requires(Role.SUPPLIER)
    @blp.doc(**WRITE_DOC)
    @blp.response(204)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def delete_price(item_id, price_id):
        """Remove a price from your own item. If-Match is the item's ETag."""
        caller, item = load(item_id, owner_only=True)
        result = writes.delete_price(writing_session(), caller, item, price_id)
        return done(item, result, 204)

    for name, step in lifecycle.TRANSITIONS.items():
        _add_transition(blp, base, name, step, load, done)

    @blp.route(f"{base}/capabilities", methods=["POST"])
    @requires(Role.AUTHORITY)
    @blp.doc(**WRITE_DOC)
    @blp.arguments(AccreditationSchema)
    @blp.response(200, CatalogueItemSchema)
    def grant_capability(body, item_id):
        """Accredit the item for a capability (authority); its maturity level is re-derived."""
        caller, item = load(item_id)
        accreditation.grant(writing_session(), caller, item, body["code"])
        return done(item, item, 200)

    @blp.route(f"{base}/capabilities/<string:code>", methods=["DELETE"])
    @requires(Role.AUTHORITY)
    @blp.doc(**WRITE_DOC)
    @blp.response(200, CatalogueItemSchema)
    def remove_capability(item_id, code):
        """Remove an accreditation (authority); the maturity level is re-derived."""
        caller, item = load(item_id)
        accreditation.remove(writing_session(), caller, item, code)
        return done(item, item, 200)

    @blp.route(f"{base}/revision", methods=["GET"])
    @requires(Role.SUPPLIER, Role.AUTHORITY)
    @blp.doc(responses={404: "DEFAULT_ERROR"})
    @blp.response(200, RevisionSchema, headers={"ETag": {"schema": {"type": "string"}}})
    def get_revision(item_id):
        """The pending revision and its diff against the published item (its supplier and the
        authority). The ETag is the item's: send it to approve, reject or discard."""
        caller = principal()
        session = get_session()
        item = listings.get_item(session, item_id, kinds, listings.visibility_for(caller))
        if not (caller.is_authority or caller.is_supplier(item.supplier_id)):
            raise NotFound(f"Item {item.id} has no pending revision.")
        revision = revisions.require_pending(session, item)
        return revision_response(item, revision, 200)

    @blp.route(f"{base}/revision/approve", methods=["POST"])
    @requires(Role.AUTHORITY)
    @blp.doc(**WRITE_DOC)
    @blp.response(200, CatalogueItemSchema)
    def approve_revision(item_id):
        """Approve the pending revision: the published item becomes what it proposes."""
        caller, item = load(item_id)
        revisions.approve(writing_session(), caller, item)
        return done(item, item, 200)

    @blp.route(f"{base}/revision/reject", methods=["POST"])
    @requires(Role.AUTHORITY)
    @blp.doc(**WRITE_DOC)
    @blp.arguments(ReasonSchema)
    @blp.response(200, RevisionSchema)
    def reject_revision(body, item_id):
        """Reject the pending revision, with a reason; the published item is unchanged."""
        caller, item = load(item_id)
        revision = revisions.reject(writing_session(), caller, item, body["reason"])
        writing_session().commit()
        return revision_response(item, revision, 200)

    @blp.route(f"{base}/revision", methods=["DELETE"])
    @requires(Role.SUPPLIER)
    @blp.doc(**WRITE_DOC)
    @blp.response(204)
    def discard_revision(item_id):
        """Discard your pending revision (to start again)."""
        caller, item = load(item_id, owner_only=True)
        revisions.discard(writing_session(), caller, item)
        return done(item, None, 204)


def _add_transition(
    blp: Blueprint,
    base: str,
    name: str,
    step: lifecycle.Transition,
    load: Callable,
    done: Callable,
) -> None:
    owner_only = step.role is Role.SUPPLIER
    sources = ", ".join(sorted(s.value for s in step.sources))
    summary = f"{name.capitalize()}: {sources} -> {step.target.value} ({step.role.value})."
    decorators = [
        blp.route(f"{base}/{name}", methods=["POST"], endpoint=f"{name}_item"),
        requires(step.role),
        blp.doc(summary=summary, **WRITE_DOC),
    ]
    if step.needs_reason or name in ("suspend", "withdraw"):
        schema = ReasonSchema if step.needs_reason else OptionalReasonSchema
        decorators.append(blp.arguments(schema))

        def view(body, item_id):
            caller, item = load(item_id, owner_only=owner_only)
            lifecycle.transition(writing_session(), caller, item, name, body.get("reason"))
            return done(item, item, 200)
    else:

        def view(item_id):
            caller, item = load(item_id, owner_only=owner_only)
            lifecycle.transition(writing_session(), caller, item, name)
            return done(item, item, 200)

    view.__name__ = f"{name}_item"
    view.__doc__ = summary
    decorators.append(blp.response(200, CatalogueItemSchema))
    for decorator in reversed(decorators):
        view = decorator(view)
