"""Accounts: API tokens (random, shown once, stored hashed, revocable) and authentication."""

from . import throttle, tokens
from .throttle import FailureLimit, is_throttled, record_failure
from .tokens import (
    MAX_EXPIRY_DAYS,
    AuthenticationFailed,
    IssuedToken,
    authenticate,
    issue_token,
    list_tokens,
    revoke_token,
    token_summary,
)

__all__ = [
    "AuthenticationFailed",
    "FailureLimit",
    "IssuedToken",
    "MAX_EXPIRY_DAYS",
    "authenticate",
    "is_throttled",
    "issue_token",
    "list_tokens",
    "record_failure",
    "revoke_token",
    "throttle",
    "token_summary",
    "tokens",
]
