"""Plain domain exceptions. The API maps each to one HTTP status; the CLI prints them."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a caller can cause (never a bug in this code)."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    """The input breaks a rule of the domain; `errors` maps field names to reasons."""


class Conflict(DomainError):
    """The request cannot be applied to the current state (an illegal transition, say)."""


class Forbidden(DomainError):
    pass


class StaleVersion(DomainError):
    """The caller changed an object from a version that is no longer current."""
