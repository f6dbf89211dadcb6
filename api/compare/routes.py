from typing import Any

from flask_smorest import Blueprint

from catalogue.selections.compare import Comparison, compare_items
from service.database import get_session

from .schemas import CompareArgsSchema, ComparisonSchema

blp = Blueprint("compare", __name__, description="Catalogue items side by side.")


@blp.route("/compare")
@blp.doc(operationId="compareItems")
@blp.arguments(CompareArgsSchema, location="query")
@blp.response(200, ComparisonSchema)
@blp.alt_response(404, description="An item is not published, or the practice is unknown.")
def compare(args: dict[str, Any]) -> Comparison:
    """Published items side by side: supplier, lot, maturity level, capabilities, hosting,
    services for migration and audit-trail access, and with a practice the whole-life cost."""
    return compare_items(
        get_session(),
        args["ids"],
        practice_ods=args.get("practice"),
        term_months=args["term_months"],
    )
