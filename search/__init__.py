"""Search: the engine protocol, the embedded (tantivy) and Elasticsearch engines, the document
builder, the outbox indexer and reindexing. Imports catalogue, never api or flask."""

from .engine import IndexBuild, SearchEngine
from .errors import QuerySyntaxError, SearchUnavailable
from .factory import make_drain_lock, make_search_engine
from .indexer import DrainReport, ReindexReport, drain_outbox, reindex
from .query import Facet, FacetCount, SearchHit, SearchQuery, SearchResults, Sort

__all__ = [
    "DrainReport",
    "Facet",
    "FacetCount",
    "IndexBuild",
    "QuerySyntaxError",
    "ReindexReport",
    "SearchEngine",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "SearchUnavailable",
    "Sort",
    "drain_outbox",
    "make_drain_lock",
    "make_search_engine",
    "reindex",
]
