"""The query model shared by every engine: what is asked, and what comes back.

Free text has a small syntax of its own, parsed here once so that every engine means the same
thing by it: words (each must match, typos tolerated), "quoted phrases" (must match as written)
and a leading minus to exclude a word or phrase. Anything else is a QuerySyntaxError, and so is
a word or phrase with no letter or digit in it (brackets, wildcards, operators), which would
otherwise match everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from .errors import QuerySyntaxError

MAX_RESULT_WINDOW = 10_000  # deepest hit a page may reach (Elasticsearch's default window)


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NAME = "name"
    PRICE = "price"


class Facet(StrEnum):
    FRAMEWORK = "framework"
    LOT = "lot"
    KIND = "kind"
    SUPPLIER = "supplier"
    CAPABILITY = "capability"
    MATURITY_LEVEL = "maturity_level"
    HOSTING = "hosting"


@dataclass(frozen=True)
class ParsedText:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded_words: tuple[str, ...] = ()
    excluded_phrases: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.excluded_words or self.excluded_phrases)

    @property
    def positive_text(self) -> str:
        """The words and phrases to score and highlight, as plain text."""
        return " ".join((*self.words, *self.phrases))


_TOKEN = re.compile(r'\s*(-?)(?:"([^"]*)("?)|([^\s"]+))')


def _require_searchable(shown: str, text: str | None = None) -> None:
    """Operators and wildcards are not part of the syntax: a word or phrase with no letter or
    digit in it (`(`, `)(`, `[`, `*`, `&&`) would silently match everything, so it is refused."""
    if not any(character.isalnum() for character in (shown if text is None else text)):
        raise QuerySyntaxError(
            f"{shown} has no letter or digit to search for. The query takes words, "
            '"quoted phrases" and -exclusions; brackets, wildcards and operators are not '
            "supported."
        )


def parse_text(text: str) -> ParsedText:
    words: list[str] = []
    phrases: list[str] = []
    excluded_words: list[str] = []
    excluded_phrases: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # a quote glued to a word, e.g. ab"c
            raise QuerySyntaxError(f"Cannot parse the query at character {position + 1}.")
        minus, phrase, closing, word = match.groups()
        if phrase is not None:
            if not closing:
                raise QuerySyntaxError("The query has a quote that is never closed.")
            if not phrase.strip():
                raise QuerySyntaxError("The query has an empty quoted phrase.")
            _require_searchable(f'"{phrase}"', phrase)
            (excluded_phrases if minus else phrases).append(" ".join(phrase.split()))
        else:
            if word == "-" or word.startswith("-"):
                raise QuerySyntaxError("A minus sign must be followed by a word or a phrase.")
            _require_searchable(word)
            (excluded_words if minus else words).append(word)
        position = match.end()
    return ParsedText(tuple(words), tuple(phrases), tuple(excluded_words), tuple(excluded_phrases))


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    framework: str | None = None
    lot: int | None = None
    kind: str | None = None
    supplier_id: int | None = None
    capabilities: tuple[str, ...] = ()  # all must hold
    min_maturity_level: int | None = None
    hosting: str | None = None
    price_max: Decimal | None = None
    # Items not yet at `planned_level` whose roadmap reaches it by `planned_by` (any day: None).
    planned_level: int | None = None
    planned_by: date | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        if self.page < 1 or self.page_size < 1:
            raise ValueError("page and page_size start at 1")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @cached_property
    def parsed(self) -> ParsedText:
        return parse_text(self.text)

    def filter_fields(self) -> frozenset[Facet]:
        """The facets whose field this query filters on."""
        active = {
            Facet.FRAMEWORK: self.framework is not None,
            Facet.LOT: self.lot is not None,
            Facet.KIND: self.kind is not None,
            Facet.SUPPLIER: self.supplier_id is not None,
            Facet.CAPABILITY: bool(self.capabilities),
            Facet.MATURITY_LEVEL: self.min_maturity_level is not None,
            Facet.HOSTING: self.hosting is not None,
        }
        return frozenset(facet for facet, on in active.items() if on)


@dataclass(frozen=True)
class FacetCount:
    value: str | int
    count: int
    label: str | None = None


@dataclass(frozen=True)
class SearchHit:
    id: int
    score: float | None
    document: dict  # the display payload of the search document (see documents.display)
    highlights: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResults:
    total: int
    page: int
    page_size: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]]


def sorted_facet(counts: dict[tuple[str | int, str | None], int]) -> list[FacetCount]:
    """Buckets by count, largest first, then by value: the same order from every engine."""
    ordered = sorted(counts.items(), key=lambda entry: (-entry[1], str(entry[0][0])))
    return [FacetCount(value, count, label) for (value, label), count in ordered if count > 0]
