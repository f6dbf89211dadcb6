"""How the embedded engine answers a query over one tantivy searcher: the hits (exact words
first, typos only when they find too little), the facets and the highlights.

Exact, then fuzzy: a word is looked up exactly (after stemming) first; only when that finds
fewer than FUZZY_BELOW items (search.engine) is the search run again with typo tolerance
(each word within its edit distance, see search.engine.fuzziness). A misspelt word finds
nothing exactly, so typos are still forgiven; a well-spelt query no longer pays for fuzzy
term lookups (the costliest part of a search) and no longer matches near-spellings of its
words when the words themselves match enough. Both engines do the same.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
import tantivy
from tantivy import FieldType, Occur, Query, SnippetGenerator

from .documents import FACET_FIELDS, planned_level_range
from .engine import (
    FACET_SIZE,
    FIELD_BOOSTS,
    FUZZY_BELOW,
    FUZZY_NAME_BOOST,
    FUZZY_OTHER_BOOST,
    WHOLE_NAME_BOOST,
    facet_counts,
    fuzziness,
)
from .query import Facet, FacetCount, ParsedText, SearchHit, SearchQuery, SearchResults, Sort
from .tantivy_schema import MATCHABLE, SCHEMA

# Highlights the results show (see search.engine.shown_highlights): the name and the summary
# always, then the description, or the capabilities when the description has no match.
_ALWAYS_HIGHLIGHTED = {"name": "name", "summary": "summary"}
_ALSO_HIGHLIGHTED = {"description": "description", "capability_names": "capabilities"}

Tokens = list[tuple[str, int]]


class Searching:
    """Runs queries for one engine; `analyzer` is the index's text analyzer."""

    def __init__(self, analyzer: tantivy.TextAnalyzer):
        self._analyzer = analyzer

    def tokens(self, text: str) -> Tokens:
        return [(token.text, token.position) for token in self._analyzer.pre_tokenize(text).tokens]

    def run(self, searcher: tantivy.Searcher, query: SearchQuery) -> SearchResults:
        parsed = query.parsed
        words = [self.tokens(word) for word in parsed.words]
        filters = filter_queries(query)
        order_by, order = None, tantivy.Order.Desc
        if query.sort is Sort.NAME or (query.sort is Sort.RELEVANCE and parsed.is_empty):
            order_by, order = "name_sort", tantivy.Order.Asc
        elif query.sort is Sort.PRICE:
            order_by, order = "annual_price", tantivy.Order.Asc

        def hits_of(text: Query | None, score: Query | None) -> Any:
            return searcher.search(
                _all_of(text, score, list(filters.values())),
                limit=query.page_size,
                offset=query.offset,
                count=True,
                order_by_field=order_by,
                order=order,
            )

        text_query, score_query = self.text_queries(parsed, words, fuzzy=False)
        result = hits_of(text_query, score_query)
        total = result.count
        if total < FUZZY_BELOW and _fuzzable(words):
            text_query, score_query = self.text_queries(parsed, words, fuzzy=True)
            result = hits_of(text_query, score_query)
            total = result.count
        hits = _hits(searcher, result.hits, score_query, scored=order_by is None)
        facets = _facets(searcher, text_query, query, filters)
        return SearchResults(total, query.page, query.page_size, hits, facets)

    def text_queries(
        self, parsed: ParsedText, words: list[Tokens], fuzzy: bool
    ) -> tuple[Query | None, Query | None]:
        """(what must match, what else scores) for the free text; (None, None) without text.

        What must match scores a constant per word that could be misspelt: FUZZY_OTHER_BOOST,
        what a fuzzy term scores whatever the word (every match has it, so it is not repeated
        in what else scores). Exact or fuzzy, a match scores the same.
        """
        if parsed.is_empty:
            return None, None
        required: list[tuple[Occur, Query]] = []
        scoring: list[tuple[Occur, Query]] = []
        for tokens in words:
            for token, _ in tokens:
                distance = fuzziness(token)
                if distance:  # exact or fuzzy, each scores its boost alone
                    match, in_name = _terms(token, distance if fuzzy else 0)
                    required.append((Occur.Must, Query.const_score_query(match, FUZZY_OTHER_BOOST)))
                    scoring.append(
                        (Occur.Should, Query.const_score_query(in_name, FUZZY_NAME_BOOST))
                    )
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
            for token, _ in self.tokens(word):
                required.append((Occur.MustNot, Query.term_query(SCHEMA, MATCHABLE, token)))
        for phrase in parsed.excluded_phrases:
            phrase_query = self._phrase(MATCHABLE, phrase)
            if phrase_query is not None:
                required.append((Occur.MustNot, phrase_query))
        if not any(occur is Occur.Must for occur, _ in required):
            # Only exclusions, or stop words.
            required.append((Occur.Must, Query.const_score_query(Query.all_query(), 0.0)))
        if parsed.words and not parsed.phrases:
            scoring.append((Occur.Should, _whole_name(parsed, fuzzy)))
        score = Query.boolean_query(scoring) if scoring else None
        return Query.boolean_query(required), score

    def _phrase(self, field: str, phrase: str) -> Query | None:
        tokens = self.tokens(phrase)
        if not tokens:
            return None
        if len(tokens) == 1:
            return Query.term_query(SCHEMA, field, tokens[0][0])
        first = tokens[0][1]
        return Query.phrase_query(SCHEMA, field, [(position - first, t) for t, position in tokens])


def _terms(token: str, distance: int) -> tuple[Query, Query]:
    """The word in the matchable fields and in the name: fuzzy within `distance` edits (a
    fuzzy term matches the exact word too), or exact when it is 0."""
    if distance:
        return (
            Query.fuzzy_term_query(SCHEMA, MATCHABLE, token, distance=distance),
            Query.fuzzy_term_query(SCHEMA, "name", token, distance=distance),
        )
    return Query.term_query(SCHEMA, MATCHABLE, token), Query.term_query(SCHEMA, "name", token)


def _fuzzable(words: list[Tokens]) -> bool:
    """Whether a fuzzy search could find more: some word is long enough for a typo."""
    return any(fuzziness(token) for tokens in words for token, _ in tokens)


def _whole_name(parsed: ParsedText, fuzzy: bool) -> Query:
    # Fuzzy terms score alike whatever the field's length, so a near-exact match of the
    # whole name ("sistmone" for SystmOne, "emis wbe" for EMIS Web) is what puts it first.
    # It scores its boost, exact or fuzzy.
    whole = " ".join(parsed.words).casefold()
    distance = min(fuzziness(whole), 2) if fuzzy else 0
    if distance:
        match = Query.fuzzy_term_query(SCHEMA, "name_sort", whole, distance=distance)
        return Query.boost_query(match, WHOLE_NAME_BOOST)
    return Query.const_score_query(Query.term_query(SCHEMA, "name_sort", whole), WHOLE_NAME_BOOST)


def filter_queries(query: SearchQuery) -> dict[Facet | str, Query]:
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
    if query.planned_level is not None:
        lowest, highest = planned_level_range(query.planned_level, query.planned_by)
        filters["planned"] = Query.range_query(
            SCHEMA,
            "planned_level_by",
            FieldType.Integer,
            lower_bound=lowest,
            upper_bound=highest,
        )
    return filters


def _facets(
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
    unfaceted = [condition for key, condition in filters.items() if not isinstance(key, Facet)]
    base = _all_of(text_query, None, unfaceted)
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
    searcher: tantivy.Searcher,
    found: list[tuple[Any, tantivy.DocAddress]],
    score_query: Query | None,
    scored: bool,
) -> list[SearchHit]:
    if not found:
        return []
    always: dict[str, SnippetGenerator] = {}
    also: dict[str, SnippetGenerator] = {}
    if score_query is not None:
        for field in _ALWAYS_HIGHLIGHTED:
            always[field] = SnippetGenerator.create(searcher, score_query, SCHEMA, field)
        for field in _ALSO_HIGHLIGHTED:
            also[field] = SnippetGenerator.create(searcher, score_query, SCHEMA, field)
    hits = []
    for key, address in found:
        doc = searcher.doc(address)
        payload = orjson.loads(cast(bytes, doc.get_first("payload")))  # every document has one
        highlights = {}
        if always:
            for field, generator in always.items():
                snippet = generator.snippet_from_doc(doc)
                if snippet.highlighted():
                    highlights[_ALWAYS_HIGHLIGHTED[field]] = [_marked(snippet, doc, field)]
            for field, generator in also.items():
                snippet = generator.snippet_from_doc(doc)
                if snippet.highlighted():
                    highlights[_ALSO_HIGHLIGHTED[field]] = [_marked(snippet, doc, field)]
                    break  # only the first is shown
        score = float(key) if scored else None
        hits.append(SearchHit(payload["id"], score, payload, highlights))
    return hits


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
    filter aggregation takes them (what filter_queries builds as queries)."""
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


def _marked(snippet: tantivy.Snippet, doc: tantivy.Document, field: str) -> str:
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
