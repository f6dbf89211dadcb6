from flask_smorest import Blueprint

from api.common.pagination import page_of
from api.database import get_session
from api.items.filters import item_filters
from api.items.representation import item_page_response
from api.items.schemas import CatalogueItemSchema, PriceSchema
from api.items.writes import register_item_writes, set_item_etag, viewer_visibility
from catalogue import listings

from .schemas import ServiceCreateSchema, ServiceQueryArgsSchema, ServiceUpdateSchema

blp = Blueprint(
    "services", __name__, description="Services: deployment, migration, training, support..."
)


@blp.route("/services")
@blp.arguments(ServiceQueryArgsSchema, location="query")
@blp.response(200, page_of(CatalogueItemSchema))
def list_services(args):
    """Services by name, filtered: the published ones, plus a supplier's own in any status (the
    authority sees all)."""
    filters = item_filters(args, listings.SERVICE_KINDS, viewer_visibility())
    return item_page_response(get_session(), filters, args["page"], args["page_size"])


@blp.route("/services/<int:item_id>")
@blp.etag
@blp.response(200, CatalogueItemSchema)
def get_service(item_id):
    """One service (as published; its pending revision is at .../revision)."""
    item = listings.get_item(get_session(), item_id, listings.SERVICE_KINDS, viewer_visibility())
    set_item_etag(blp, item)
    return item


@blp.route("/services/<int:item_id>/prices")
@blp.response(200, PriceSchema(many=True))
def list_service_prices(item_id):
    """The prices of a service."""
    visibility = viewer_visibility()
    return listings.get_item(get_session(), item_id, listings.SERVICE_KINDS, visibility).prices


register_item_writes(
    blp, "services", listings.SERVICE_KINDS, ServiceCreateSchema, ServiceUpdateSchema
)
