"""Bearer-token authentication, role checks and throttling of failed attempts."""

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
from service.database import get_session

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "gpsoc_auth"
SCHEME = "bearerAuth"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gpsoc"'}


class AuthState:
    def __init__(self, storage_uri: str, failure_limit: str):
        self.limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self.failure_limit = parse(failure_limit)


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
    scheme, _, presented = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not presented.strip():
            raise accounts.AuthenticationFailed("not a bearer token")
        g.principal = accounts.authenticate(get_session(), presented.strip())
    except accounts.AuthenticationFailed:
        # Only failures count, and a valid token always gets through: clients sharing an
        # address (behind a proxy, say) cannot lock each other out by guessing.
        if not state.limiter.hit(state.failure_limit, "auth-failure", _client_key()):
            abort(
                429,
                message="Too many failed authentications; wait a minute and try again.",
                headers={"Retry-After": "60"},
            )
        abort(
            401, message="The token is not valid (unknown, revoked or expired).", headers=CHALLENGE
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
