from typing import Any

from flask_smorest import Blueprint

from api.auth import requires
from api.common.editable import Editable
from api.common.writes import CREATE_DOC, WRITE_DOC, ViewResult
from catalogue import reference
from catalogue.models import Organisation
from catalogue.principal import Role
from service.database import get_session
from service.pagination import page_of, page_response

from .schemas import (
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
