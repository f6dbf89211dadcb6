from typing import Any

from flask_smorest import Blueprint, abort

from api.auth import principal, requires
from api.common.editable import Editable
from api.common.writes import CREATE_DOC, WRITE_DOC, ViewResult
from catalogue import estate, reference
from catalogue.estate import Estate
from catalogue.models import Organisation, OrganisationKind
from catalogue.principal import Role
from service.database import get_session
from service.pagination import page_of, page_response

from .schemas import (
    EstateHistorySchema,
    EstateSchema,
    OrganisationCreateSchema,
    OrganisationQueryArgsSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)

blp = Blueprint("organisations", __name__, description="Commissioners and practices.")

ORGANISATIONS: Editable[Organisation] = Editable(
    load=reference.get_organisation,
    create_in=reference.create_organisation,
    update_in=reference.update_organisation,
)


@blp.route("/organisations")
@blp.doc(operationId="listOrganisations")
@blp.arguments(OrganisationQueryArgsSchema, location="query")
@blp.response(200, page_of(OrganisationSchema))
def list_organisations(args: dict[str, Any]) -> dict[str, Any]:
    """Commissioners and practices, filtered by kind, commissioner or ODS code."""
    return page_response(
        args,
        lambda page, page_size: reference.list_organisations(
            get_session(),
            page,
            page_size,
            kind=args.get("kind"),
            commissioner_id=args.get("commissioner"),
            ods_code=args.get("ods_code"),
        ),
    )


@blp.route("/organisations/<int:organisation_id>")
@blp.doc(operationId="getOrganisation")
@blp.etag
@blp.response(200, OrganisationSchema)
def get_organisation(organisation_id: int) -> Organisation:
    """One commissioner or practice."""
    return ORGANISATIONS.get(blp, organisation_id)


@blp.route("/organisations", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="createOrganisation", **CREATE_DOC)
@blp.arguments(OrganisationCreateSchema)
@blp.response(201, OrganisationSchema)
def create_organisation(body: dict[str, Any]) -> ViewResult:
    """Add a commissioner or a practice (authority)."""
    return ORGANISATIONS.create(body)


@blp.route("/organisations/<int:organisation_id>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(operationId="updateOrganisation", **WRITE_DOC)
@blp.arguments(OrganisationUpdateSchema)
@blp.response(200, OrganisationSchema)
def update_organisation(body: dict[str, Any], organisation_id: int) -> ViewResult:
    """Change a commissioner or practice (authority); its kind and ODS code are fixed."""
    return ORGANISATIONS.update(body, organisation_id)


def _may_read_estate(organisation: Organisation) -> None:
    """A practice's call-off lines and history are read by the framework authority, the
    practice's commissioner and the practice itself (what it runs now is public, on the
    organisation)."""
    caller = principal()
    if caller.is_authority or caller.is_practice(organisation.id):
        return
    if organisation.commissioner_id is not None and caller.is_commissioner(
        organisation.commissioner_id
    ):
        return
    abort(403, message="Only the authority, the practice and its commissioner read its estate.")


def _practice(organisation_id: int) -> Organisation:
    organisation = reference.get_organisation(get_session(), organisation_id)
    _may_read_estate(organisation)
    if organisation.kind is not OrganisationKind.PRACTICE:
        abort(404, message=f"Organisation {organisation_id} is not a practice: it has no estate.")
    return organisation


@blp.route("/organisations/<int:organisation_id>/estate")
@requires()
@blp.doc(operationId="getOrganisationEstate")
@blp.etag
@blp.response(200, EstateSchema)
@blp.alt_response(404, description="No such organisation, or it is not a practice.")
def get_estate(organisation_id: int) -> Estate:
    """A practice's estate: the system it runs now, the level it runs it at, and the call-off
    lines (contracts) it runs under, with their dates (authority, the practice, its
    commissioner). Only recorded events change it: a migration's go-live (the new system), an
    upgrade's go-live (the level), a line's end (term, completion, termination)."""
    found = estate.estate_of(get_session(), _practice(organisation_id))
    blp.set_etag(EstateSchema().dump(found))
    return found


@blp.route("/organisations/<int:organisation_id>/estate/history")
@requires()
@blp.doc(operationId="getOrganisationEstateHistory")
@blp.etag
@blp.response(200, EstateHistorySchema)
@blp.alt_response(404, description="No such organisation, or it is not a practice.")
def get_estate_history(organisation_id: int) -> dict[str, Any]:
    """Every recorded change to a practice's estate, oldest first, with the order that caused
    it and who recorded it (authority, the practice, its commissioner)."""
    practice = _practice(organisation_id)
    found = {"organisation": practice, "changes": estate.history_of(get_session(), practice)}
    blp.set_etag(EstateHistorySchema().dump(found))
    return found
