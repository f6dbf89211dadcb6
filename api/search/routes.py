from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.errors import error_body
from api.json import json_response
from search import FacetCount, SearchResults, SearchUnavailable
from service.search import SearchArgsSchema, search_query, state, unusable_reason

from .schemas import SearchResultsSchema

# What search answers while its index is rebuilt (never an empty result).
REBUILDING = (
    "The search index is being rebuilt from the database; search answers again when it is "
    "done. Try again shortly."
)

blp = Blueprint(
    "search",
    __name__,
    description=(
        "Full-text search of the published catalogue: published items of live frameworks "
        "only (items of a coming or open framework become searchable when it goes live, and "
        "stop being searchable when it expires), with filters, facets, highlights and "
        "sorting. Facet counts for a field apply every filter except the one on that field."
    ),
)


@blp.route("/search")
@blp.doc(operationId="searchCatalogue")
# A schema instance, made once: given the class, webargs makes one per request (deep copies of
# every declared field, about a third of a cached search's time). Loading keeps no state.
@blp.arguments(SearchArgsSchema(), location="query")
@blp.response(200, SearchResultsSchema)
@blp.alt_response(400, schema="Error", description="The query text cannot be parsed.")
@blp.alt_response(
    503,
    schema="Error",
    description="The search engine is unavailable, or its index is being rebuilt.",
)
def search(args: dict[str, Any]) -> Response:
    """Search the catalogue.

    Pages reach at most the 10,000th hit: page x page_size may not exceed 10,000 (a 422).
    """
    query = search_query(args, sort=args["sort"], page=args["page"], page_size=args["page_size"])
    # The body is built JSON-ready here and returned as a response, which flask-smorest passes
    # through: marshmallow's dump of 20 hits and 7 facets cost more than the search itself.
    # SearchResultsSchema still documents it, and the OpenAPI conformance tests check it.
    # The app's JSON provider encodes it with orjson.
    if unusable_reason() is not None:
        return _rebuilding()
    try:
        results = state().engine.search(query)
    except SearchUnavailable:
        if unusable_reason() is not None:  # found broken since the check above
            return _rebuilding()
        raise
    return json_response(_body(results))


def _rebuilding() -> Response:
    # Built here: the error handlers give every other 5xx a generic message.
    response = json_response(error_body(503, REBUILDING))
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


def _body(results: SearchResults) -> dict[str, Any]:
    return {
        "total": results.total,
        "page": results.page,
        "page_size": results.page_size,
        "items": [
            {
                **hit.document,
                "maturity_level": hit.document["maturity_level"] or None,
                "score": hit.score,
                "highlights": hit.highlights,
            }
            for hit in results.hits
        ],
        "facets": {
            name: [_facet_value(entry) for entry in entries]
            for name, entries in results.facets.items()
        },
    }


def _facet_value(entry: FacetCount) -> dict[str, Any]:
    body: dict[str, Any] = {"value": entry.value, "count": entry.count}
    if entry.label is not None:
        body["label"] = entry.label
    return body
