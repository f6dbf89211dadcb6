"""The embedded engine: a tantivy index on local disk, nothing to run.

Layout under its root directory:
    CURRENT        names the index directory searched now (replaced atomically on reindex)
    index-<stamp>/ tantivy indexes; reindex builds a new one and then rewrites CURRENT
    drain.lock     serialises the processes that write (see search.locking)

    readers/       each process's private copy of the index it searches (see _Mirror)

Every search checks (with two stat calls) whether CURRENT or the index's meta.json changed and
reopens or reloads, so a commit or a swap made by another process is seen by the next search.

Searches never read the shared index files themselves: tantivy maps them into memory, and a
mapped file that is truncated under a process (a full disk, an operator, a bad copy) kills it
with SIGBUS on the next read. Each process reads a private copy instead, refreshed file by file
(segment files never change once written, so a commit copies only its new segment), and every
file is checked against the CRC32 in its tantivy footer as it is copied: a truncated or corrupt
file is reported as a damaged index (search.keeper rebuilds it), never mapped. Writers check the
footers of the shared files before they open them.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import struct
import threading
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import orjson
import tantivy
from cachetools import LRUCache
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

from .documents import DOCUMENT_FORMAT, FACET_FIELDS, SearchDocument, planned_level_range
from .engine import (
    ENGLISH_STOP_WORDS,
    FACET_SIZE,
    FIELD_BOOSTS,
    FUZZY_NAME_BOOST,
    FUZZY_OTHER_BOOST,
    HIGHLIGHT_FIELDS,
    WHOLE_NAME_BOOST,
    IndexStatus,
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
FORMAT_FILE = "FORMAT"  # in each index directory: the DOCUMENT_FORMAT of its documents
READERS = "readers"
FOOTER_MAGIC = 1337  # tantivy's footer: [content][footer json][its length u32][1337 u32]
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
    builder.add_integer_field("planned_level_by", indexed=True)
    builder.add_bytes_field("payload", stored=True)
    builder.add_text_field("fingerprint", stored=True, tokenizer_name="raw")
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
        "fingerprint": document.fingerprint,
    }
    if document.annual_price is not None:
        fields["annual_price"] = float(document.annual_price)
    if document.planned_levels:
        fields["planned_level_by"] = document.planned_level_keys
    return Document.from_dict(fields, SCHEMA)


class IndexDamaged(Exception):
    """A file of the index is missing, truncated or corrupt."""


def _segment_files(directory: Path) -> list[str]:
    """The names of the files of the segments that the index's meta.json lists."""
    try:
        meta = json.loads((directory / "meta.json").read_bytes())
        segments = {segment["segment_id"].replace("-", "") for segment in meta["segments"]}
    except FileNotFoundError as error:
        raise IndexDamaged(f"{directory.name} has no meta.json") from error
    except (ValueError, KeyError, TypeError) as error:
        raise IndexDamaged(f"{directory.name}/meta.json is unreadable: {error}") from error
    names = sorted(name for name in os.listdir(directory) if name.split(".", 1)[0] in segments)
    found = {name.split(".", 1)[0] for name in names}
    if found != segments:
        missing = len(segments - found)
        raise IndexDamaged(f"{directory.name} lacks the files of {missing} segment(s)")
    return names


def _footer(name: str, size: int, tail: bytes) -> dict[str, Any]:
    """The footer of a tantivy file from its last bytes (`tail`, at most the whole file)."""
    if size < 8 or len(tail) < 8 or struct.unpack("<I", tail[-4:])[0] != FOOTER_MAGIC:
        raise IndexDamaged(f"{name} is truncated (no footer)")
    length = struct.unpack("<I", tail[-8:-4])[0]
    if length + 8 > min(size, len(tail)):
        raise IndexDamaged(f"{name} is truncated (a footer longer than the file)")
    try:
        footer = json.loads(tail[-8 - length : -8])
        footer["crc"] = int(footer["crc"])
    except (ValueError, KeyError, TypeError) as error:
        raise IndexDamaged(f"{name} has an unreadable footer") from error
    return dict(footer, length=length + 8)


def _check_footers(directory: Path) -> None:
    """Cheap: every segment file of the index ends with a footer (truncation removes it)."""
    for name in _segment_files(directory):
        with open(directory / name, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            file.seek(max(0, size - 512))
            _footer(name, size, file.read())


def _verified_copy(source: Path, target: Path) -> None:
    """Copy a segment file, checking its content against the CRC32 its footer records."""
    data = source.read_bytes()  # read(2), never mapped: a truncated file reads short
    footer = _footer(source.name, len(data), data[-512:])
    if zlib.crc32(memoryview(data)[: len(data) - footer["length"]]) != footer["crc"]:
        raise IndexDamaged(f"{source.name} is corrupt (its checksum does not match)")
    temporary = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


class _Mirror:
    """This process's private, verified copy of the indexes it searches (readers/<pid>-<n>)."""

    def __init__(self, root: Path):
        self.readers = root / READERS
        self.pid = os.getpid()
        self.directory = self.readers / f"{self.pid}-{uuid.uuid4().hex[:8]}"
        _remove_dead_mirrors(self.readers)
        atexit.register(shutil.rmtree, self.directory, True)

    def sync(self, source: Path) -> Path:
        """Bring the copy of index `source` up to date; returns its directory."""
        target = self.directory / source.name
        target.mkdir(parents=True, exist_ok=True)
        meta = (source / "meta.json").read_bytes()
        try:
            wanted = _segment_files(source)
            for name in wanted:
                if not (target / name).exists():
                    _verified_copy(source / name, target / name)
        except FileNotFoundError as error:  # a merge removed it meanwhile, or damage
            raise IndexDamaged(f"{source.name} lost a file: {error.filename}") from error
        if (source / "meta.json").read_bytes() != meta:
            raise IndexDamaged(f"{source.name} changed while it was copied; try again")
        temporary = target / f"meta.json.{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(meta)
        os.replace(temporary, target / "meta.json")
        keep = {*wanted, "meta.json"}
        for path in target.iterdir():  # open maps of removed files stay valid (unlinked)
            if path.name not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)
        for other in self.directory.iterdir():  # copies of indexes no longer searched
            if other != target and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
        return target


def _remove_dead_mirrors(readers: Path) -> None:
    if not readers.is_dir():
        return
    for mirror in readers.iterdir():
        pid = mirror.name.split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(mirror, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


MISSING = "the search index is missing"


class EmbeddedEngine:
    """Searches and writes the index under `root`.

    Results are cached per process, `cache_size` of them (0: none), keyed by the query and
    the generation of the index they came from (the stamps of CURRENT and of the index's
    meta.json, which every commit and swap replaces, in this process or another): a change
    to the index is a new generation, so no result of an older one is served again. Cached
    results are shared: callers must not modify them.

    There is no index until the first build is published (`gpsoc reindex`, or the keeper):
    until then, and whenever the index is missing or damaged, searches and writes raise
    SearchUnavailable rather than answering from an empty index.
    """

    name = "embedded"

    def __init__(self, root: Path, cache_size: int = DEFAULT_CACHE_SIZE):
        self.root = Path(root)
        self._analyzer = _analyzer()
        self._opened: _Opened | None = None
        self._mirror: _Mirror | None = None
        self._guard = threading.Lock()
        self.cache_size = cache_size
        self._cache: LRUCache[SearchQuery, SearchResults] = LRUCache(maxsize=max(cache_size, 1))
        self._cache_generation: tuple | None = None
        self.cache_hits = self.cache_misses = 0

    # -- opening, and seeing other processes' commits and swaps

    def _pointer(self) -> Path:
        return self.root / CURRENT

    def _new_directory(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        directory = self.root / f"index-{stamp}-{uuid.uuid4().hex[:6]}"
        directory.mkdir(parents=True)
        return directory

    def _write_pointer(self, directory: Path) -> None:
        temporary = self.root / f"{CURRENT}.{uuid.uuid4().hex}.tmp"
        temporary.write_text(directory.name)
        os.replace(temporary, self._pointer())  # atomic: readers see the old or the new name

    def _shared_directory(self) -> Path:
        """The directory CURRENT names; SearchUnavailable when there is none."""
        try:
            name = self._pointer().read_text().strip()
        except FileNotFoundError:
            raise SearchUnavailable(MISSING) from None
        directory = self.root / name
        if not name or not (directory / "meta.json").is_file():
            raise SearchUnavailable(MISSING)
        return directory

    def _mirror_of_this_process(self) -> _Mirror:
        if self._mirror is None or self._mirror.pid != os.getpid():  # new after a fork
            self._mirror = _Mirror(self.root)
        return self._mirror

    def _index(self) -> Index:
        return self._current()[0]

    def _current(self) -> tuple[Index, tuple]:
        """The index to search now (this process's verified copy), and its generation."""
        with self._guard:
            pointer_stamp = _stamp(self._pointer())
            if pointer_stamp is None:
                raise SearchUnavailable(MISSING)
            opened = self._opened
            try:
                if opened is None or opened.pointer_stamp != pointer_stamp:
                    directory = self._shared_directory()
                    copy = self._mirror_of_this_process().sync(directory)
                    meta_stamp = _stamp(directory / "meta.json")
                    opened = _Opened(directory, _open(copy), pointer_stamp, meta_stamp)
                    self._opened = opened
                meta_stamp = _stamp(opened.directory / "meta.json")
                if meta_stamp is None:
                    raise SearchUnavailable(MISSING)
                if meta_stamp != opened.meta_stamp:
                    self._mirror_of_this_process().sync(opened.directory)
                    opened.index.reload()
                    opened.meta_stamp = meta_stamp
            except IndexDamaged as error:
                raise SearchUnavailable(f"the search index is damaged: {error}") from error
            except (OSError, ValueError) as error:
                raise SearchUnavailable(f"the search index cannot be opened: {error}") from error
            return opened.index, (opened.directory.name, pointer_stamp, meta_stamp)

    # -- writing

    def apply(self, upserts: Sequence[SearchDocument], deletions: Sequence[int]) -> None:
        if not upserts and not deletions:
            return
        directory = self._shared_directory()
        try:
            _check_footers(directory)  # never map a truncated file (SIGBUS)
            index = _open(directory)
            writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except IndexDamaged as error:
            raise SearchUnavailable(f"the search index is damaged: {error}") from error
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
        self.root.mkdir(parents=True, exist_ok=True)
        return EmbeddedBuild(self, self._new_directory())

    def _published(self, directory: Path) -> None:
        (directory / FORMAT_FILE).write_text(str(DOCUMENT_FORMAT))
        try:
            previous: Path | None = self.root / self._pointer().read_text().strip()
        except FileNotFoundError:
            previous = None
        self._write_pointer(directory)
        self._index()
        # Keep the index just replaced (another process may be mid-search in it); older go.
        for stale in self.root.glob("index-*"):
            if stale not in (directory, previous) and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)

    # -- reading

    def document_count(self) -> int:
        return self._index().searcher().num_docs

    def index_status(self) -> IndexStatus:
        try:
            directory = self._shared_directory()
        except SearchUnavailable:
            return IndexStatus(None)
        try:
            stored = (directory / FORMAT_FILE).read_text().strip()
            format: int | None = int(stored) if stored.isdigit() else None
        except FileNotFoundError:
            format = None
        try:
            _check_footers(directory)
            count = self._index().searcher().num_docs
        except (IndexDamaged, SearchUnavailable, OSError, ValueError) as error:
            return IndexStatus(directory.name, 0, format, problem=str(error))
        return IndexStatus(directory.name, count, format)

    def fingerprints(self) -> dict[int, str]:
        searcher = self._index().searcher()
        if not searcher.num_docs:
            return {}
        found = searcher.search(Query.all_query(), limit=searcher.num_docs)
        prints = {}
        for _, address in found.hits:
            doc = searcher.doc(address)
            prints[cast(int, doc.get_first("id"))] = str(doc.get_first("fingerprint") or "")
        return prints

    def check(self) -> str | None:
        status = self.index_status()
        if status.generation is None:
            return MISSING
        return status.problem

    def search(self, query: SearchQuery) -> SearchResults:
        index, generation = self._current()
        if not self.cache_size:
            return self._search(index, query)
        with self._guard:
            if generation != self._cache_generation:  # the index changed: forget every result
                self._cache.clear()
                self._cache_generation = generation
            cached = self._cache.get(query)
            if cached is not None:  # and now the most recently used
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        results = self._search(index, query)
        with self._guard:
            if generation == self._cache_generation:
                self._cache[query] = results  # the least recently used one goes
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
