"""The blueprint of the web pages: how a page is rendered (title, breadcrumbs, its JSON in the
API), CSRF on every form, and error pages in the design system instead of JSON. The page modules
add their routes to the blueprint; `setup` imports them all (nothing here imports a page)."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, render_template, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from catalogue.errors import DomainError, NotFound
from catalogue.principal import Principal, Role
from catalogue.validation import CONTROL_CHARACTERS, has_control_characters
from search.errors import SearchUnavailable

from . import presenting
from .signing_in import current_principal

log = logging.getLogger(__name__)

blueprint = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets/web",
)

# CSRF is checked on every form of these pages (below), not on the token-authenticated API.
csrf = CSRFProtect()

SERVICE_NAME = "GP IT catalogue"
# A rendered page and its status; the views return one, a redirect or a download.
Page = tuple[str, int]
# Problems to show above a form: (the field's anchor, or None for the page, the message).
Problems = list[tuple[str | None, str]]
COMPARE_SESSION_KEY = "compare"


@blueprint.before_request
def _before() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)
    if any(has_control_characters(v) for v in request.args.values()):
        # A control character in a query is never meaningful: drop it, as for other odd
        # values (and no database sees it: PostgreSQL refuses NUL).
        request.args = ImmutableMultiDict(
            (name, CONTROL_CHARACTERS.sub("", value))
            for name, value in request.args.items(multi=True)
        )
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@blueprint.app_template_filter("money")
def _money(amount: Decimal | str | None) -> str:
    return presenting.money(amount)


@blueprint.app_template_filter("words")
def _words(value: Any) -> str:
    return presenting.words(value)


def compared_ids() -> list[int]:
    """The items a visitor has picked to compare (kept in the session)."""
    ids = session.get(COMPARE_SESSION_KEY) or []
    return [i for i in ids if isinstance(i, int)]


PUBLIC_NAVIGATION = [
    ("/", "Home"),
    ("/search", "Search"),
    ("/suppliers", "Suppliers"),
    ("/frameworks", "Frameworks"),
]
# The pages of each role's own work, after the public ones.
ROLE_NAVIGATION = {
    Role.COMMISSIONER: [("/selections", "Selections"), ("/orders", "Orders")],
    Role.PRACTICE: [("/selections", "Selections"), ("/orders", "Orders")],
    Role.SUPPLIER: [("/supplier", "Your listings and orders")],
    Role.AUTHORITY: [("/review", "Review queue")],
}


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    own = ROLE_NAVIGATION.get(principal.role, []) if principal else []
    compare = [("/compare", f"Compare ({len(compared_ids())})")]
    return PUBLIC_NAVIGATION[:2] + compare + PUBLIC_NAVIGATION[2:] + own


def render(
    template: str,
    *,
    title: str,
    breadcrumbs: list[tuple[str, str]] | None = None,
    api_url: str | None = None,
    status: int = 200,
    **context: Any,
) -> Page:
    """A page: `title` is its h1 and (with the service name) the document title; `breadcrumbs`
    are the (text, url) of the pages above it; `api_url` is the same data as JSON."""
    principal = current_principal()
    body = render_template(
        template,
        title=title,
        breadcrumbs=breadcrumbs or [],
        api_url=api_url,
        service_name=SERVICE_NAME,
        principal=principal,
        navigation=navigation(principal),
        compare_count=len(compared_ids()),
        csp_nonce=g.get("csp_nonce", ""),
        **context,
    )
    return body, status


def local_path(target: str | None, default: str) -> str:
    """A redirect target from a form, kept on this site (no open redirect). A target with a
    control character (CR, LF, tab, NUL...) is unsafe too: it cannot go in a header, and
    urlsplit drops some of them before looking."""
    if not target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


# ------------------------------------------------------------------------------ error pages

ERROR_TITLES = {
    400: "There is a problem with the request",
    403: "You cannot see this page",
    404: "Page not found",
    405: "That cannot be done here",
    409: "That change conflicts with the catalogue",
    413: "The request is too large",
    422: "The request cannot be processed",
    429: "Too many attempts",
    503: "Sorry, the service is unavailable",
    500: "Sorry, there is a problem with the service",
}


def error_page(code: int, message: str) -> Page:
    title = ERROR_TITLES.get(code, ERROR_TITLES[500] if code >= 500 else ERROR_TITLES[400])
    return render(
        "error.html",
        title=title,
        breadcrumbs=[("Home", "/")],
        message=message,
        code=code,
        status=code,
    )


@blueprint.errorhandler(CSRFError)
def _csrf_error(error: CSRFError) -> Page:
    return error_page(
        400,
        "The form was out of date or did not come from this service. Go back, reload the page "
        "and try again.",
    )


@blueprint.errorhandler(NotFound)
def _not_found(error: NotFound) -> Page:
    return error_page(404, "If you typed the web address, check it is correct. " + error.message)


@blueprint.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Page:
    return error_page(422, error.message)


@blueprint.errorhandler(SearchUnavailable)
def _search_unavailable(error: SearchUnavailable) -> Page:
    log.warning("search unavailable: %s", error)
    return error_page(503, "Search is unavailable at the moment. Try again shortly.")


@blueprint.errorhandler(OperationalError)
def _database_unavailable(error: OperationalError) -> Page:
    log.exception("database unavailable")
    return error_page(503, "The catalogue is unavailable at the moment. Try again shortly.")


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Page:
    code = error.code or 500
    if code == 404:
        return error_page(404, "If you typed the web address, check it is correct.")
    return error_page(code, error.description or "")


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Page:
    log.exception("unhandled error on a web page")
    return error_page(500, "Try again later.")


__all__ = [
    "blueprint",
    "compared_ids",
    "Page",
    "Problems",
    "error_page",
    "local_path",
    "render",
]
