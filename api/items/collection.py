"""The routes every collection of catalogue items has, the same for `/systems` (systems and
modules) and `/services`: `add_item_routes(blp, collection)` mounts them on the collection's
blueprint. Reads, create and update, prices, roadmap entries, lifecycle transitions,
accreditations and the pending revision; what each does is in `views.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema

from api.auth import requires
from api.common.transitions import add_transition, camel_case, transition_summary
from api.common.writes import NOT_FOUND_DOC, WRITE_DOC, ViewResult
from catalogue.listings import lifecycle
from catalogue.models import CatalogueItem, ItemKind
from catalogue.principal import Role
from service.pagination import PageArgsSchema, page_of

from . import views
from .schemas import CatalogueItemSchema, PriceSchema, RoadmapEntrySchema
from .write_schemas import (
    AccreditationSchema,
    OptionalReasonSchema,
    PriceCreateSchema,
    PriceUpdateSchema,
    ReasonSchema,
    RevisionSchema,
    RoadmapEntryCreateSchema,
    RoadmapEntryUpdateSchema,
)

F = TypeVar("F", bound=Callable[..., Any])

HELD_AS_REVISION = (
    "On a published or suspended item the change is held as the pending revision (202), and "
    "the public keeps seeing the published item until the authority approves it."
)


@dataclass(frozen=True)
class ItemCollection:
    path: str  # "/systems"
    noun: str  # "System": names the operations (listSystems, getSystem, submitSystem...)
    kinds: frozenset[ItemKind]
    query_schema: type[Schema]
    create_schema: type[Schema]
    update_schema: type[Schema]
    list_doc: str
    get_doc: str
    prices_doc: str

    @property
    def one(self) -> str:
        return f"{self.path}/<int:item_id>"


def add_item_routes(blp: Blueprint, items: ItemCollection) -> None:
    _add_reads(blp, items)
    _add_item_writes(blp, items)
    _add_price_writes(blp, items)
    _add_roadmap_writes(blp, items)
    _add_transitions(blp, items)
    _add_accreditation(blp, items)
    _add_revision(blp, items)


def _add_reads(blp: Blueprint, items: ItemCollection) -> None:
    noun, kinds = items.noun, items.kinds

    @blp.route(items.path, endpoint=f"list_{noun.lower()}s")
    @blp.doc(operationId=f"list{noun}s")
    @blp.arguments(items.query_schema, location="query")
    @blp.response(200, page_of(CatalogueItemSchema))
    @_docstring(items.list_doc)
    def list_items(args: dict[str, Any]) -> Response:
        return views.list_items(kinds, args)

    @blp.route(items.one, endpoint=f"get_{noun.lower()}")
    @blp.doc(operationId=f"get{noun}")
    @blp.etag
    @blp.response(200, CatalogueItemSchema)
    @_docstring(items.get_doc)
    def get_item(item_id: int) -> CatalogueItem:
        return views.get_item(blp, kinds, item_id)

    @blp.route(f"{items.one}/prices", endpoint=f"list_{noun.lower()}_prices")
    @blp.doc(operationId=f"list{noun}Prices")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_of(PriceSchema))
    @_docstring(items.prices_doc)
    def list_prices(args: dict[str, Any], item_id: int) -> dict[str, Any]:
        return views.list_prices(kinds, args, item_id)


def _docstring(text: str) -> Callable[[F], F]:
    """Gives the view its docstring (the operation's summary), which differs per collection."""

    def document(view: F) -> F:
        view.__doc__ = text
        return view

    return document


def _add_item_writes(blp: Blueprint, items: ItemCollection) -> None:
    noun, kinds = items.noun, items.kinds

    @blp.route(items.path, methods=["POST"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"create{noun}")
    @blp.arguments(items.create_schema)
    @blp.response(201, CatalogueItemSchema)
    def create_item(body: dict[str, Any]) -> ViewResult:
        """List a new item, as a draft of your own (suppliers)."""
        return views.create_item(kinds, body)

    @blp.route(items.one, methods=["PATCH"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"update{noun}", **WRITE_DOC)
    @blp.arguments(items.update_schema)
    @blp.response(200, CatalogueItemSchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def update_item(body: dict[str, Any], item_id: int) -> ViewResult:
        """Change your own item: at once while a draft; as a pending revision once published."""
        return views.update_item(kinds, body, item_id)


def _add_price_writes(blp: Blueprint, items: ItemCollection) -> None:
    noun, kinds = items.noun, items.kinds
    one_price = f"{items.one}/prices/<int:price_id>"

    @blp.route(f"{items.one}/prices", methods=["POST"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"create{noun}Price", **WRITE_DOC)
    @blp.arguments(PriceCreateSchema)
    @blp.response(201, PriceSchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def create_price(body: dict[str, Any], item_id: int) -> ViewResult:
        """Add a price to your own item. If-Match is the item's ETag."""
        return views.create_price(kinds, body, item_id)

    @blp.route(one_price, methods=["PATCH"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"update{noun}Price", **WRITE_DOC)
    @blp.arguments(PriceUpdateSchema)
    @blp.response(200, PriceSchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def update_price(body: dict[str, Any], item_id: int, price_id: int) -> ViewResult:
        """Change a price of your own item. If-Match is the item's ETag."""
        return views.update_price(kinds, body, item_id, price_id)

    @blp.route(one_price, methods=["DELETE"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"delete{noun}Price", **WRITE_DOC)
    @blp.response(204)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def delete_price(item_id: int, price_id: int) -> ViewResult:
        """Remove a price from your own item. If-Match is the item's ETag."""
        return views.delete_price(kinds, item_id, price_id)


def _add_roadmap_writes(blp: Blueprint, items: ItemCollection) -> None:
    noun, kinds = items.noun, items.kinds
    one_entry = f"{items.one}/roadmap/<int:entry_id>"

    @blp.route(f"{items.one}/roadmap", methods=["POST"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"create{noun}RoadmapEntry", **WRITE_DOC)
    @blp.arguments(RoadmapEntryCreateSchema)
    @blp.response(201, RoadmapEntrySchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def create_roadmap_entry(body: dict[str, Any], item_id: int) -> ViewResult:
        """Add a planned capability to your own item's roadmap (capability, target date,
        status). If-Match is the item's ETag. Delivered accredits nothing: the authority
        grants the capability."""
        return views.create_roadmap_entry(kinds, body, item_id)

    @blp.route(one_entry, methods=["PATCH"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"update{noun}RoadmapEntry", **WRITE_DOC)
    @blp.arguments(RoadmapEntryUpdateSchema)
    @blp.response(200, RoadmapEntrySchema)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def update_roadmap_entry(body: dict[str, Any], item_id: int, entry_id: int) -> ViewResult:
        """Move a roadmap entry on (target date, status, note). If-Match is the item's ETag;
        an entry the authority accredited is a record and no longer changes (409)."""
        return views.update_roadmap_entry(kinds, body, item_id, entry_id)

    @blp.route(one_entry, methods=["DELETE"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"delete{noun}RoadmapEntry", **WRITE_DOC)
    @blp.response(204)
    @blp.alt_response(202, schema=RevisionSchema, success=True, description=HELD_AS_REVISION)
    def delete_roadmap_entry(item_id: int, entry_id: int) -> ViewResult:
        """Take an entry off your own item's roadmap. If-Match is the item's ETag."""
        return views.delete_roadmap_entry(kinds, item_id, entry_id)


def _add_transitions(blp: Blueprint, items: ItemCollection) -> None:
    for name, step in lifecycle.TRANSITIONS.items():
        if step.needs_reason or name in ("suspend", "withdraw"):
            body_schema: type[Schema] | None = (
                ReasonSchema if step.needs_reason else OptionalReasonSchema
            )
        else:
            body_schema = None
        add_transition(
            blp,
            f"{items.one}/{name}",
            endpoint=f"{name}_item",
            operation_id=f"{camel_case(name)}{items.noun}",
            summary=transition_summary(name, step.sources, step.target, step.role),
            roles=[step.role],
            response_schema=CatalogueItemSchema,
            apply=_transition_of(items.kinds, name),
            body_schema=body_schema,
        )


def _transition_of(kinds: frozenset[ItemKind], name: str) -> Callable[..., ViewResult]:
    def apply(body: dict[str, Any], item_id: int) -> ViewResult:
        return views.transition(kinds, name, body, item_id)

    return apply


def _add_accreditation(blp: Blueprint, items: ItemCollection) -> None:
    noun, kinds = items.noun, items.kinds

    @blp.route(f"{items.one}/capabilities", methods=["POST"])
    @requires(Role.AUTHORITY)
    @blp.doc(operationId=f"grant{noun}Capability", **WRITE_DOC)
    @blp.arguments(AccreditationSchema)
    @blp.response(200, CatalogueItemSchema)
    def grant_capability(body: dict[str, Any], item_id: int) -> ViewResult:
        """Accredit the item for a capability (authority); its maturity level is re-derived."""
        return views.grant_capability(kinds, body, item_id)

    @blp.route(f"{items.one}/capabilities/<string:code>", methods=["DELETE"])
    @requires(Role.AUTHORITY)
    @blp.doc(operationId=f"remove{noun}Capability", **WRITE_DOC)
    @blp.response(200, CatalogueItemSchema)
    def remove_capability(item_id: int, code: str) -> ViewResult:
        """Remove an accreditation (authority); the maturity level is re-derived."""
        return views.remove_capability(kinds, item_id, code)


def _add_revision(blp: Blueprint, items: ItemCollection) -> None:
    noun, kinds = items.noun, items.kinds

    @blp.route(f"{items.one}/revision", methods=["GET"])
    @requires(Role.SUPPLIER, Role.AUTHORITY)
    @blp.doc(operationId=f"get{noun}Revision", **NOT_FOUND_DOC)
    @blp.response(200, RevisionSchema, headers={"ETag": {"schema": {"type": "string"}}})
    def get_revision(item_id: int) -> Response:
        """The pending revision and its diff against the published item (its supplier and the
        authority). The ETag is the item's: send it to approve, reject or discard."""
        return views.get_revision(kinds, item_id)

    @blp.route(f"{items.one}/revision/approve", methods=["POST"])
    @requires(Role.AUTHORITY)
    @blp.doc(operationId=f"approve{noun}Revision", **WRITE_DOC)
    @blp.response(200, CatalogueItemSchema)
    def approve_revision(item_id: int) -> ViewResult:
        """Approve the pending revision: the published item becomes what it proposes."""
        return views.approve_revision(kinds, item_id)

    @blp.route(f"{items.one}/revision/reject", methods=["POST"])
    @requires(Role.AUTHORITY)
    @blp.doc(operationId=f"reject{noun}Revision", **WRITE_DOC)
    @blp.arguments(ReasonSchema)
    @blp.response(200, RevisionSchema)
    def reject_revision(body: dict[str, Any], item_id: int) -> ViewResult:
        """Reject the pending revision, with a reason; the published item is unchanged."""
        return views.reject_revision(kinds, body, item_id)

    @blp.route(f"{items.one}/revision", methods=["DELETE"])
    @requires(Role.SUPPLIER)
    @blp.doc(operationId=f"discard{noun}Revision", **WRITE_DOC)
    @blp.response(204)
    def discard_revision(item_id: int) -> ViewResult:
        """Discard your pending revision (to start again)."""
        return views.discard_revision(kinds, item_id)
