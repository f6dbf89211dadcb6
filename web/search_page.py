"""Search and browse: the same query, relevance and facets as GET /api/v1/search (its argument
schema, its query builder and the app's search engine), as a page that works without
JavaScript and whose URL holds the whole query."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from math import ceil
from threading import Lock
from typing import Any
from urllib.parse import urlencode

from cachetools import LRUCache
from flask import g, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from catalogue.models import Capability, Hosting, ItemKind, Supplier
from search import FacetCount, QuerySyntaxError, SearchHit, SearchResults, Sort
from search.query import MAX_RESULT_WINDOW
from service.database import get_session
from service.search import SearchArgsSchema, search_query
from service.search import state as search_state

from . import presenting
from .pages import Page, Problems, blueprint, compared_ids, render

PAGE_SIZE = 20
ARGS_SCHEMA = SearchArgsSchema()
FILTER_FIELDS = ("framework", "lot", "kind", "supplier", "capability", "maturity_level", "hosting")
KNOWN_FIELDS = ("q", "sort", "page", *FILTER_FIELDS, "price_max")
FIELD_NAMES = {
    "q": "search text",
    "sort": "sort order",
    "page": "page number",
    "framework": "framework",
    "lot": "lot",
    "kind": "kind",
    "supplier": "supplier",
    "capability": "capability",
    "maturity_level": "maturity level",
    "hosting": "hosting",
    "price_max": "highest yearly price",
}
SORT_WORDS = {
    Sort.RELEVANCE: "Best match",
    Sort.NAME: "Name (A to Z)",
    Sort.PRICE: "Yearly price (lowest first)",
}
_MARK = re.compile(r"(</?mark>)")


def _text(value: object) -> str:
    """Text as HTML: what markupsafe.escape writes, as a plain string (no Markup object per
    value: the cards and facet options escape several hundred values a page)."""
    return (
        str(value)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def highlighted(fragment: str) -> Markup:
    """An engine's highlight as safe HTML: only its <mark> tags survive as markup."""
    parts = _MARK.split(fragment)  # odd places hold the tags
    return Markup("".join(part if n % 2 else _text(unescape(part)) for n, part in enumerate(parts)))


def result_card(hit: SearchHit, compared: set[int]) -> Markup:
    """One hit as the page shows it (the card, with its "Add to compare" button). Written here
    rather than in the template: twenty cards in Jinja2 cost more than the search itself."""
    doc = hit.document
    found = hit.highlights
    item_id = int(doc["id"])
    name = _text(doc["name"])
    path = "services" if doc["kind"] == "service" else "systems"
    title = highlighted(found["name"][0]) if found.get("name") else name
    summary = highlighted(found["summary"][0]) if found.get("summary") else _text(doc["summary"])
    also = ""
    for field, fragments in found.items():
        if field not in ("name", "summary"):
            also = (
                '<p class="nhsuk-body-s nhsuk-u-margin-bottom-2">Also matched in its '
                f"{_text(field.replace('_', ' '))}: {highlighted(fragments[0])}</p>\n"
            )
            break
    level = doc["maturity_level"]
    if level:
        colour = "green" if level >= 2 else "yellow"
        tag = f'<strong class="nhsuk-tag nhsuk-tag--{colour}">Level {int(level)}</strong>'
    else:
        tag = '<strong class="nhsuk-tag nhsuk-tag--grey">Below Level 1</strong>'
    price = doc.get("annual_price")
    priced = ""
    if price:
        priced = f" &middot; from {_text(presenting.money(price))} a year per practice"
    supplier = doc["supplier"]
    if item_id in compared:
        button = (
            '<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small '
            'nhsuk-u-margin-bottom-0" data-module="nhsuk-button" data-compare="remove" '
            f'type="submit" name="item_id" value="{item_id}" formaction="/compare/remove">'
            "Remove from compare"
        )
    else:
        button = (
            '<button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small '
            'nhsuk-u-margin-bottom-0" data-module="nhsuk-button" data-compare="add" '
            f'type="submit" name="item_id" value="{item_id}">Add to compare'
        )
    return Markup(
        '<li class="nhsuk-card nhsuk-u-margin-bottom-4">\n<div class="nhsuk-card__content">\n'
        '<h2 class="nhsuk-card__heading nhsuk-heading-m">\n'
        f'<a href="/{path}/{item_id}">{title}</a>\n</h2>\n'
        f'<p class="nhsuk-card__description">{summary}</p>\n{also}'
        '<p class="nhsuk-body-s nhsuk-u-margin-bottom-3">'
        f'<a href="/suppliers/{int(supplier["id"])}">{_text(supplier["name"])}</a> &middot; '
        f"{_text(presenting.words(doc['kind']))}, Lot {_text(doc['lot'])} &middot; "
        f"{tag}{priced}</p>\n"
        f'{button}<span class="nhsuk-u-visually-hidden">: {name}</span></button>\n'
        "</div>\n</li>\n"
    )


def parse_args(args: MultiDict) -> tuple[dict, list[str]]:
    """/search's arguments as its schema loads them; a value it refuses is left out and named
    in the notes, so an odd query string still gives a page."""
    raw: dict = {}
    for name in KNOWN_FIELDS:
        values = [v for v in args.getlist(name) if v.strip()]
        if not values:
            continue
        raw[name] = values if name == "capability" else values[0]
    notes: list[str] = []
    for _ in range(len(raw) + 1):
        try:
            return ARGS_SCHEMA.load({**raw, "page_size": PAGE_SIZE}), notes
        except ValidationError as error:
            bad = [name for name in error.messages if name in raw] or list(raw)
            for name in bad:
                notes.append(
                    f"The {FIELD_NAMES.get(name, name)} was not understood; it is ignored."
                )
                raw.pop(name, None)
    return ARGS_SCHEMA.load({"page_size": PAGE_SIZE}), notes


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int | None
    checked: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str
    legend: str
    multiple: bool  # checkboxes (all must hold) rather than radios (one at a time)
    options: list[FacetOption]
    hint: str = ""


def facet_options(group: FacetGroup) -> Markup:
    """A facet group's radios or checkboxes as HTML. Written here rather than in the template:
    with a hundred options (suppliers, capabilities), escaping and attribute lookups in a
    Jinja2 loop were most of the page's rendering time. Only the value and the label need
    escaping; the group's name is one of FILTER_FIELDS."""
    kind = "checkboxes" if group.multiple else "radios"
    input_type = "checkbox" if group.multiple else "radio"
    name = _text(group.name)
    item = f'<div class="nhsuk-{kind}__item">\n<input class="nhsuk-{kind}__input" id="facet-{name}-'
    label = f'<label class="nhsuk-label nhsuk-{kind}__label" for="facet-{name}-'
    parts = []
    for number, option in enumerate(group.options, 1):
        checked = " checked" if option.checked else ""
        count = "" if option.count is None else f" ({option.count})"
        parts.append(
            f'{item}{number}" name="{name}" type="{input_type}" value="{_text(option.value)}"'
            f'{checked}>\n{label}{number}">{_text(option.label)}{count}</label>\n</div>\n'
        )
    return Markup("".join(parts))


def _facet_groups(results: SearchResults | None, args: dict) -> list[FacetGroup]:
    facets = results.facets if results is not None else {}
    # Framework, supplier and capability names come with the facets (each bucket's label is
    # the name the index holds; renaming a framework reindexes its items).

    def single(
        name: str,
        legend: str,
        label: Callable[[FacetCount], str],
        selected: object,
        hint: str = "",
    ) -> FacetGroup:
        picked = None if selected is None else str(selected)
        options = [FacetOption("", "Any", None, picked is None)]
        values = facets.get(name, [])
        listed = {str(entry.value) for entry in values}
        for entry in values:
            value = str(entry.value)
            options.append(FacetOption(value, label(entry), entry.count, value == picked))
        if picked is not None and picked not in listed:  # chosen, but nothing matches now
            options.append(FacetOption(picked, picked, 0, True))
        return FacetGroup(name, legend, False, options, hint)

    kind, hosting = args.get("kind"), args.get("hosting")
    groups = [
        single(
            "framework",
            "Framework",
            lambda e: e.label or str(e.value),
            args.get("framework"),
        ),
        single("lot", "Lot", lambda e: f"Lot {e.value}", args.get("lot")),
        single(
            "kind",
            "Kind",
            lambda e: presenting.KIND_PLURALS.get(ItemKind(str(e.value)), str(e.value)),
            kind.value if kind else None,
        ),
        single("supplier", "Supplier", lambda e: e.label or str(e.value), args.get("supplier")),
    ]
    chosen = set(args.get("capability") or ())
    capability_options = [
        FacetOption(str(e.value), e.label or str(e.value), e.count, str(e.value) in chosen)
        for e in facets.get("capability", [])
    ]
    listed = {option.value for option in capability_options}
    capability_options += [FacetOption(code, code, 0, True) for code in chosen - listed]
    groups.append(
        FacetGroup(
            "capability",
            "Capabilities",
            True,
            capability_options,
            "Items must have every capability you select.",
        )
    )
    # The level filter is a minimum: an option counts the items at that level or above.
    levels = {int(e.value): e.count for e in facets.get("maturity_level", []) if int(e.value)}
    selected_level: int | None = args.get("maturity_level")
    level_options = [FacetOption("", "Any", None, selected_level is None)]
    for level in sorted(set(levels) | ({selected_level} if selected_level is not None else set())):
        at_least = sum(count for other, count in levels.items() if other >= level)
        level_options.append(
            FacetOption(str(level), f"Level {level} or above", at_least, level == selected_level)
        )
    groups.append(
        FacetGroup(
            "maturity_level",
            "Maturity level",
            False,
            level_options,
            "Central funding needs Level 2 or above.",
        )
    )
    groups.append(
        single(
            "hosting",
            "Hosting",
            lambda e: presenting.HOSTING_SHORT.get(Hosting(str(e.value)), str(e.value)),
            hosting.value if hosting else None,
        )
    )
    return groups


def url_with(args: MultiDict, **changes: Any) -> str:
    """This search's URL with some arguments changed (None removes one); back to page 1 unless
    a page is given."""
    pairs = [(k, v) for k, v in args.items(multi=True) if k in KNOWN_FIELDS and v.strip()]
    changes.setdefault("page", None)
    for name, value in changes.items():
        if isinstance(value, tuple):  # remove one value of a repeated argument
            pairs = [(k, v) for k, v in pairs if (k, v) != value]
            continue
        pairs = [(k, v) for k, v in pairs if k != name]
        if value is not None:
            pairs.append((name, str(value)))
    return "/search" + ("?" + urlencode(pairs) if pairs else "")


def _active_filters(args: MultiDict, groups: list[FacetGroup]) -> list[tuple[str, str]]:
    """(what is filtered, URL without it) for each filter in force."""
    active = []
    for group in groups:
        for option in group.options:
            if option.checked and option.value:
                if group.multiple:
                    remove = url_with(args, **{"_": (group.name, option.value)})
                else:
                    remove = url_with(args, **{group.name: None})
                active.append((f"{group.legend}: {option.label}", remove))
    return active


def _suggestions(text: str) -> list[str]:
    """Capability, supplier and item words close to what was typed, for a search that found
    nothing."""
    if not text.strip():
        return []
    session = get_session()  # names only, not objects (as reference.list_* would load)
    names = list(session.scalars(select(Capability.name).order_by(Capability.code)))
    names += session.scalars(select(Supplier.name).order_by(Supplier.name, Supplier.id).limit(500))
    lowered = {name.lower(): name for name in names}
    close = difflib.get_close_matches(text.lower(), list(lowered), n=3, cutoff=0.6)
    words = list({w.lower() for name in names for w in re.findall(r"[A-Za-z0-9]{3,}", name)})
    for word in text.split():
        close += difflib.get_close_matches(word.lower(), words, 1, 0.75)
    suggestions = [lowered.get(c, c) for c in close]
    return [s for s in dict.fromkeys(suggestions) if s.lower() != text.lower()][:4]


class RenderedPages:
    """Search pages as rendered, reused while the engine answers the same address with the very
    same results object (a hit of its own result cache, which it drops whenever the index
    changes). Rendering 20 hits and their facets costs ten times a cached search. What differs
    between sessions and requests (the CSRF token, the script nonce) is put in on the way out;
    who is signed in and what they compare are part of the key."""

    TOKEN = "\x00csrf\x00"
    NONCE = "\x00nonce\x00"

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._pages: LRUCache[tuple, tuple[SearchResults, str]] = LRUCache(maxsize=size)
        self._lock = Lock()

    @staticmethod
    def key() -> tuple:
        user = current_user.get_id() if current_user.is_authenticated else None
        return (request.full_path, user, tuple(compared_ids()))

    def get(self, key: tuple, results: SearchResults) -> str | None:
        with self._lock:
            entry = self._pages.get(key)  # now the most recently used
            if entry is None or entry[0] is not results:
                return None
        return entry[1].replace(self.TOKEN, generate_csrf()).replace(self.NONCE, g.csp_nonce)

    def put(self, key: tuple, results: SearchResults, body: str) -> None:
        template = body.replace(generate_csrf(), self.TOKEN).replace(g.csp_nonce, self.NONCE)
        with self._lock:
            self._pages[key] = (results, template)  # the least recently used one goes


rendered_pages = RenderedPages()


@blueprint.get("/search")
def search() -> ResponseReturnValue:
    args, notes = parse_args(request.args)
    errors: Problems = [(None, note) for note in notes]
    results = None
    try:
        query = search_query(args, sort=args["sort"], page=args["page"], page_size=PAGE_SIZE)
        results = search_state().engine.search(query)
    except QuerySyntaxError as error:
        errors.append(("#search-text", f"The search text cannot be used: {error}"))
    # A page with messages (problems, or a banner waiting in the session) is never reused.
    key = None
    if results is not None and not errors and not session.get("_flashes"):
        key = RenderedPages.key()
        body = rendered_pages.get(key, results)
        if body is not None:
            return body
    body, status = _search_page(args, results, errors)
    if key is not None and results is not None:
        rendered_pages.put(key, results, body)
    return body, status


def _search_page(args: dict, results: SearchResults | None, errors: Problems) -> Page:
    groups = _facet_groups(results, args)
    total = results.total if results is not None else 0
    pages = min(ceil(total / PAGE_SIZE), MAX_RESULT_WINDOW // PAGE_SIZE)
    text = args.get("q") or ""
    api_pairs = [(k, v) for k, v in request.args.items(multi=True) if k in KNOWN_FIELDS]
    return render(
        "search.html",
        title=f"Search results for ‘{text}’" if text else "Search the catalogue",
        breadcrumbs=[("Home", "/")],
        api_url="/api/v1/search" + ("?" + urlencode(api_pairs) if api_pairs else ""),
        hide_header_search=True,
        error_count=len(errors),
        errors=errors,
        text=text,
        sort=args["sort"],
        sort_words=SORT_WORDS,
        results=results,
        total=total,
        page=args["page"],
        pages=pages,
        page_url=lambda n: url_with(request.args, page=n),
        groups=groups,
        active_filters=_active_filters(request.args, groups),
        suggestions=_suggestions(text) if results is not None and total == 0 else [],
        url_with=lambda **changes: url_with(request.args, **changes),
        highlighted=highlighted,
        facet_options=facet_options,
        result_card=result_card,
        compared=set(compared_ids()),
        here=request.full_path.rstrip("?"),
        price_max=args.get("price_max"),
    )
