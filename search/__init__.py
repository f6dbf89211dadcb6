"""Search: the engine protocol, the embedded (tantivy) and Elasticsearch engines, the document
builder, the outbox indexer and reindexing. Imports catalogue, never api or flask."""

from .documents import count_public
from .drift import Drift, find_drift, repair_drift
from .engine import IndexBuild, SearchEngine
from .errors import QuerySyntaxError, SearchUnavailable
from .factory import make_drain_lock, make_search_engine
from .indexer import Backlog, DrainReport, ReindexReport, drain_outbox, outbox_backlog, reindex
from .keeper import IndexKeeper, KeeperEvents, rebuild_reason
from .query import Facet, FacetCount, SearchHit, SearchQuery, SearchResults, Sort

__all__ = [
    "Backlog",
    "Drift",
    "IndexKeeper",
    "KeeperEvents",
    "count_public",
    "find_drift",
    "outbox_backlog",
    "rebuild_reason",
    "repair_drift",
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
