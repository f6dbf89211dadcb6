from flask_smorest import Blueprint

from api.items.collection import ItemCollection, add_item_routes
from catalogue import listings

from .schemas import ServiceCreateSchema, ServiceQueryArgsSchema, ServiceUpdateSchema

blp = Blueprint(
    "services", __name__, description="Services: deployment, migration, training, support..."
)

SERVICES = ItemCollection(
    path="/services",
    noun="Service",
    kinds=listings.SERVICE_KINDS,
    query_schema=ServiceQueryArgsSchema,
    create_schema=ServiceCreateSchema,
    update_schema=ServiceUpdateSchema,
    list_doc=(
        "Services by name, filtered: the published ones, plus a supplier's own in any status (the\n"
        "authority sees all)."
    ),
    get_doc="One service (as published; its pending revision is at .../revision).",
    prices_doc="The prices of a service.",
)
add_item_routes(blp, SERVICES)
