from functools import partial
from typing import Any

from flask_smorest import Blueprint

from catalogue import reference
from catalogue.models import Supplier
from service.database import get_session
from service.pagination import PageArgsSchema, page_of, page_response

from .schemas import SupplierSchema

blp = Blueprint("suppliers", __name__, description="Suppliers on the frameworks.")


@blp.route("/suppliers")
@blp.doc(operationId="listSuppliers")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SupplierSchema))
def list_suppliers(args: dict[str, Any]) -> dict[str, Any]:
    """Suppliers by name."""
    return page_response(args, partial(reference.list_suppliers, get_session()))


@blp.route("/suppliers/<int:supplier_id>")
@blp.doc(operationId="getSupplier")
@blp.etag
@blp.response(200, SupplierSchema)
def get_supplier(supplier_id: int) -> Supplier:
    """One supplier."""
    return reference.get_supplier(get_session(), supplier_id)
