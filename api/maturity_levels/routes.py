from flask_smorest import Blueprint

from api.database import get_session
from catalogue import reference

from .schemas import MaturityLevelSchema

blp = Blueprint("maturity_levels", __name__, description="GPSoC's maturity ladder.")


@blp.route("/maturity-levels")
@blp.response(200, MaturityLevelSchema(many=True))
def list_maturity_levels():
    """The levels, lowest first, with the capabilities each requires."""
    return reference.list_maturity_levels(get_session())
