"""The Elasticsearch engine (chosen with ELASTICSEARCH_URL): how the service scales out.

Documents live in a versioned index (`<alias>-<stamp>`) that an alias points to; reindex
fills a new versioned index and swaps the alias in one atomic update_aliases call. The mapping
and every request body are built by plain functions (index_body, search_body, ...), so they are
unit-tested without a server.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .clients import (
    BadRequest,
    BulkItemFailure,
    NotFound,
    SearchClient,
    ServerError,
    connect,
)
from .documents import DOCUMENT_FORMAT, FACET_FIELDS, SearchDocument, planned_level_range
from .engine import (
    FACET_SIZE,
    FIELD_BOOSTS,
    FUZZINESS,
    FUZZY_BELOW,
    FUZZY_NAME_BOOST,
    FUZZY_OTHER_BOOST,
    HIGHLIGHT_FIELDS,
    WHOLE_NAME_BOOST,
    Degraded,
    IndexStatus,
    facet_counts,
    fuzziness,
    shown_highlights,
)
from .errors import PartialIndexingFailure, QuerySyntaxError, SearchUnavailable
from .query import Facet, SearchHit, SearchQuery, SearchResults, Sort

DEFAULT_ALIAS = "gpsoc-catalogue"
MISSING = "the search index is missing"
ANALYZER = "gpsoc_english"
MATCHABLE = "matchable"
# Text fields copied into MATCHABLE, where every word of a query must be found.
_MATCHED_TEXT = (
    "name",
    "summary",
    "supplier_name",
    "capability_names",
    "lot_name",
    "framework_name",
)


def index_body() -> dict[str, Any]:
    """Settings and the explicit mapping of a versioned index."""
    text = {"type": "text", "analyzer": ANALYZER}
    matched = {**text, "copy_to": MATCHABLE}
    keyword = {"type": "keyword"}
    integer = {"type": "integer"}
    return {
        "settings": {
            "number_of_shards": 1,
            "auto_expand_replicas": "0-1",
            "analysis": {
                "filter": {
                    "english_possessive": {"type": "stemmer", "language": "possessive_english"},
                    "english_stop": {"type": "stop", "stopwords": "_english_"},
                    # Porter2 (Snowball English): the stemmer the embedded engine uses.
                    "english_stemmer": {"type": "stemmer", "language": "porter2"},
                },
                "analyzer": {
                    ANALYZER: {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": [
                            "english_possessive",
                            "lowercase",
                            "english_stop",
                            "english_stemmer",
                        ],
                    }
                },
            },
        },
        "mappings": {
            "_meta": {"format": DOCUMENT_FORMAT},
            "dynamic": "strict",
            "properties": {
                "id": integer,
                **{name: matched for name in _MATCHED_TEXT},
                "description": text,
                MATCHABLE: text,
                "kind": keyword,
                "hosting": keyword,
                "framework": keyword,
                "capabilities": keyword,
                "framework_facet": keyword,
                "supplier_facet": keyword,
                "capability_facets": keyword,
                "name_sort": keyword,
                "lot": integer,
                "maturity_level": integer,
                "supplier_id": integer,
                # Exact to the ten-thousandth of a pound, like the database's Money.
                "annual_price": {"type": "scaled_float", "scaling_factor": 10000},
                "planned_level_by": {"type": "long"},
                "payload": {"type": "object", "enabled": False},
                "fingerprint": {"type": "keyword", "index": False},
            },
        },
    }


# While a new index is filled nothing searches it: no refreshes and no replicas (each document
# is indexed once, not once per copy); then the serving settings, and the replicas copy the
# finished segments across in one go.
BUILD_SETTINGS = {"refresh_interval": "-1", "number_of_replicas": 0}
SERVING_SETTINGS = {"refresh_interval": "1s", "auto_expand_replicas": "0-1"}
BULK_SIZE = 2000  # documents per bulk request when building an index
REPLICAS_WAIT = 60  # seconds publish waits for the replicas before swapping anyway


def build_index_body() -> dict[str, Any]:
    """index_body() with the settings of an index being built (SERVING_SETTINGS on publish)."""
    body = index_body()
    settings = {k: v for k, v in body["settings"].items() if k != "auto_expand_replicas"}
    body["settings"] = {**settings, **BUILD_SETTINGS}
    return body


def to_source(document: SearchDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "name": document.name,
        "summary": document.summary,
        "description": document.description,
        "supplier_name": document.supplier_name,
        "capability_names": list(document.capability_names),
        "lot_name": document.lot_name,
        "framework_name": document.framework_name,
        "kind": document.kind,
        "hosting": document.hosting,
        "framework": document.framework,
        "capabilities": list(document.capabilities),
        "framework_facet": document.framework_facet,
        "supplier_facet": document.supplier_facet,
        "capability_facets": list(document.capability_facets),
        "name_sort": document.name_sort,
        "lot": document.lot,
        "maturity_level": document.maturity_level,
        "supplier_id": document.supplier_id,
        "annual_price": None if document.annual_price is None else float(document.annual_price),
        "planned_level_by": document.planned_level_keys,
        "payload": document.display(),
        "fingerprint": document.fingerprint,
    }


def bulk_actions(
    index: str, upserts: Sequence[SearchDocument], deletions: Sequence[int]
) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = [
        {"_op_type": "delete", "_index": index, "_id": str(item_id)} for item_id in deletions
    ]
    actions.extend(
        {"_op_type": "index", "_index": index, "_id": str(doc.id), "_source": to_source(doc)}
        for doc in upserts
    )
    return actions


def fuzzable(query: SearchQuery) -> bool:
    """Whether a fuzzy search could find more than an exact one (a word long enough for a
    typo; see search.engine.fuzziness)."""
    return any(fuzziness(word) for word in query.parsed.words)


def text_query(query: SearchQuery, fuzzy: bool = False) -> dict[str, Any]:
    """Words must match in the matchable fields (within their typo distance when `fuzzy`: see
    search.engine.FUZZY_BELOW); the boosted fields score."""
    parsed = query.parsed
    if parsed.is_empty:
        return {"match_all": {}}
    required: list[dict] = []
    excluded: list[dict] = []
    scoring: list[dict] = []
    typos = {"fuzziness": FUZZINESS} if fuzzy else {}
    for word in parsed.words:
        required.append({"match": {MATCHABLE: {"query": word, "operator": "and", **typos}}})
        scoring.append({"match": {"name": {"query": word, **typos, "boost": FUZZY_NAME_BOOST}}})
        scoring.append({"match": {MATCHABLE: {"query": word, **typos, "boost": FUZZY_OTHER_BOOST}}})
    for phrase in parsed.phrases:
        required.append({"match_phrase": {MATCHABLE: phrase}})
        scoring.extend(
            {"match_phrase": {field: {"query": phrase, "boost": boost}}}
            for field, boost in FIELD_BOOSTS.items()
        )
    for word in parsed.excluded_words:
        excluded.append({"match": {MATCHABLE: {"query": word, "operator": "and"}}})
    for phrase in parsed.excluded_phrases:
        excluded.append({"match_phrase": {MATCHABLE: phrase}})
    if parsed.words:
        scoring.append(
            {
                "multi_match": {
                    "query": " ".join(parsed.words),
                    "type": "most_fields",
                    "fields": [f"{field}^{boost}" for field, boost in FIELD_BOOSTS.items()],
                }
            }
        )
        if not parsed.phrases:
            whole = " ".join(parsed.words).casefold()
            distance = min(fuzziness(whole), 2) if fuzzy else 0
            name: dict[str, Any] = {"value": whole, "boost": WHOLE_NAME_BOOST}
            if distance:
                scoring.append({"fuzzy": {"name_sort": {**name, "fuzziness": distance}}})
            else:
                scoring.append({"term": {"name_sort": name}})
    body: dict[str, Any] = {"filter": required or [{"match_all": {}}], "should": scoring}
    if excluded:
        body["must_not"] = excluded
    return {"bool": body}


def filter_clauses(query: SearchQuery) -> dict[Facet | str, dict[str, Any]]:
    """Filter clauses keyed by the facet whose field they filter (price has no facet)."""
    filters: dict[Facet | str, dict[str, Any]] = {}
    if query.framework is not None:
        filters[Facet.FRAMEWORK] = {"term": {"framework": query.framework}}
    if query.lot is not None:
        filters[Facet.LOT] = {"term": {"lot": query.lot}}
    if query.kind is not None:
        filters[Facet.KIND] = {"term": {"kind": query.kind}}
    if query.supplier_id is not None:
        filters[Facet.SUPPLIER] = {"term": {"supplier_id": query.supplier_id}}
    if query.capabilities:
        filters[Facet.CAPABILITY] = {
            "bool": {
                "filter": [
                    {"term": {"capabilities": code}} for code in dict.fromkeys(query.capabilities)
                ]
            }
        }
    if query.min_maturity_level is not None:
        filters[Facet.MATURITY_LEVEL] = {
            "range": {"maturity_level": {"gte": query.min_maturity_level}}
        }
    if query.hosting is not None:
        filters[Facet.HOSTING] = {"term": {"hosting": query.hosting}}
    if query.price_max is not None:
        filters["price"] = {"range": {"annual_price": {"lte": float(query.price_max)}}}
    if query.planned_level is not None:
        lowest, highest = planned_level_range(query.planned_level, query.planned_by)
        filters["planned"] = {"range": {"planned_level_by": {"gte": lowest, "lte": highest}}}
    return filters


def search_body(query: SearchQuery, fuzzy: bool = False) -> dict[str, Any]:
    """The _search request: hits take every filter (post_filter); each facet's aggregation
    takes every filter but its own. Words match exactly, or within their typo distance when
    `fuzzy` (the engine asks again so when the exact words find fewer than FUZZY_BELOW)."""
    filters = filter_clauses(query)
    scored = query.sort is Sort.RELEVANCE and not query.parsed.is_empty
    if query.sort is Sort.PRICE:
        sort: list[Any] = [{"annual_price": {"order": "asc", "missing": "_last"}}]
    elif scored:
        sort = ["_score"]
    else:
        sort = [{"name_sort": {"order": "asc"}}]
    body: dict[str, Any] = {
        "query": text_query(query, fuzzy),
        "from": query.offset,
        "size": query.page_size,
        "track_total_hits": True,
        "sort": [*sort, {"id": {"order": "asc"}}],
        "_source": ["payload"],
        "aggs": {
            facet.value: {
                "filter": {
                    "bool": {"filter": [c for key, c in filters.items() if key is not facet]}
                },
                "aggs": {"values": {"terms": {"field": FACET_FIELDS[facet], "size": FACET_SIZE}}},
            }
            for facet in Facet
        },
    }
    if filters:
        body["post_filter"] = {"bool": {"filter": list(filters.values())}}
    if not query.parsed.is_empty:
        body["highlight"] = {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                field: {"number_of_fragments": 1, "fragment_size": 150}
                for field in HIGHLIGHT_FIELDS
            },
        }
    return body


def parse_response(query: SearchQuery, response: dict[str, Any]) -> SearchResults:
    scored = query.sort is Sort.RELEVANCE and not query.parsed.is_empty
    hits = []
    for hit in response["hits"]["hits"]:
        payload = hit["_source"]["payload"]
        highlights = shown_highlights(
            {
                HIGHLIGHT_FIELDS[field]: fragments
                for field, fragments in hit.get("highlight", {}).items()
                if field in HIGHLIGHT_FIELDS
            }
        )
        score = hit.get("_score") if scored else None
        hits.append(SearchHit(payload["id"], score, payload, highlights))
    aggregations = response.get("aggregations", {})
    facets = {
        facet.value: facet_counts(
            facet,
            [
                (bucket["key"], bucket["doc_count"])
                for bucket in aggregations.get(facet.value, {}).get("values", {}).get("buckets", [])
            ],
        )
        for facet in Facet
    }
    total = response["hits"]["total"]["value"]
    return SearchResults(total, query.page, query.page_size, hits, facets)


def alias_swap_actions(alias: str, new_index: str, old_indices: Sequence[str]) -> list[dict]:
    """One update_aliases call: Elasticsearch applies all of it atomically."""
    return [
        *({"remove": {"index": old, "alias": alias}} for old in old_indices),
        {"add": {"index": new_index, "alias": alias}},
    ]


def versioned_name(alias: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S%f")
    return f"{alias}-{stamp}-{uuid.uuid4().hex[:6]}"


def _unavailable(error: ServerError) -> SearchUnavailable:
    return SearchUnavailable(f"Elasticsearch is unavailable: {error}")


def _raise_failures(failures: Sequence[BulkItemFailure]) -> None:
    if failures:
        ids = sorted({int(failure.id) for failure in failures if failure.id.isdigit()})
        first = failures[0]
        raise PartialIndexingFailure(
            f"{len(failures)} document(s) refused, e.g. {first.id}: {first.status} {first.reason}",
            ids,
        )


class ElasticsearchEngine:
    """The engine on an Elasticsearch 8.x/9.x or OpenSearch 2.x cluster (see search.clients).

    The product is found out on first use, from the server itself; until the server answers,
    every call is a SearchUnavailable (a 503 from /search) and the next call tries again.
    """

    name = "elasticsearch"

    def __init__(
        self,
        client: SearchClient | None = None,
        alias: str = DEFAULT_ALIAS,
        *,
        url: str | None = None,
    ):
        if client is None and url is None:
            raise ValueError("an Elasticsearch engine needs a client or a URL")
        self._client = client
        self._url = url
        self._connecting = threading.Lock()
        self.alias = alias

    @classmethod
    def from_url(cls, url: str, alias: str = DEFAULT_ALIAS) -> ElasticsearchEngine:
        return cls(alias=alias, url=url)

    def connection(self) -> SearchClient:
        if self._client is None:
            with self._connecting:
                if self._client is None:
                    assert self._url is not None
                    try:
                        self._client = connect(self._url)
                    except ServerError as error:
                        raise _unavailable(error) from error
        return self._client

    @property
    def client(self) -> Any:
        """The underlying client object (elasticsearch.Elasticsearch or opensearchpy.OpenSearch)."""
        return self.connection().raw

    @property
    def product(self) -> str:
        return self.connection().product

    def _indices_behind_alias(self) -> list[str]:
        return self.connection().indices_behind(self.alias)

    def apply(self, upserts: Sequence[SearchDocument], deletions: Sequence[int]) -> None:
        """Writes go through the alias; with no index behind it (none built yet, or deleted)
        they fail and stay pending until the index is rebuilt, never filling an empty one."""
        if not upserts and not deletions:
            return
        try:
            if not self._indices_behind_alias():
                raise SearchUnavailable(MISSING)
            failures = self.connection().bulk(
                bulk_actions(self.alias, upserts, deletions),
                refresh=True,  # searchable on return: "visible right after approval"
                chunk_size=500,
            )
        except ServerError as error:
            raise _unavailable(error) from error
        _raise_failures(failures)

    def start_build(self) -> ElasticsearchBuild:
        try:
            return ElasticsearchBuild(self)
        except ServerError as error:
            raise _unavailable(error) from error

    def document_count(self) -> int:
        try:
            return self.connection().count(self.alias)
        except NotFound:
            return 0
        except ServerError as error:
            raise _unavailable(error) from error

    def index_status(self) -> IndexStatus:
        try:
            indices = self._indices_behind_alias()
            if not indices:
                return IndexStatus(None)
            meta = self.connection().mapping_meta(self.alias)
            count = self.connection().count(self.alias)
        except NotFound:
            return IndexStatus(None)
        except ServerError as error:
            raise _unavailable(error) from error
        formats = {entry.get("format") for entry in meta.values()}
        format = formats.pop() if len(formats) == 1 else None
        return IndexStatus(",".join(indices), count, format)

    def fingerprints(self) -> dict[int, str]:
        """Every document's id and fingerprint, a page at a time in id order (search_after)."""
        prints: dict[int, str] = {}
        body: dict[str, Any] = {
            "query": {"match_all": {}},
            "size": 5000,
            "sort": [{"id": {"order": "asc"}}],
            "_source": ["id", "fingerprint"],
        }
        try:
            while True:
                hits = self.connection().search(self.alias, body)["hits"]["hits"]
                for hit in hits:
                    prints[int(hit["_source"]["id"])] = hit["_source"].get("fingerprint") or ""
                if len(hits) < body["size"]:
                    return prints
                body["search_after"] = hits[-1]["sort"]
        except NotFound:
            return prints
        except ServerError as error:
            raise _unavailable(error) from error

    def check(self) -> str | None:
        """None when the cluster is green; a Degraded note (still ready) when it is yellow:
        every shard has a copy somewhere, some replica is missing; else what is wrong."""
        try:
            health = self.connection().health()
        except ServerError as error:
            return f"elasticsearch unreachable: {error}"
        except SearchUnavailable as error:  # no connection yet: what stopped it
            return f"elasticsearch unreachable: {error.__cause__ or error}"
        status = health.get("status")
        nodes = health.get("number_of_nodes")
        if status == "green":
            return None
        if status == "yellow":
            unassigned = health.get("unassigned_shards")
            return Degraded(
                f"elasticsearch cluster yellow: {nodes} node(s), {unassigned} replica shard(s) "
                "unassigned; every index answers"
            )
        return f"elasticsearch cluster {status}: {nodes} node(s), some data unavailable"

    def search(self, query: SearchQuery) -> SearchResults:
        results = self._search(query, fuzzy=False)
        if results.total < FUZZY_BELOW and fuzzable(query):
            results = self._search(query, fuzzy=True)
        return results

    def _search(self, query: SearchQuery, fuzzy: bool) -> SearchResults:
        try:
            response = self.connection().search(self.alias, search_body(query, fuzzy))
        except NotFound:  # no index (yet, or any more): never an empty answer
            raise SearchUnavailable(MISSING) from None
        except BadRequest as error:
            raise QuerySyntaxError(f"The search engine cannot run the query: {error}") from None
        except ServerError as error:
            raise _unavailable(error) from error
        return parse_response(query, response)


class ElasticsearchBuild:
    def __init__(self, engine: ElasticsearchEngine):
        self._engine = engine
        self._client = engine.connection()
        self.index = versioned_name(engine.alias)
        self._client.create_index(self.index, build_index_body())

    def add(self, documents: Sequence[SearchDocument]) -> None:
        try:
            failures = self._client.bulk(
                bulk_actions(self.index, documents, ()), refresh=False, chunk_size=BULK_SIZE
            )
        except ServerError as error:
            raise _unavailable(error) from error
        _raise_failures(failures)

    def publish(self) -> None:
        try:
            self._client.put_settings(self.index, {"index": SERVING_SETTINGS})
            self._client.refresh(self.index)
            # Swapped even if the replicas are late (a node down): /readyz says degraded.
            self._client.wait_for_green(self.index, REPLICAS_WAIT)
            old = self._engine._indices_behind_alias()
            self._client.update_aliases(alias_swap_actions(self._engine.alias, self.index, old))
            for index in old:
                self._client.delete_index(index)
        except ServerError as error:
            raise _unavailable(error) from error

    def abandon(self) -> None:
        # A leftover index is harmless: the alias never pointed at it.
        with contextlib.suppress(ServerError, SearchUnavailable):
            self._client.delete_index(self.index)
