from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, etag_data, etag_header
from api.common.pagination import page_body, page_of
from api.common.writes import CREATE_DOC, UPDATE_DOC
from api.database import get_session, writing_session
from catalogue import reference
from catalogue.principal import Role

from .schemas import (
    OrganisationCreateSchema,
    OrganisationQueryArgsSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)

blp = Blueprint("organisations", __name__, description="Commissioners and practices.")


@blp.route("/organisations")
@blp.arguments(OrganisationQueryArgsSchema, location="query")
@blp.response(200, page_of(OrganisationSchema))
def list_organisations(args):
    """Commissioners and practices, filtered by kind, commissioner or ODS code."""
    organisations, total = reference.list_organisations(
        get_session(),
        args["page"],
        args["page_size"],
        kind=args.get("kind"),
        commissioner_id=args.get("commissioner"),
        ods_code=args.get("ods_code"),
    )
    return page_body(organisations, total, args["page"], args["page_size"])


@blp.route("/organisations/<int:organisation_id>")
@blp.etag
@blp.response(200, OrganisationSchema)
def get_organisation(organisation_id):
    """One commissioner or practice."""
    organisation = reference.get_organisation(get_session(), organisation_id)
    blp.set_etag(etag_data("organisation", organisation.id, organisation.version))
    return organisation


@blp.route("/organisations", methods=["POST"])
@requires(Role.AUTHORITY)
@blp.doc(**CREATE_DOC)
@blp.arguments(OrganisationCreateSchema)
@blp.response(201, OrganisationSchema)
def create_organisation(body):
    """Add a commissioner or a practice (authority)."""
    session = writing_session()
    organisation = reference.create_organisation(session, principal(), body)
    session.commit()
    organisation = reference.get_organisation(session, organisation.id)
    return organisation, 201, etag_header("organisation", organisation.id, organisation.version)


@blp.route("/organisations/<int:organisation_id>", methods=["PATCH"])
@requires(Role.AUTHORITY)
@blp.doc(**UPDATE_DOC)
@blp.arguments(OrganisationUpdateSchema)
@blp.response(200, OrganisationSchema)
def update_organisation(body, organisation_id):
    """Change a commissioner or practice (authority); its kind and ODS code are fixed."""
    session = writing_session()
    organisation = reference.get_organisation(session, organisation_id)
    check_if_match("organisation", organisation.id, organisation.version)
    reference.update_organisation(session, principal(), organisation, body)
    session.commit()
    return organisation, 200, etag_header("organisation", organisation.id, organisation.version)
