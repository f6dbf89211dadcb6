from flask_smorest import Blueprint

from api.common.pagination import page_body, page_of
from api.database import get_session
from catalogue import reference

from .schemas import OrganisationQueryArgsSchema, OrganisationSchema

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
    return reference.get_organisation(get_session(), organisation_id)
