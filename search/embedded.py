"""The embedded engine: a tantivy index on local disk, nothing to run.

Layout under its root directory:
    CURRENT        names the index directory searched now (replaced atomically on reindex)
    index-<stamp>/ tantivy indexes; reindex builds a new one and then rewrites CURRENT
    drain.lock     serialises the processes that write (see search.locking)

    readers/       each process's private copy of the index it searches (search.tantivy_files)

Every search checks (with two stat calls) whether CURRENT or the index's meta.json changed and
reopens or reloads, so a commit or a swap made by another process is seen by the next search.
The schema and documents are in search.tantivy_schema, how a query is answered in
search.tantivy_search.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from cachetools import LRUCache
from tantivy import Index, Query

from catalogue.config import DEFAULT_SEARCH_CACHE

from .documents import DOCUMENT_FORMAT, SearchDocument
from .engine import IndexStatus
from .errors import SearchUnavailable
from .query import SearchQuery, SearchResults
from .tantivy_files import IndexDamaged, Mirror, check_footers
from .tantivy_schema import analyzer, open_index, to_tantivy
from .tantivy_search import Searching

CURRENT = "CURRENT"
FORMAT_FILE = "FORMAT"  # in each index directory: the DOCUMENT_FORMAT of its documents
DEFAULT_CACHE_SIZE = DEFAULT_SEARCH_CACHE  # results kept per process (see EmbeddedEngine)
WRITER_HEAP = 50_000_000
BUILD_HEAP = 256_000_000


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
        self._searching = Searching(analyzer())
        self._opened: _Opened | None = None
        self._mirror: Mirror | None = None
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

    def _mirror_of_this_process(self) -> Mirror:
        if self._mirror is None or self._mirror.pid != os.getpid():  # new after a fork
            self._mirror = Mirror(self.root)
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
                    opened = _Opened(directory, open_index(copy), pointer_stamp, meta_stamp)
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
            check_footers(directory)  # never map a truncated file (SIGBUS)
            index = open_index(directory)
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
            check_footers(directory)
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
            return self._searching.run(index.searcher(), query)
        with self._guard:
            if generation != self._cache_generation:  # the index changed: forget every result
                self._cache.clear()
                self._cache_generation = generation
            cached = self._cache.get(query)
            if cached is not None:  # and now the most recently used
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        results = self._searching.run(index.searcher(), query)
        with self._guard:
            if generation == self._cache_generation:
                self._cache[query] = results  # the least recently used one goes
        return results


class EmbeddedBuild:
    def __init__(self, engine: EmbeddedEngine, directory: Path):
        self._engine = engine
        self.directory = directory
        self._index = open_index(directory)
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
