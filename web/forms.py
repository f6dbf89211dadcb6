"""What every form of the pages shares, written once: who may use a page, trying a write and
turning the catalogue's refusals into the NHS.UK error summary and inline messages, and the
version a page was drawn from (carried in the form, as If-Match is in the API) so that a stale
page is a clear conflict and never a lost update.

A form view does, in order: `person = signed_in(Role.COMMISSIONER, ...)`; read its fields from
`request.form`; `form = Attempt()`; `result = form.run(lambda db: catalogue_call(db, ...))`; if
`form.problems`, render the page again with the person's own entries and `form.problems`,
otherwise commit happened and it redirects (303) with a flash message. The catalogue's own calls
check the rules and write the audit trail, exactly as for the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from catalogue.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, StaleVersion
from catalogue.principal import Principal, Role
from catalogue.validation import CONTROL_CHARACTER_REASON, has_control_characters
from service.database import writing_session

from .pages import Problems, blueprint

T = TypeVar("T")

VERSION_FIELD = "version"
STALE = (
    "Someone else changed this while you had the page open. Nothing was saved: the page now "
    "shows their change, and your entries are kept below. Check them and send the form again."
)


class SignInRequired(Exception):
    """Raised by `signed_in` for an anonymous visitor; the blueprint sends them to sign in."""


@blueprint.before_request
def _text_rule() -> None:
    """The API's text rule (catalogue.validation) for every form the pages take, anonymous
    sign-in included, before any view reads it: text with a control character (NUL...) is
    refused with a 422 page and nothing is stored, on every database."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    for name, value in request.form.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            raise InvalidInput(
                f"The form was not sent: {CONTROL_CHARACTER_REASON} Go back, remove them from "
                "what you typed and send it again.",
                {name: [CONTROL_CHARACTER_REASON]},
            )


@blueprint.errorhandler(SignInRequired)
def _sign_in_first(_error: SignInRequired) -> ResponseReturnValue:
    # Back to this page after signing in (a GET; a form posted while signed out is lost to a
    # session that expired, so the page it came from is the place to return to).
    target = request.full_path if request.method == "GET" else (request.referrer or "/")
    return redirect("/sign-in?" + urlencode({"next": target.rstrip("?")}), 303)


def signed_in(*roles: Role) -> Principal:
    """The signed-in person's principal, when they hold one of `roles` (any role if none is
    named). An anonymous visitor is sent to sign in (and back here after); a person in another
    role sees 403."""
    if not current_user.is_authenticated:
        raise SignInRequired()
    principal: Principal = current_user.principal
    if roles and principal.role not in roles:
        abort(403, "Your account cannot use this page.")
    return principal


def posted_version() -> int | None:
    """The version of the object the page was drawn from, as the form carries it."""
    raw = request.form.get(VERSION_FIELD, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def check_version(obj: Any) -> None:
    """Refuse a write to `obj` from a page drawn at another version of it (If-Match for forms).
    A form without its version is refused too: it did not come from a current page."""
    if posted_version() != obj.version:
        raise StaleVersion(STALE)


def field_anchor(field: str) -> str:
    """The id of a form control named after an API field (`a.b[0]` -> `a-b-0`)."""
    cleaned = "".join(c if c.isalnum() else "-" for c in field).strip("-")
    return "#" + "-".join(part for part in cleaned.split("-") if part)


def problems_from(error: DomainError) -> Problems:
    """The catalogue's reasons as (anchor, message) pairs: one per field reason, each linking
    to the control of that field, or the message for the whole page."""
    problems: Problems = []
    for field, reasons in (error.errors or {}).items():
        for reason in reasons if isinstance(reasons, list) else [reasons]:
            if isinstance(reason, dict):  # nested reasons: per item of a list field
                for inner, texts in reason.items():
                    for text in texts if isinstance(texts, list) else [texts]:
                        problems.append((field_anchor(f"{field}-{inner}"), str(text)))
            else:
                problems.append((field_anchor(field), str(reason)))
    return problems or [(None, error.message)]


def retarget(problems: Problems, anchors: Mapping[str, str]) -> Problems:
    """Point the catalogue's field anchors (`#reason`) at this page's controls."""
    return [(anchors.get(href or "", href), text) for href, text in problems]


def _sentences(error: DomainError) -> Problems:
    """A refusal's details that are sentences, each linked to its field's control."""
    return [
        (anchor, text)
        for anchor, text in problems_from(error)
        if text != error.message and " " in text.strip()
    ]


class Attempt:
    """One try at a write: runs it in the request's writing session, commits on success, rolls
    back and records why on a refusal (the person's entries stay with the view to show again)."""

    def __init__(self, problems: Problems | None = None) -> None:
        self.problems: Problems = list(problems or [])
        self.stale = False

    def add(self, anchor: str | None, message: str) -> None:
        self.problems.append((anchor, message))

    def run(self, write: Callable[[Session], T]) -> T | None:
        if self.problems:  # the view's own checks of the form failed: write nothing
            return None
        db = writing_session()
        try:
            result = write(db)
            db.commit()
        except (StaleVersion, StaleDataError):
            db.rollback()
            self.stale = True
            self.problems.append((None, STALE))
            return None
        except InvalidInput as error:
            db.rollback()
            self.problems.extend(problems_from(error))
            return None
        except (Conflict, Forbidden) as error:
            db.rollback()
            # The message says what stands in the way; the details that are sentences ("A81001
            # belongs to another commissioner.") follow it, while bare values (the names of the
            # transitions allowed, say) are for programs.
            self.problems.append((None, error.message))
            self.problems.extend(_sentences(error))
            return None
        except NotFound:
            db.rollback()
            raise
        return result


def see_other(location: str) -> Any:
    """After a successful form: go to the page that shows the result (POST/redirect/GET)."""
    return redirect(location, 303)


__all__ = [
    "Attempt",
    "SignInRequired",
    "STALE",
    "VERSION_FIELD",
    "check_version",
    "field_anchor",
    "posted_version",
    "problems_from",
    "retarget",
    "see_other",
    "signed_in",
]
