"""Errors of the search subsystem."""

from __future__ import annotations

from catalogue.errors import DomainError


class QuerySyntaxError(DomainError):
    """The caller's query text cannot be parsed (the API answers 400)."""


class SearchUnavailable(Exception):
    """The search engine cannot be reached or failed (the API answers 503)."""
