from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, etag_data, etag_header
from api.common.writes import CREATE_DOC, UPDATE_DOC
from api.database import get_session, writing_session
from catalogue import reference
from catalogue.principal import Role

from .schemas import CapabilityCreateSchema, CapabilitySchema, CapabilityUpdateSchema

blp = Blueprint("capabilities", __name__, description="Capabilities items are accredited for.")


@blp.route("/capabilities")
@blp.response(200, CapabilitySchema(many=True))
def list_capabilities():
    """Every capability, by code."""
    return reference.list_capabilities(get_session())


@blp.route("/capabilities", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(**CREATE_DOC)
@blp.arguments(CapabilityCreateSchema)
@blp.response(201, CapabilitySchema)
def create_capability(body):
    """Add a capability items can be accredited for (authority)."""
    session = writing_session()
    capability = reference.create_capability(session, principal(), body)
    session.commit()
    return capability, 201, etag_header("capability", capability.id, capability.version)


@blp.route("/capabilities/<string:code>")
@blp.etag
@blp.response(200, CapabilitySchema)
def get_capability(code):
    """One capability."""
    capability = reference.get_capability(get_session(), code)
    blp.set_etag(etag_data("capability", capability.id, capability.version))
    return capability


@blp.route("/capabilities/<string:code>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(**UPDATE_DOC)
@blp.arguments(CapabilityUpdateSchema)
@blp.response(200, CapabilitySchema)
def update_capability(body, code):
    """Change a capability's name, description or category (authority); its code is fixed."""
    session = writing_session()
    capability = reference.get_capability(session, code)
    check_if_match("capability", capability.id, capability.version)
    reference.update_capability(session, principal(), capability, body)
    session.commit()
    return capability, 200, etag_header("capability", capability.id, capability.version)
