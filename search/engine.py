"""The engine protocol: what every search engine (embedded tantivy, Elasticsearch) offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .documents import SearchDocument, split_facet_key
from .query import Facet, FacetCount, SearchQuery, SearchResults, sorted_facet

# Lucene's English stop words (Elasticsearch's `_english_`); both engines drop them so that
# "data and audit trail" means the same everywhere.
ENGLISH_STOP_WORDS = [
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "for",
    "if",
    "in",
    "into",
    "is",
    "it",
    "no",
    "not",
    "of",
    "on",
    "or",
    "such",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "was",
    "will",
    "with",
]

# Field boosts for relevance: a match in the name counts most, then the short texts, then the
# description. The same numbers drive both engines.
FIELD_BOOSTS = {
    "name": 5.0,
    "summary": 2.0,
    "capability_names": 2.0,
    "supplier_name": 2.0,
    "lot_name": 0.5,
    "framework_name": 0.5,
    "description": 1.0,
}
FUZZY_NAME_BOOST = 3.0  # a misspelt word of the name counts nearly as much as a right one
FUZZY_OTHER_BOOST = 0.5  # a misspelt word found elsewhere (summary, capabilities...)
WHOLE_NAME_BOOST = 6.0  # the query is (nearly) the whole name
HIGHLIGHT_FIELDS = {  # document field -> key in the response's highlights
    "name": "name",
    "summary": "summary",
    "description": "description",
    "capability_names": "capabilities",
}
FACET_SIZE = 1000
# Exact, then fuzzy: every engine searches the words as written (after stemming) first, and
# only when that finds fewer than FUZZY_BELOW items searches again with typo tolerance.
FUZZY_BELOW = 5


def shown_highlights(highlights: dict[str, list[str]]) -> dict[str, list[str]]:
    """The highlights a result shows: the name's and the summary's, then the first of the
    description's or the capabilities' (the pages show one "also matched in")."""
    shown: dict[str, list[str]] = {
        key: highlights[key] for key in ("name", "summary") if key in highlights
    }
    for key in ("description", "capabilities"):
        if key in highlights:
            shown[key] = highlights[key]
            break
    return shown


_LABELLED_FACETS = {Facet.FRAMEWORK, Facet.SUPPLIER, Facet.CAPABILITY}


def facet_counts(
    facet: Facet, buckets: Sequence[tuple[str | int | float, int]]
) -> list[FacetCount]:
    """Engine buckets (keyword or number, count) as the facet's values, labels and counts."""
    counts: dict[tuple[str | int, str | None], int] = {}
    for key, count in buckets:
        entry: tuple[str | int, str | None]
        if facet in _LABELLED_FACETS:
            value, label = split_facet_key(str(key))
            entry = (int(value), label) if facet is Facet.SUPPLIER else (value, label)
        else:
            entry = (int(key) if isinstance(key, float) else key, None)
        counts[entry] = counts.get(entry, 0) + count
    return sorted_facet(counts)


# Elasticsearch's fuzziness "AUTO:3,8": no typo allowed below 3 characters, one below 8, else
# two. (Plain AUTO allows two from 6 characters, which costs more and matches more loosely.)
FUZZINESS = "AUTO:3,8"


def fuzziness(token: str) -> int:
    """Edit distance allowed for a term, as FUZZINESS says."""
    if len(token) < 3:
        return 0
    return 1 if len(token) < 8 else 2


class Degraded(str):
    """What check() returns when the engine answers but is degraded (a cluster with a replica
    missing): readiness reports it and stays ready."""

    ready = True


@dataclass(frozen=True)
class IndexStatus:
    """What the engine's current index is: `generation` names it (None: there is none), with
    its document count and document format; `problem` says why it cannot be read."""

    generation: str | None
    document_count: int = 0
    format: int | None = None
    problem: str | None = None


class IndexBuild(Protocol):
    """A new index being filled while the current one keeps answering."""

    def add(self, documents: Sequence[SearchDocument]) -> None: ...

    def publish(self) -> None:
        """Make the new index the one searched, atomically."""

    def abandon(self) -> None: ...


class SearchEngine(Protocol):
    name: str

    def search(self, query: SearchQuery) -> SearchResults: ...

    def apply(self, upserts: Sequence[SearchDocument], deletions: Sequence[int]) -> None:
        """Index or replace `upserts` and remove `deletions`; visible to searches on return."""

    def start_build(self) -> IndexBuild: ...

    def document_count(self) -> int: ...

    def index_status(self) -> IndexStatus:
        """The current index; raises SearchUnavailable when the engine cannot be asked."""

    def fingerprints(self) -> dict[int, str]:
        """Every indexed document's id and fingerprint (for `gpsoc search-check`)."""

    def check(self) -> str | None:
        """None when the engine answers, a Degraded note when it answers with something
        missing, else what is wrong (for /readyz)."""
