from flask_smorest import Blueprint

from api.common.pagination import page_of
from api.database import get_session
from api.items.filters import item_filters
from api.items.representation import item_page_response
from api.items.schemas import CatalogueItemSchema, PriceSchema
from api.items.writes import register_item_writes, set_item_etag, viewer_visibility
from catalogue import listings

from .schemas import SystemCreateSchema, SystemQueryArgsSchema, SystemUpdateSchema

blp = Blueprint(
    "systems", __name__, description="Principal GP clinical systems and subsidiary modules."
)


@blp.route("/systems")
@blp.arguments(SystemQueryArgsSchema, location="query")
@blp.response(200, page_of(CatalogueItemSchema))
def list_systems(args):
    """Systems and modules by name, filtered: the published ones, plus a supplier's own in any
    status (the authority sees all)."""
    filters = item_filters(args, listings.SYSTEM_KINDS, viewer_visibility())
    return item_page_response(get_session(), filters, args["page"], args["page_size"])


@blp.route("/systems/<int:item_id>")
@blp.etag
@blp.response(200, CatalogueItemSchema)
def get_system(item_id):
    """One system or module (as published; its pending revision is at .../revision)."""
    item = listings.get_item(get_session(), item_id, listings.SYSTEM_KINDS, viewer_visibility())
    set_item_etag(blp, item)
    return item


@blp.route("/systems/<int:item_id>/prices")
@blp.response(200, PriceSchema(many=True))
def list_system_prices(item_id):
    """The prices of a system or module."""
    visibility = viewer_visibility()
    return listings.get_item(get_session(), item_id, listings.SYSTEM_KINDS, visibility).prices


@blp.route("/systems/<int:item_id>/services")
@blp.response(200, CatalogueItemSchema(many=True))
def list_system_services(item_id):
    """Services offered for a system: its own and its supplier's on the same framework."""
    session = get_session()
    visibility = viewer_visibility()
    system = listings.get_item(session, item_id, listings.SYSTEM_KINDS, visibility)
    return listings.services_for_system(session, system, visibility)


register_item_writes(blp, "systems", listings.SYSTEM_KINDS, SystemCreateSchema, SystemUpdateSchema)
