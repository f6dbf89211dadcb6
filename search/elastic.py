"""The Elasticsearch engine (chosen with ELASTICSEARCH_URL): how the service scales out.

Documents live in a versioned index (`<alias>-<stamp>`) that an alias points to; reindex
fills a new versioned index and swaps the alias in one atomic update_aliases call. The mapping
and every request body are built by plain functions (index_body, search_body, ...), so they are
unit-tested without a server.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from .documents import FACET_FIELDS, SearchDocument
from .engine import (
    FACET_SIZE,
    FIELD_BOOSTS,
    FUZZINESS,
    FUZZY_NAME_BOOST,
    FUZZY_OTHER_BOOST,
    HIGHLIGHT_FIELDS,
    WHOLE_NAME_BOOST,
    facet_counts,
    fuzziness,
)
from .errors import QuerySyntaxError, SearchUnavailable
from .query import Facet, SearchHit, SearchQuery, SearchResults, Sort

DEFAULT_ALIAS = "gpsoc-catalogue"
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
                "payload": {"type": "object", "enabled": False},
            },
        },
    }


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
        "payload": document.display(),
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


def text_query(query: SearchQuery) -> dict[str, Any]:
    """Words must match (typos tolerated) in the matchable fields; the boosted fields score."""
    parsed = query.parsed
    if parsed.is_empty:
        return {"match_all": {}}
    required: list[dict] = []
    excluded: list[dict] = []
    scoring: list[dict] = []
    for word in parsed.words:
        required.append(
            {"match": {MATCHABLE: {"query": word, "operator": "and", "fuzziness": FUZZINESS}}}
        )
        scoring.append(
            {"match": {"name": {"query": word, "fuzziness": FUZZINESS, "boost": FUZZY_NAME_BOOST}}}
        )
        scoring.append(
            {
                "match": {
                    MATCHABLE: {"query": word, "fuzziness": FUZZINESS, "boost": FUZZY_OTHER_BOOST}
                }
            }
        )
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
            scoring.append(
                {
                    "fuzzy": {
                        "name_sort": {
                            "value": whole,
                            "fuzziness": min(fuzziness(whole), 2),
                            "boost": WHOLE_NAME_BOOST,
                        }
                    }
                }
            )
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
    return filters


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The _search request: hits take every filter (post_filter); each facet's aggregation
    takes every filter but its own."""
    filters = filter_clauses(query)
    scored = query.sort is Sort.RELEVANCE and not query.parsed.is_empty
    if query.sort is Sort.PRICE:
        sort: list[Any] = [{"annual_price": {"order": "asc", "missing": "_last"}}]
    elif scored:
        sort = ["_score"]
    else:
        sort = [{"name_sort": {"order": "asc"}}]
    body: dict[str, Any] = {
        "query": text_query(query),
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
        highlights = {
            HIGHLIGHT_FIELDS[field]: fragments
            for field, fragments in hit.get("highlight", {}).items()
            if field in HIGHLIGHT_FIELDS
        }
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


def _unavailable(error: Exception) -> SearchUnavailable:
    return SearchUnavailable(f"Elasticsearch is unavailable: {type(error).__name__}")


class ElasticsearchEngine:
    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, alias: str = DEFAULT_ALIAS):
        self.client = client
        self.alias = alias

    @classmethod
    def from_url(cls, url: str, alias: str = DEFAULT_ALIAS) -> ElasticsearchEngine:
        # Fail fast: a search waits on this, and a 503 beats a hung request.
        client = Elasticsearch(url, request_timeout=5, max_retries=1, retry_on_timeout=False)
        return cls(client, alias)

    def _indices_behind_alias(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def _ensure_alias(self) -> None:
        if self._indices_behind_alias():
            return
        name = versioned_name(self.alias)
        self.client.indices.create(index=name, aliases={self.alias: {}}, **index_body())

    def apply(self, upserts: Sequence[SearchDocument], deletions: Sequence[int]) -> None:
        if not upserts and not deletions:
            return
        try:
            self._ensure_alias()
            helpers.bulk(
                self.client,
                bulk_actions(self.alias, upserts, deletions),
                refresh=True,  # searchable on return: "visible right after approval"
                ignore_status=(404,),  # deleting a document that was never indexed
            )
        except (TransportError, ApiError, helpers.BulkIndexError) as error:
            raise _unavailable(error) from error

    def start_build(self) -> ElasticsearchBuild:
        try:
            return ElasticsearchBuild(self)
        except (TransportError, ApiError) as error:
            raise _unavailable(error) from error

    def document_count(self) -> int:
        try:
            return int(self.client.count(index=self.alias)["count"])
        except NotFoundError:
            return 0
        except (TransportError, ApiError) as error:
            raise _unavailable(error) from error

    def check(self) -> str | None:
        try:
            if not self.client.ping():
                return "elasticsearch does not answer"
        except (TransportError, ApiError) as error:
            return f"elasticsearch unreachable: {type(error).__name__}"
        return None

    def search(self, query: SearchQuery) -> SearchResults:
        try:
            response = self.client.search(index=self.alias, body=search_body(query))
        except NotFoundError:  # nothing indexed yet
            return SearchResults(0, query.page, query.page_size, [], {f.value: [] for f in Facet})
        except ApiError as error:
            if error.meta.status == 400:
                raise QuerySyntaxError(f"The search engine cannot run the query: {error}") from None
            raise _unavailable(error) from error
        except TransportError as error:
            raise _unavailable(error) from error
        return parse_response(query, response.body)


class ElasticsearchBuild:
    def __init__(self, engine: ElasticsearchEngine):
        self._engine = engine
        self._client = engine.client
        self.index = versioned_name(engine.alias)
        body = index_body()
        body["settings"] = {**body["settings"], "refresh_interval": "-1"}  # bulk load faster
        self._client.indices.create(index=self.index, **body)

    def add(self, documents: Sequence[SearchDocument]) -> None:
        try:
            helpers.bulk(self._client, bulk_actions(self.index, documents, ()), chunk_size=1000)
        except (TransportError, ApiError, helpers.BulkIndexError) as error:
            raise _unavailable(error) from error

    def publish(self) -> None:
        try:
            self._client.indices.put_settings(
                index=self.index, settings={"index": {"refresh_interval": "1s"}}
            )
            self._client.indices.refresh(index=self.index)
            old = self._engine._indices_behind_alias()
            self._client.indices.update_aliases(
                actions=alias_swap_actions(self._engine.alias, self.index, old)
            )
            for index in old:
                self._client.indices.delete(index=index, ignore_unavailable=True)
        except (TransportError, ApiError) as error:
            raise _unavailable(error) from error

    def abandon(self) -> None:
        # A leftover index is harmless: the alias never pointed at it.
        with contextlib.suppress(TransportError, ApiError):
            self._client.indices.delete(index=self.index, ignore_unavailable=True)
