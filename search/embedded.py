"""The embedded engine: a tantivy index on local disk, nothing to run.

Layout under its root directory:
    CURRENT        names the index directory searched now (replaced atomically on reindex)
    index-<stamp>/ tantivy indexes; reindex builds a new one and then rewrites CURRENT
    drain.lock     serialises the processes that write (see search.locking)

Every search checks (with two stat calls) whether CURRENT or the index's meta.json changed and
reopens or reloads, so a commit or a swap made by another process is seen by the next search.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import orjson
import tantivy
from tantivy import (
    Document,
    FieldType,
    Filter,
    Index,
    Occur,
    Order,
    Query,
    SchemaBuilder,
    SnippetGenerator,
    TextAnalyzerBuilder,
    Tokenizer,
)

from catalogue.config import DEFAULT_SEARCH_CACHE

from .documents import FACET_FIELDS, SearchDocument
from .engine import (
    ENGLISH_STOP_WORDS,
    FACET_SIZE,
    FIELD_BOOSTS,
    FUZZY_NAME_BOOST,
    FUZZY_OTHER_BOOST,
    HIGHLIGHT_FIELDS,
    WHOLE_NAME_BOOST,
    facet_counts,
    fuzziness,
)
from .errors import SearchUnavailable
from .query import (
    Facet,
    FacetCount,
    ParsedText,
    SearchHit,
    SearchQuery,
    SearchResults,
    Sort,
)

ANALYZER = "gpsoc_en"
CURRENT = "CURRENT"
# Words must match in these fields; the description only adds to the score (see README).
MATCHABLE = "matchable"
DEFAULT_CACHE_SIZE = DEFAULT_SEARCH_CACHE  # results kept per process (see EmbeddedEngine)
WRITER_HEAP = 50_000_000
BUILD_HEAP = 256_000_000


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(40))
        .filter(Filter.lowercase())
        .filter(Filter.custom_stopword(ENGLISH_STOP_WORDS))
        .filter(Filter.stemmer("english"))
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in ("name", "summary", "description", "capability_names"):
        builder.add_text_field(name, stored=True, tokenizer_name=ANALYZER)
    for name in ("supplier_name", "lot_name", "framework_name", MATCHABLE):
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    for name in ("kind", "hosting", "framework", "capabilities"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("framework_facet", "supplier_facet", "capability_facets", "name_sort"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in ("lot", "maturity_level", "supplier_id"):
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_float_field("annual_price", indexed=True, fast=True)
    builder.add_bytes_field("payload", stored=True)
    return builder.build()


SCHEMA = _schema()


def to_tantivy(document: SearchDocument) -> Document:
    # One call with every field (Document.from_dict) costs less than a call per value.
    capability_names = list(document.capability_names)
    fields = {
        "id": document.id,
        "name": document.name,
        "summary": document.summary,
        "description": document.description,
        "capability_names": capability_names,
        "supplier_name": document.supplier_name,
        "lot_name": document.lot_name,
        "framework_name": document.framework_name,
        MATCHABLE: [
            document.name,
            document.summary,
            document.supplier_name,
            document.lot_name,
            document.framework_name,
            *capability_names,
        ],
        "kind": document.kind,
        "hosting": document.hosting,
        "framework": document.framework,
        "framework_facet": document.framework_facet,
        "supplier_facet": document.supplier_facet,
        "name_sort": document.name_sort,
        "capabilities": list(document.capabilities),
        "capability_facets": list(document.capability_facets),
        "lot": document.lot,
        "maturity_level": document.maturity_level,
        "supplier_id": document.supplier_id,
        "payload": orjson.dumps(document.display()),
    }
    if document.annual_price is not None:
        fields["annual_price"] = float(document.annual_price)
    return Document.from_dict(fields, SCHEMA)


@dataclass
class _Opened:
    directory: Path
    index: Index
    pointer_stamp: tuple[int, int] | None
    meta_stamp: tuple[int, int] | None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns


def _open(directory: Path) -> Index:
    index = Index(SCHEMA, path=str(directory), reuse=True)
    index.register_tokenizer(ANALYZER, _analyzer())
    index.config_reader(reload_policy="Manual")
    return index


class EmbeddedEngine:
    """Searches and writes the index under `root`.

    Results are cached per process, `cache_size` of them (0: none), keyed by the query and
    the generation of the index they came from (the stamps of CURRENT and of the index's
    meta.json, which every commit and swap replaces, in this process or another): a change
    to the index is a new generation, so no result of an older one is served again. Cached
    results are shared: callers must not modify them.
    """

    name = "embedded"

    def __init__(self, root: Path, cache_size: int = DEFAULT_CACHE_SIZE):
        self.root = Path(root)
        self._analyzer = _analyzer()
        self._opened: _Opened | None = None
        self._guard = threading.Lock()
        self.cache_size = cache_size
        self._cache: OrderedDict[SearchQuery, SearchResults] = OrderedDict()
        self._cache_generation: tuple | None = None
        self.cache_hits = self.cache_misses = 0

    # -- opening, and seeing other processes' commits and swaps

    def _pointer(self) -> Path:
        return self.root / CURRENT

    def _ensure_current(self) -> None:
        if self._pointer().exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        directory = self._new_directory()
        _open(directory)  # an empty index
        self._write_pointer(directory)

    def _new_directory(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        directory = self.root / f"index-{stamp}-{uuid.uuid4().hex[:6]}"
        directory.mkdir(parents=True)
        return directory

    def _write_pointer(self, directory: Path) -> None:
        temporary = self.root / f"{CURRENT}.{uuid.uuid4().hex}.tmp"
        temporary.write_text(directory.name)
        os.replace(temporary, self._pointer())  # atomic: readers see the old or the new name

    def _index(self) -> Index:
        return self._current()[0]

    def _current(self) -> tuple[Index, tuple]:
        """The index to search now, and its generation."""
        with self._guard:
            pointer_stamp = _stamp(self._pointer())
            if pointer_stamp is None:
                self._ensure_current()
                pointer_stamp = _stamp(self._pointer())
            opened = self._opened
            if opened is None or opened.pointer_stamp != pointer_stamp:
                directory = self.root / self._pointer().read_text().strip()
                opened = _Opened(directory, _open(directory), pointer_stamp, None)
                self._opened = opened
            meta_stamp = _stamp(opened.directory / "meta.json")
            if meta_stamp != opened.meta_stamp:
                opened.index.reload()
                opened.meta_stamp = meta_stamp
            return opened.index, (opened.directory.name, pointer_stamp, meta_stamp)

    # -- writing

    def apply(self, upserts: Sequence[SearchDocument], deletions: Sequence[int]) -> None:
        if not upserts and not deletions:
            return
        try:
            index = self._index()
            writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except (OSError, ValueError) as error:
            raise SearchUnavailable(f"the search index cannot be written: {error}") from error
        try:
            for item_id in (*deletions, *(document.id for document in upserts)):
                writer.delete_documents_by_term("id", item_id)
            for document in upserts:
                writer.add_document(to_tantivy(document))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # also releases tantivy's writer lock
        self._index()  # reload now: this process's next search must see the change

    def start_build(self) -> EmbeddedBuild:
        self._ensure_current()
        return EmbeddedBuild(self, self._new_directory())

    def _published(self, directory: Path) -> None:
        previous = self.root / self._pointer().read_text().strip()
        self._write_pointer(directory)
        self._index()
        # Keep the index just replaced (another process may be mid-search in it); older go.
        for stale in self.root.glob("index-*"):
            if stale not in (directory, previous) and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)

    # -- reading

    def document_count(self) -> int:
        return self._index().searcher().num_docs

    def check(self) -> str | None:
        try:
            self._index().searcher()
        except (OSError, ValueError) as error:
            return f"search index unavailable: {error}"
        return None

    def search(self, query: SearchQuery) -> SearchResults:
        try:
            index, generation = self._current()
        except (OSError, ValueError) as error:
            raise SearchUnavailable(f"the search index cannot be opened: {error}") from error
        if not self.cache_size:
            return self._search(index, query)
        with self._guard:
            if generation != self._cache_generation:  # the index changed: forget every result
                self._cache.clear()
                self._cache_generation = generation
            cached = self._cache.get(query)
            if cached is not None:
                self._cache.move_to_end(query)
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        results = self._search(index, query)
        with self._guard:
            if generation == self._cache_generation:
                self._cache[query] = results
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return results

    def _search(self, index: Index, query: SearchQuery) -> SearchResults:
        searcher = index.searcher()
        parsed = query.parsed
        text_query, score_query = self._text_queries(parsed)
        filters = self._filters(query)
        hits_query = _all_of(text_query, score_query, list(filters.values()))

        order_by, order = None, Order.Desc
        if query.sort is Sort.NAME or (query.sort is Sort.RELEVANCE and score_query is None):
            order_by, order = "name_sort", Order.Asc
        elif query.sort is Sort.PRICE:
            order_by, order = "annual_price", Order.Asc
        result = searcher.search(
            hits_query,
            limit=query.page_size,
            offset=query.offset,
            count=True,
            order_by_field=order_by,
            order=order,
        )
        hits = self._hits(searcher, result.hits, score_query, scored=order_by is None)
        facets = self._facets(searcher, text_query, query, filters)
        total = result.count  # type: ignore[attr-defined]  # tantivy's stub lacks it
        return SearchResults(total, query.page, query.page_size, hits, facets)

    def _tokens(self, text: str) -> list[tuple[str, int]]:
        return [(token.text, token.position) for token in self._analyzer.pre_tokenize(text).tokens]

    def _text_queries(self, parsed: ParsedText) -> tuple[Query | None, Query | None]:
        """(what must match, what else scores) for the free text; (None, None) without text.

        What must match scores too, but only its fuzzy words, each FUZZY_OTHER_BOOST (a fuzzy
        term scores its boost, whatever the word): every match has them all, so they are not
        repeated in what else scores, and each fuzzy word is looked up once per search.
        """
        if parsed.is_empty:
            return None, None
        required: list[tuple[Occur, Query]] = []
        scoring: list[tuple[Occur, Query]] = []
        for word in parsed.words:
            for token, _ in self._tokens(word):
                distance = fuzziness(token)
                if distance:
                    # A fuzzy term matches the exact word too (edit distance 0).
                    fuzzy = Query.fuzzy_term_query(SCHEMA, MATCHABLE, token, distance=distance)
                    required.append((Occur.Must, Query.boost_query(fuzzy, FUZZY_OTHER_BOOST)))
                    name = Query.fuzzy_term_query(SCHEMA, "name", token, distance=distance)
                    scoring.append((Occur.Should, Query.boost_query(name, FUZZY_NAME_BOOST)))
                else:
                    exact = Query.term_query(SCHEMA, MATCHABLE, token)
                    required.append((Occur.Must, Query.const_score_query(exact, 0.0)))
                for field, boost in FIELD_BOOSTS.items():
                    term = Query.term_query(SCHEMA, field, token)
                    scoring.append((Occur.Should, Query.boost_query(term, boost)))
        for phrase in parsed.phrases:
            phrase_query = self._phrase(MATCHABLE, phrase)
            if phrase_query is None:
                continue
            required.append((Occur.Must, Query.const_score_query(phrase_query, 0.0)))
            for field, boost in FIELD_BOOSTS.items():
                # The phrase has the same tokens in every field: not None either.
                field_query = cast(Query, self._phrase(field, phrase))
                scoring.append((Occur.Should, Query.boost_query(field_query, boost)))
        for word in parsed.excluded_words:
            for token, _ in self._tokens(word):
                required.append((Occur.MustNot, Query.term_query(SCHEMA, MATCHABLE, token)))
        for phrase in parsed.excluded_phrases:
            phrase_query = self._phrase(MATCHABLE, phrase)
            if phrase_query is not None:
                required.append((Occur.MustNot, phrase_query))
        if not any(occur is Occur.Must for occur, _ in required):
            # Only exclusions, or stop words.
            required.append((Occur.Must, Query.const_score_query(Query.all_query(), 0.0)))
        if parsed.words and not parsed.phrases:
            scoring.append((Occur.Should, self._whole_name(parsed)))
        score = Query.boolean_query(scoring) if scoring else None
        return Query.boolean_query(required), score

    def _whole_name(self, parsed: ParsedText) -> Query:
        # Fuzzy terms score alike whatever the field's length, so a near-exact match of the
        # whole name ("sistmone" for SystmOne, "emis wbe" for EMIS Web) is what puts it first.
        whole = " ".join(parsed.words).casefold()
        distance = min(fuzziness(whole), 2)
        match = (
            Query.fuzzy_term_query(SCHEMA, "name_sort", whole, distance=distance)
            if distance
            else Query.term_query(SCHEMA, "name_sort", whole)
        )
        return Query.boost_query(match, WHOLE_NAME_BOOST)

    def _phrase(self, field: str, phrase: str) -> Query | None:
        tokens = self._tokens(phrase)
        if not tokens:
            return None
        if len(tokens) == 1:
            return Query.term_query(SCHEMA, field, tokens[0][0])
        first = tokens[0][1]
        return Query.phrase_query(SCHEMA, field, [(position - first, t) for t, position in tokens])

    def _filters(self, query: SearchQuery) -> dict[Facet | str, Query]:
        """Filter queries, keyed by the facet whose field they filter (price has no facet)."""
        filters: dict[Facet | str, Query] = {}
        if query.framework is not None:
            filters[Facet.FRAMEWORK] = Query.term_query(SCHEMA, "framework", query.framework)
        if query.lot is not None:
            filters[Facet.LOT] = Query.term_query(SCHEMA, "lot", query.lot)
        if query.kind is not None:
            filters[Facet.KIND] = Query.term_query(SCHEMA, "kind", query.kind)
        if query.supplier_id is not None:
            filters[Facet.SUPPLIER] = Query.term_query(SCHEMA, "supplier_id", query.supplier_id)
        if query.capabilities:
            every = [
                (Occur.Must, Query.term_query(SCHEMA, "capabilities", code))
                for code in dict.fromkeys(query.capabilities)
            ]
            filters[Facet.CAPABILITY] = Query.boolean_query(every)
        if query.min_maturity_level is not None:
            filters[Facet.MATURITY_LEVEL] = Query.range_query(
                SCHEMA, "maturity_level", FieldType.Integer, lower_bound=query.min_maturity_level
            )
        if query.hosting is not None:
            filters[Facet.HOSTING] = Query.term_query(SCHEMA, "hosting", query.hosting)
        if query.price_max is not None:
            filters["price"] = Query.range_query(
                SCHEMA, "annual_price", FieldType.Float, upper_bound=float(query.price_max)
            )
        return filters

    def _facets(
        self,
        searcher: tantivy.Searcher,
        text_query: Query | None,
        query: SearchQuery,
        filters: dict[Facet | str, Query],
    ) -> dict[str, list[FacetCount]]:
        # The facet of a field ignores the filter on that field and applies all the others.
        # One aggregation pass over the documents that match the text (and the price, which has
        # no facet) counts every facet, so the text query, the costly part, is evaluated once:
        # the terms aggregation of a facet sits under nested filter aggregations, one per filter
        # it applies. Nested single filters share their prefixes (tantivy makes a bitset per
        # filter aggregation per segment: six single ones for three filters cost less than four
        # conjunctions).
        base = _all_of(text_query, None, [filters["price"]] if "price" in filters else [])
        conditions = _filter_strings(query)
        aggregations: dict[str, dict] = {}
        paths: dict[Facet, list[str]] = {}
        for facet in Facet:
            level, path = aggregations, []
            for number, (field, condition) in enumerate(conditions):
                if field is facet:
                    continue
                name = f"where-{number}"
                level = level.setdefault(name, {"filter": condition, "aggs": {}})["aggs"]
                path.append(name)
            level[facet.value] = {"terms": {"field": FACET_FIELDS[facet], "size": FACET_SIZE}}
            paths[facet] = [*path, facet.value]
        counted = searcher.aggregate(base, aggregations)
        facets: dict[str, list[FacetCount]] = {}
        for facet, path in paths.items():
            result = counted
            for name in path:
                result = result.get(name, {})
            pairs = [(bucket["key"], bucket["doc_count"]) for bucket in result.get("buckets", [])]
            facets[facet.value] = facet_counts(facet, pairs)
        return facets

    def _hits(
        self,
        searcher: tantivy.Searcher,
        found: list[tuple[Any, tantivy.DocAddress]],
        score_query: Query | None,
        scored: bool,
    ) -> list[SearchHit]:
        if not found:
            return []
        generators = {}
        if score_query is not None:
            for field in HIGHLIGHT_FIELDS:
                generators[field] = SnippetGenerator.create(searcher, score_query, SCHEMA, field)
        hits = []
        for key, address in found:
            doc = searcher.doc(address)
            payload = orjson.loads(cast(str, doc.get_first("payload")))  # every document has one
            highlights = {}
            for field, generator in generators.items():
                snippet = generator.snippet_from_doc(doc)
                if snippet.highlighted():
                    highlights[HIGHLIGHT_FIELDS[field]] = [_marked(snippet, doc, field)]
            score = float(key) if scored else None
            hits.append(SearchHit(payload["id"], score, payload, highlights))
        return hits


class EmbeddedBuild:
    def __init__(self, engine: EmbeddedEngine, directory: Path):
        self._engine = engine
        self.directory = directory
        self._index = _open(directory)
        self._writer = self._index.writer(heap_size=BUILD_HEAP, num_threads=0)

    def add(self, documents: Sequence[SearchDocument]) -> None:
        for document in documents:
            self._writer.add_document(to_tantivy(document))

    def publish(self) -> None:
        self._writer.commit()
        self._writer.wait_merging_threads()
        self._engine._published(self.directory)

    def abandon(self) -> None:
        try:
            self._writer.rollback()
            self._writer.wait_merging_threads()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def _all_of(text_query: Query | None, score_query: Query | None, filters: list) -> Query:
    """Text (scored) AND every filter (unscored)."""
    clauses: list[tuple[Occur, Query]] = []
    if text_query is not None:
        clauses.append((Occur.Must, text_query))
    if score_query is not None:
        clauses.append((Occur.Should, score_query))
    clauses.extend((Occur.Must, Query.const_score_query(f, 0.0)) for f in filters)
    if not clauses:
        return Query.all_query()
    return Query.boolean_query(clauses)


def _quoted(value: str) -> str:
    """A string as a term of tantivy's query language: quoted, with quotes and backslashes
    escaped, so a filter value is always one exact term and never syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _filter_strings(query: SearchQuery) -> list[tuple[Facet, str]]:
    """The filters on facet fields as single conditions in tantivy's query language, as a
    filter aggregation takes them (what EmbeddedEngine._filters builds as queries)."""
    conditions: list[tuple[Facet, str]] = []
    if query.framework is not None:
        conditions.append((Facet.FRAMEWORK, f"framework:{_quoted(query.framework)}"))
    if query.lot is not None:
        conditions.append((Facet.LOT, f"lot:{int(query.lot)}"))
    if query.kind is not None:
        conditions.append((Facet.KIND, f"kind:{_quoted(query.kind)}"))
    if query.supplier_id is not None:
        conditions.append((Facet.SUPPLIER, f"supplier_id:{int(query.supplier_id)}"))
    for code in dict.fromkeys(query.capabilities):
        conditions.append((Facet.CAPABILITY, f"capabilities:{_quoted(code)}"))
    if query.min_maturity_level is not None:
        level = int(query.min_maturity_level)
        conditions.append((Facet.MATURITY_LEVEL, f"maturity_level:>={level}"))
    if query.hosting is not None:
        conditions.append((Facet.HOSTING, f"hosting:{_quoted(query.hosting)}"))
    return conditions


def _marked(snippet: tantivy.Snippet, doc: Document, field: str) -> str:
    """The snippet (which highlights something) as escaped HTML with <mark> around matches and
    ... where the field's text was cut.

    tantivy writes it (Snippet.to_html) with <b> tags and also escapes quotes; the tags become
    <mark> and the quotes go back to plain characters, as html.escape(quote=False) leaves them.
    Replacing is exact: a "<b>", "&quot;" or "&#x27;" in the text itself was escaped to
    "&lt;b&gt;", "&amp;quot;" or "&amp;#x27;", which the replacements do not match.
    """
    marked = (
        snippet.to_html()
        .replace("<b>", "<mark>")
        .replace("</b>", "</mark>")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
    )
    covered = snippet.fragment_range()
    start, end = covered.start, covered.end
    whole = len(" ".join(doc.get_all(field)).strip().encode())
    return ("..." if start > 0 else "") + marked + ("..." if end < whole else "")
