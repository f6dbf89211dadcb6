from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match
from api.common.editable import Editable
from api.common.transitions import add_transition, camel_case, transition_summary
from api.common.writes import CREATE_DOC, WRITE_DOC, ViewResult, write_response
from catalogue import reference
from catalogue.models import Framework, Lot
from catalogue.principal import Role
from service.database import get_session, writing_session
from service.pagination import PageArgsSchema, page_of, page_of_list

from .schemas import (
    FrameworkCreateSchema,
    FrameworkSchema,
    FrameworkUpdateSchema,
    LotCreateSchema,
    LotSchema,
    LotUpdateSchema,
)

blp = Blueprint("frameworks", __name__, description="Frameworks and their lots.")

FRAMEWORKS: Editable[Framework] = Editable(
    load=reference.get_framework,
    create_in=reference.create_framework,
    update_in=reference.update_framework,
)
LOTS: Editable[Lot] = Editable(
    load=reference.get_lot, create_in=reference.create_lot, update_in=reference.update_lot
)


@blp.route("/frameworks")
@blp.doc(operationId="listFrameworks")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(FrameworkSchema))
def list_frameworks(args: dict[str, Any]) -> dict[str, Any]:
    """All frameworks, oldest first."""
    return page_of_list(args, reference.list_frameworks(get_session()))


@blp.route("/frameworks", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="createFramework", **CREATE_DOC)
@blp.arguments(FrameworkCreateSchema)
@blp.response(201, FrameworkSchema)
def create_framework(body: dict[str, Any]) -> ViewResult:
    """Create a framework (authority); it starts as coming."""
    return FRAMEWORKS.create(body)


@blp.route("/frameworks/<string:slug>")
@blp.doc(operationId="getFramework")
@blp.etag
@blp.response(200, FrameworkSchema)
def get_framework(slug: str) -> Framework:
    """One framework with its lots."""
    return FRAMEWORKS.get(blp, slug)


@blp.route("/frameworks/<string:slug>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="updateFramework", **WRITE_DOC)
@blp.arguments(FrameworkUpdateSchema)
@blp.response(200, FrameworkSchema)
def update_framework(body: dict[str, Any], slug: str) -> ViewResult:
    """Change a framework's details (authority). Its status changes only by transitions."""
    return FRAMEWORKS.update(body, slug)


def _framework_transition(name: str) -> Callable[..., ViewResult]:
    def apply(_body: dict[str, Any], slug: str) -> ViewResult:
        session = writing_session()
        framework = reference.get_framework(session, slug)
        check_if_match(framework)
        reference.transition_framework(session, principal(), framework, name)
        return write_response(framework)

    return apply


for _name, (_source, _target) in reference.FRAMEWORK_TRANSITIONS.items():
    add_transition(
        blp,
        f"/frameworks/<string:slug>/{_name}",
        endpoint=f"{_name.replace('-', '_')}_framework",
        operation_id=f"{camel_case(_name)}Framework",
        summary=transition_summary(_name, [_source], _target, Role.AUTHORITY),
        roles=[Role.AUTHORITY],
        response_schema=FrameworkSchema,
        apply=_framework_transition(_name),
    )


@blp.route("/frameworks/<string:slug>/lots")
@blp.doc(operationId="listLots")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(LotSchema))
def list_lots(args: dict[str, Any], slug: str) -> dict[str, Any]:
    """The lots of a framework."""
    return page_of_list(args, reference.get_framework(get_session(), slug).lots)


@blp.route("/frameworks/<string:slug>/lots", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="createLot", responses={404: "DEFAULT_ERROR", 409: "DEFAULT_ERROR"})
@blp.arguments(LotCreateSchema)
@blp.response(201, LotSchema)
def create_lot(body: dict[str, Any], slug: str) -> ViewResult:
    """Add a lot to a framework (authority)."""
    return LOTS.create(body, reference.get_framework(writing_session(), slug))


@blp.route("/frameworks/<string:slug>/lots/<int:number>")
@blp.doc(operationId="getLot")
@blp.etag
@blp.response(200, LotSchema)
def get_lot(slug: str, number: int) -> Lot:
    """One lot of a framework."""
    return LOTS.get(blp, slug, number)


@blp.route("/frameworks/<string:slug>/lots/<int:number>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="updateLot", **WRITE_DOC)
@blp.arguments(LotUpdateSchema)
@blp.response(200, LotSchema)
def update_lot(body: dict[str, Any], slug: str, number: int) -> ViewResult:
    """Change a lot's name, description or default funding (authority)."""
    return LOTS.update(body, slug, number)
