from typing import Any

from flask_smorest import Blueprint

from api.auth import requires
from api.common.editable import Editable
from api.common.writes import CREATE_DOC, WRITE_DOC, ViewResult
from catalogue import reference
from catalogue.models import MaturityLevel
from catalogue.principal import Role
from catalogue.reference import LevelChange
from service.database import get_session
from service.pagination import PageArgsSchema, page_of, page_of_list

from .schemas import (
    MaturityLevelChangeSchema,
    MaturityLevelCreateSchema,
    MaturityLevelSchema,
    MaturityLevelUpdateSchema,
)

blp = Blueprint("maturity_levels", __name__, description="GPSoC's maturity ladder.")


def _level_of(change: LevelChange) -> MaturityLevel:
    return change.level


def _with_count(change: LevelChange) -> dict[str, Any]:
    """The level as it now is, and how many items' derived level the change moved."""
    level = change.level
    return {
        **{name: getattr(level, name) for name in MaturityLevelSchema().fields},
        "items_relevelled": change.items_relevelled,
    }


MATURITY_LEVELS: Editable[MaturityLevel] = Editable(
    load=reference.get_maturity_level,
    create_in=reference.create_maturity_level,
    update_in=reference.update_maturity_level,
    subject=_level_of,
    present=_with_count,
)


@blp.route("/maturity-levels")
@blp.doc(operationId="listMaturityLevels")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(MaturityLevelSchema))
def list_maturity_levels(args: dict[str, Any]) -> dict[str, Any]:
    """The levels, lowest first, with the capabilities each requires."""
    return page_of_list(args, reference.list_maturity_levels(get_session()))


@blp.route("/maturity-levels", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="createMaturityLevel", **CREATE_DOC)
@blp.arguments(MaturityLevelCreateSchema)
@blp.response(201, MaturityLevelChangeSchema)
def create_maturity_level(body: dict[str, Any]) -> ViewResult:
    """Add a rung to the ladder (authority); every item's level is re-derived."""
    return MATURITY_LEVELS.create(body)


@blp.route("/maturity-levels/<int:level>")
@blp.doc(operationId="getMaturityLevel")
@blp.etag
@blp.response(200, MaturityLevelSchema)
def get_maturity_level(level: int) -> MaturityLevel:
    """One level with the capabilities it requires."""
    return MATURITY_LEVELS.get(blp, level)


@blp.route("/maturity-levels/<int:level>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="updateMaturityLevel", **WRITE_DOC)
@blp.arguments(MaturityLevelUpdateSchema)
@blp.response(200, MaturityLevelChangeSchema)
def update_maturity_level(body: dict[str, Any], level: int) -> ViewResult:
    """Change a level (authority). Changing its required capabilities re-derives every item's
    level."""
    return MATURITY_LEVELS.update(body, level)
