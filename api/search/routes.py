from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.json import json_response
from search import FacetCount, SearchResults
from service.search import SearchArgsSchema, search_query, state

from .schemas import SearchResultsSchema

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
@blp.alt_response(400, description="The query text cannot be parsed.")
@blp.alt_response(503, description="The search engine is unavailable.")
def search(args: dict[str, Any]) -> Response:
    """Search the catalogue."""
    query = search_query(args, sort=args["sort"], page=args["page"], page_size=args["page_size"])
    # The body is built JSON-ready here and returned as a response, which flask-smorest passes
    # through: marshmallow's dump of 20 hits and 7 facets cost more than the search itself.
    # SearchResultsSchema still documents it, and the OpenAPI conformance tests check it.
    # The app's JSON provider encodes it with orjson.
    return json_response(_body(state().engine.search(query)))


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
