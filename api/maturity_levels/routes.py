from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, etag_data, etag_header
from api.common.writes import CREATE_DOC, UPDATE_DOC
from api.database import get_session, writing_session
from catalogue import reference
from catalogue.principal import Role
from catalogue.reference import LevelChange

from .schemas import (
    MaturityLevelChangeSchema,
    MaturityLevelCreateSchema,
    MaturityLevelSchema,
    MaturityLevelUpdateSchema,
)

blp = Blueprint("maturity_levels", __name__, description="GPSoC's maturity ladder.")


def _answer(change: LevelChange, status: int):
    level = change.level
    body = {
        **{name: getattr(level, name) for name in MaturityLevelSchema().fields},
        "items_relevelled": change.items_relevelled,
    }
    return body, status, etag_header("maturity_level", level.id, level.version)


@blp.route("/maturity-levels")
@blp.response(200, MaturityLevelSchema(many=True))
def list_maturity_levels():
    """The levels, lowest first, with the capabilities each requires."""
    return reference.list_maturity_levels(get_session())


@blp.route("/maturity-levels", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(**CREATE_DOC)
@blp.arguments(MaturityLevelCreateSchema)
@blp.response(201, MaturityLevelChangeSchema)
def create_maturity_level(body):
    """Add a rung to the ladder (authority); every item's level is re-derived."""
    session = writing_session()
    change = reference.create_maturity_level(session, principal(), body)
    session.commit()
    return _answer(change, 201)


@blp.route("/maturity-levels/<int:level>")
@blp.etag
@blp.response(200, MaturityLevelSchema)
def get_maturity_level(level):
    """One level with the capabilities it requires."""
    found = reference.get_maturity_level(get_session(), level)
    blp.set_etag(etag_data("maturity_level", found.id, found.version))
    return found


@blp.route("/maturity-levels/<int:level>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(**UPDATE_DOC)
@blp.arguments(MaturityLevelUpdateSchema)
@blp.response(200, MaturityLevelChangeSchema)
def update_maturity_level(body, level):
    """Change a level (authority). Changing its required capabilities re-derives every item's
    level."""
    session = writing_session()
    found = reference.get_maturity_level(session, level)
    check_if_match("maturity_level", found.id, found.version)
    change = reference.update_maturity_level(session, principal(), found, body)
    session.commit()
    return _answer(change, 200)
