from flask_smorest import Blueprint

from api.database import get_session
from catalogue import reference

from .schemas import FrameworkSchema, LotSchema

blp = Blueprint("frameworks", __name__, description="Frameworks and their lots.")


@blp.route("/frameworks")
@blp.response(200, FrameworkSchema(many=True))
def list_frameworks():
    """All frameworks, oldest first."""
    return reference.list_frameworks(get_session())


@blp.route("/frameworks/<string:slug>")
@blp.etag
@blp.response(200, FrameworkSchema)
def get_framework(slug):
    """One framework with its lots."""
    return reference.get_framework(get_session(), slug)


@blp.route("/frameworks/<string:slug>/lots")
@blp.response(200, LotSchema(many=True))
def list_lots(slug):
    """The lots of a framework."""
    return reference.get_framework(get_session(), slug).lots


@blp.route("/frameworks/<string:slug>/lots/<int:number>")
@blp.etag
@blp.response(200, LotSchema)
def get_lot(slug, number):
    """One lot of a framework."""
    return reference.get_lot(get_session(), slug, number)
