from flask_smorest import Blueprint

from api.database import get_session
from catalogue import reference

from .schemas import CapabilitySchema

blp = Blueprint("capabilities", __name__, description="Capabilities items are accredited for.")


@blp.route("/capabilities")
@blp.response(200, CapabilitySchema(many=True))
def list_capabilities():
    """Every capability, by code."""
    return reference.list_capabilities(get_session())
