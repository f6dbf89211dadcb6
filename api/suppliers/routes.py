from flask_smorest import Blueprint

from api.common.pagination import PageArgsSchema, page_body, page_of
from api.database import get_session
from catalogue import reference

from .schemas import SupplierSchema

blp = Blueprint("suppliers", __name__, description="Suppliers on the frameworks.")


@blp.route("/suppliers")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SupplierSchema))
def list_suppliers(args):
    """Suppliers by name."""
    suppliers, total = reference.list_suppliers(get_session(), args["page"], args["page_size"])
    return page_body(suppliers, total, args["page"], args["page_size"])


@blp.route("/suppliers/<int:supplier_id>")
@blp.etag
@blp.response(200, SupplierSchema)
def get_supplier(supplier_id):
    """One supplier."""
    return reference.get_supplier(get_session(), supplier_id)
