"""Errors of the search subsystem."""

from __future__ import annotations

from catalogue.errors import DomainError


class QuerySyntaxError(DomainError):
    """The caller's query text cannot be parsed (the API answers 400)."""


class SearchUnavailable(Exception):
    """The search engine cannot be reached or failed (the API answers 503)."""


class PartialIndexingFailure(SearchUnavailable):
    """The engine took some documents of a batch and refused others (a partially failed bulk
    request). `failed_ids` are the items whose changes must be sent again; the rest arrived."""

    def __init__(self, message: str, failed_ids: list[int]):
        super().__init__(message)
        self.failed_ids = failed_ids
