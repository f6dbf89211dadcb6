"""Bearer-token authentication, role checks and throttling of failed attempts.

Failed authentications are counted per client address, by default in the database
(`catalogue.accounts.throttle`), so the limit holds across every worker and machine; a
`limits` storage URI (GPSOC_THROTTLE_STORAGE: memory://, redis://...) may count them instead.
While a client is over the limit its tokens are not even checked: 429 until the window passes.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from flask_smorest import Api, abort
from limits import parse, storage, strategies

from catalogue import accounts
from catalogue.principal import Principal, Role
from service.database import get_session, writing_session

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "gpsoc_auth"
SCHEME = "bearerAuth"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gpsoc"'}


DATABASE_STORAGE = "database"


class AuthState:
    def __init__(self, storage_uri: str, failure_limit: str):
        self.failure_limit = parse(failure_limit)
        self.database_limit = accounts.FailureLimit(
            self.failure_limit.amount, self.failure_limit.get_expiry()
        )
        # None: counted in the database (the default).
        self.limiter = (
            None
            if storage_uri == DATABASE_STORAGE
            else strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        )

    def is_throttled(self, client_key: str) -> bool:
        if self.limiter is None:
            return accounts.is_throttled(get_session(), client_key, self.database_limit)
        return not self.limiter.test(self.failure_limit, "auth-failure", client_key)

    def record_failure(self, client_key: str) -> bool:
        """Count a failure; True while the client is still within the limit."""
        if self.limiter is None:
            session = writing_session()
            within = accounts.record_failure(session, client_key, self.database_limit)
            session.commit()  # the count outlives this request's 401
            return within
        return self.limiter.hit(self.failure_limit, "auth-failure", client_key)


def init_app(app: Flask, api: Api) -> None:
    app.config.setdefault(
        "AUTH_THROTTLE_STORAGE_URI", app.config["GPSOC_SETTINGS"].throttle_storage_uri
    )
    app.config.setdefault("AUTH_FAILURE_LIMIT", "10/minute")
    app.extensions[EXTENSION] = AuthState(
        app.config["AUTH_THROTTLE_STORAGE_URI"], app.config["AUTH_FAILURE_LIMIT"]
    )
    api.spec.components.security_scheme(
        SCHEME,
        {"type": "http", "scheme": "bearer", "description": "An API token from /tokens."},
    )
    app.before_request(_authenticate)


def _client_key() -> str:
    return request.remote_addr or "unknown"


def _authenticate() -> None:
    g.principal = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    state: AuthState = current_app.extensions[EXTENSION]
    client = _client_key()
    # Over the limit, no token is checked at all: guessing costs the guesser, not the service.
    # (Clients sharing an address, behind a NAT say, share the limit: set
    # GPSOC_TRUSTED_PROXIES so that the address is the caller's.)
    if state.is_throttled(client):
        _too_many()
    scheme, _, presented = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not presented.strip():
            raise accounts.AuthenticationFailed("not a bearer token")
        g.principal = accounts.authenticate(get_session(), presented.strip())
    except accounts.AuthenticationFailed:
        if not state.record_failure(client):
            _too_many()
        abort(
            401, message="The token is not valid (unknown, revoked or expired).", headers=CHALLENGE
        )


def _too_many() -> None:
    retry_after = current_app.extensions[EXTENSION].database_limit.period
    abort(
        429,
        message="Too many failed authentications; wait a minute and try again.",
        headers={"Retry-After": str(retry_after)},
    )


def current_principal() -> Principal | None:
    return g.get("principal")


def principal() -> Principal:
    """The caller, who must be authenticated (use under @requires)."""
    caller = current_principal()
    if caller is None:
        abort(401, message="Authentication required.", headers=CHALLENGE)
    assert caller is not None  # abort raised
    return caller


def requires(*roles: Role) -> Callable[[F], F]:
    """Only callers with one of `roles` may call the view (all roles when none is given)."""
    allowed = frozenset(roles or Role)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = principal()
            if caller.role not in allowed:
                names = ", ".join(sorted(role.value for role in allowed))
                abort(403, message=f"This needs a token of role: {names}.")
            return view(*args, **kwargs)

        apidoc = deepcopy(getattr(view, "_apidoc", {}))
        manual = apidoc.setdefault("manual_doc", {})
        manual["security"] = [{SCHEME: []}]
        manual.setdefault("responses", {}).update(
            {401: "DEFAULT_ERROR", 403: "DEFAULT_ERROR", 429: "DEFAULT_ERROR"}
        )
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]  # where flask-smorest reads it
        return cast(F, wrapper)

    return decorator
