"""Accounts: API tokens (random, shown once, stored hashed, revocable), the people who sign in to
the web pages (argon2 password hashes, one-time sign-in links), and authentication."""

from . import throttle, tokens, users
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
from .users import (
    MIN_PASSWORD_LENGTH,
    active_user,
    authenticate_password,
    create_user,
    end_sessions,
    get_user,
    issue_sign_in_link,
    password_errors,
    principal_for,
    redeem_sign_in_link,
    session_is_current,
    set_password,
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
    "users",
    "MIN_PASSWORD_LENGTH",
    "active_user",
    "authenticate_password",
    "create_user",
    "end_sessions",
    "get_user",
    "issue_sign_in_link",
    "password_errors",
    "principal_for",
    "redeem_sign_in_link",
    "session_is_current",
    "set_password",
]
