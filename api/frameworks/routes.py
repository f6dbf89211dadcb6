from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, etag_data, etag_header
from api.common.writes import CREATE_DOC, UPDATE_DOC
from api.database import get_session, writing_session
from catalogue import reference
from catalogue.models import Framework, Lot
from catalogue.principal import Role

from .schemas import (
    FrameworkCreateSchema,
    FrameworkSchema,
    FrameworkUpdateSchema,
    LotCreateSchema,
    LotSchema,
    LotUpdateSchema,
)

blp = Blueprint("frameworks", __name__, description="Frameworks and their lots.")


def framework_etag(framework: Framework) -> dict[str, str]:
    return etag_header("framework", framework.id, framework.version)


def lot_etag(lot: Lot) -> dict[str, str]:
    return etag_header("lot", lot.id, lot.version)


@blp.route("/frameworks")
@blp.response(200, FrameworkSchema(many=True))
def list_frameworks():
    """All frameworks, oldest first."""
    return reference.list_frameworks(get_session())


@blp.route("/frameworks", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(**CREATE_DOC)
@blp.arguments(FrameworkCreateSchema)
@blp.response(201, FrameworkSchema)
def create_framework(body):
    """Create a framework (authority); it starts as coming."""
    session = writing_session()
    framework = reference.create_framework(session, principal(), body)
    session.commit()
    return framework, 201, framework_etag(framework)


@blp.route("/frameworks/<string:slug>")
@blp.etag
@blp.response(200, FrameworkSchema)
def get_framework(slug):
    """One framework with its lots."""
    framework = reference.get_framework(get_session(), slug)
    blp.set_etag(etag_data("framework", framework.id, framework.version))
    return framework


@blp.route("/frameworks/<string:slug>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(**UPDATE_DOC)
@blp.arguments(FrameworkUpdateSchema)
@blp.response(200, FrameworkSchema)
def update_framework(body, slug):
    """Change a framework's details (authority). Its status changes only by transitions."""
    session = writing_session()
    framework = reference.get_framework(session, slug)
    check_if_match("framework", framework.id, framework.version)
    reference.update_framework(session, principal(), framework, body)
    session.commit()
    return framework, 200, framework_etag(framework)


def _add_framework_transition(name: str) -> None:
    source, target = reference.FRAMEWORK_TRANSITIONS[name]
    summary = f"{name.capitalize()}: {source.value} -> {target.value} (authority)."

    def view(slug):
        session = writing_session()
        framework = reference.get_framework(session, slug)
        check_if_match("framework", framework.id, framework.version)
        reference.transition_framework(session, principal(), framework, name)
        session.commit()
        return framework, 200, framework_etag(framework)

    view.__name__ = f"{name.replace('-', '_')}_framework"
    view.__doc__ = summary
    view = blp.response(200, FrameworkSchema)(view)
    view = blp.doc(**UPDATE_DOC)(view)
    view = requires(Role.AUTHORITY)(view)
    blp.route(f"/frameworks/<string:slug>/{name}", methods=["POST"])(view)


for _name in reference.FRAMEWORK_TRANSITIONS:
    _add_framework_transition(_name)


@blp.route("/frameworks/<string:slug>/lots")
@blp.response(200, LotSchema(many=True))
def list_lots(slug):
    """The lots of a framework."""
    return reference.get_framework(get_session(), slug).lots


@blp.route("/frameworks/<string:slug>/lots", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(responses={404: "DEFAULT_ERROR", 409: "DEFAULT_ERROR"})
@blp.arguments(LotCreateSchema)
@blp.response(201, LotSchema)
def create_lot(body, slug):
    """Add a lot to a framework (authority)."""
    session = writing_session()
    framework = reference.get_framework(session, slug)
    lot = reference.create_lot(session, principal(), framework, body)
    session.commit()
    return lot, 201, lot_etag(lot)


@blp.route("/frameworks/<string:slug>/lots/<int:number>")
@blp.etag
@blp.response(200, LotSchema)
def get_lot(slug, number):
    """One lot of a framework."""
    lot = reference.get_lot(get_session(), slug, number)
    blp.set_etag(etag_data("lot", lot.id, lot.version))
    return lot


@blp.route("/frameworks/<string:slug>/lots/<int:number>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(**UPDATE_DOC)
@blp.arguments(LotUpdateSchema)
@blp.response(200, LotSchema)
def update_lot(body, slug, number):
    """Change a lot's name, description or default funding (authority)."""
    session = writing_session()
    lot = reference.get_lot(session, slug, number)
    check_if_match("lot", lot.id, lot.version)
    reference.update_lot(session, principal(), lot, body)
    session.commit()
    return lot, 200, lot_etag(lot)
