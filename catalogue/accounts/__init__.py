"""Accounts: API tokens (random, shown once, stored hashed, revocable) and authentication."""

from . import tokens
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
    "IssuedToken",
    "MAX_EXPIRY_DAYS",
    "authenticate",
    "issue_token",
    "list_tokens",
    "revoke_token",
    "token_summary",
    "tokens",
]
