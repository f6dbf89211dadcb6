"""The one implementation of get-one, create and PATCH for resources whose routes have that same
shape: capabilities, frameworks, lots, organisations and maturity levels.

Each resource describes how its routes reach the catalogue once, as an `Editable`, and its
views call `get`, `create` and `update` on it. Reads set the ETag (If-None-Match gives 304);
creates answer 201; updates check If-Match before changing anything; both answer with the new
ETag (see api.common.writes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from api.auth import principal
from api.common.concurrency import check_if_match, set_etag
from api.common.writes import ViewResult, write_response
from service.database import get_session, writing_session

M = TypeVar("M")


def _itself(result: Any) -> Any:
    return result


@dataclass(frozen=True)
class Editable(Generic[M]):
    load: Callable[..., M]  # (session, *key) -> the object, or NotFound
    create_in: Callable[..., Any]  # (session, caller, *parents, body) -> result
    update_in: Callable[..., Any]  # (session, caller, object, body) -> result
    # A result names the object it is about (`subject`) and is answered as `present(result)`;
    # by default the result is the object itself.
    subject: Callable[[Any], M] = _itself
    present: Callable[[Any], Any] = _itself

    def get(self, blp: Blueprint, *key: Any) -> M:
        found = self.load(get_session(), *key)
        set_etag(blp, found)
        return found

    def create(self, body: dict[str, Any], *parents: Any) -> ViewResult:
        result = self.create_in(writing_session(), principal(), *parents, body)
        return self._answer(result, 201)

    def update(self, body: dict[str, Any], *key: Any) -> ViewResult:
        session: Session = writing_session()
        found = self.load(session, *key)
        check_if_match(found)
        return self._answer(self.update_in(session, principal(), found, body), 200)

    def _answer(self, result: Any, status: int) -> ViewResult:
        return write_response(self.subject(result), status, lambda _: self.present(result))
