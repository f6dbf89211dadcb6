from typing import Any

from flask_smorest import Blueprint

from api.items.collection import ItemCollection, add_item_routes
from api.items.schemas import CatalogueItemSchema
from api.items.views import viewer_visibility
from catalogue import listings
from service.database import get_session
from service.pagination import PageArgsSchema, page_of, page_of_list

from .schemas import SystemCreateSchema, SystemQueryArgsSchema, SystemUpdateSchema

blp = Blueprint(
    "systems", __name__, description="Principal GP clinical systems and subsidiary modules."
)

SYSTEMS = ItemCollection(
    path="/systems",
    noun="System",
    kinds=listings.SYSTEM_KINDS,
    query_schema=SystemQueryArgsSchema,
    create_schema=SystemCreateSchema,
    update_schema=SystemUpdateSchema,
    list_doc=(
        "Systems and modules by name, filtered: the published ones, plus a supplier's own in any\n"
        "status (the authority sees all)."
    ),
    get_doc="One system or module (as published; its pending revision is at .../revision).",
    prices_doc="The prices of a system or module.",
)
add_item_routes(blp, SYSTEMS)


@blp.route("/systems/<int:item_id>/services")
@blp.doc(operationId="listSystemServices")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(CatalogueItemSchema))
def list_system_services(args: dict[str, Any], item_id: int) -> dict[str, Any]:
    """Services offered for a system: its own and its supplier's on the same framework."""
    session = get_session()
    visibility = viewer_visibility()
    system = listings.get_item(session, item_id, listings.SYSTEM_KINDS, visibility)
    return page_of_list(args, listings.services_for_system(session, system, visibility))
