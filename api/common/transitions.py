"""Lifecycle transitions over HTTP, wired and documented one way for every resource that has
them (catalogue items, frameworks, orders).

A transition is a POST under the object it moves. It needs the object's If-Match, answers 200
with the object and its new ETag, and refuses a step the object's status does not allow with a
409 whose `errors.allowed_transitions` names the legal ones (all documented by WRITE_DOC).
Register each with `add_transition(...)`, giving the function that applies it:
`apply(body, **path_arguments)`, where `body` is the parsed request body (`{}` when the
transition takes none) and which ends with `write_response(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema

from api.auth import requires
from api.common.writes import WRITE_DOC, ViewResult
from catalogue.principal import Role


def transition_summary(name: str, sources: Iterable[Enum], target: Enum, role: Role) -> str:
    """E.g. "Publish: submitted -> published (authority)."."""
    froms = ", ".join(sorted(str(source.value) for source in sources))
    return f"{name.capitalize()}: {froms} -> {target.value} ({role.value})."


def camel_case(name: str) -> str:
    """A transition's name as it begins an operationId: "go-live" -> "goLive"."""
    first, *rest = name.split("-")
    return first + "".join(word.capitalize() for word in rest)


def add_transition(
    blp: Blueprint,
    rule: str,
    *,
    endpoint: str,
    operation_id: str,
    summary: str,
    roles: Iterable[Role],
    response_schema: type[Schema],
    apply: Callable[..., ViewResult],
    body_schema: type[Schema] | None = None,
) -> None:
    """Add the POST `rule` to `blp`: role check, If-Match documentation, the optional body,
    the object as the response."""

    def view(*args: Any, **path: Any) -> ViewResult:
        body = args[0] if args else {}
        return apply(body, **path)

    view.__name__ = endpoint
    view.__doc__ = summary
    decorated = blp.response(200, response_schema)(view)
    if body_schema is not None:
        decorated = blp.arguments(body_schema)(decorated)
    decorated = blp.doc(operationId=operation_id, **WRITE_DOC)(decorated)
    decorated = requires(*roles)(decorated)
    blp.route(rule, methods=["POST"], endpoint=endpoint)(decorated)
