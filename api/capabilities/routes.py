from typing import Any

from flask_smorest import Blueprint

from api.auth import requires
from api.common.editable import Editable
from api.common.writes import CREATE_DOC, WRITE_DOC, ViewResult
from catalogue import reference
from catalogue.models import Capability
from catalogue.principal import Role
from service.database import get_session
from service.pagination import PageArgsSchema, page_of, page_of_list

from .schemas import CapabilityCreateSchema, CapabilitySchema, CapabilityUpdateSchema

blp = Blueprint("capabilities", __name__, description="Capabilities items are accredited for.")

CAPABILITIES: Editable[Capability] = Editable(
    load=reference.get_capability,
    create_in=reference.create_capability,
    update_in=reference.update_capability,
)


@blp.route("/capabilities")
@blp.doc(operationId="listCapabilities")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(CapabilitySchema))
def list_capabilities(args: dict[str, Any]) -> dict[str, Any]:
    """Every capability, by code."""
    return page_of_list(args, reference.list_capabilities(get_session()))


@blp.route("/capabilities", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="createCapability", **CREATE_DOC)
@blp.arguments(CapabilityCreateSchema)
@blp.response(201, CapabilitySchema)
def create_capability(body: dict[str, Any]) -> ViewResult:
    """Add a capability items can be accredited for (authority)."""
    return CAPABILITIES.create(body)


@blp.route("/capabilities/<string:code>")
@blp.doc(operationId="getCapability")
@blp.etag
@blp.response(200, CapabilitySchema)
def get_capability(code: str) -> Capability:
    """One capability."""
    return CAPABILITIES.get(blp, code)


@blp.route("/capabilities/<string:code>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="updateCapability", **WRITE_DOC)
@blp.arguments(CapabilityUpdateSchema)
@blp.response(200, CapabilitySchema)
def update_capability(body: dict[str, Any], code: str) -> ViewResult:
    """Change a capability's name, description or category (authority); its code is fixed."""
    return CAPABILITIES.update(body, code)
