"""The search page asks the same search as GET /api/v1/search: same hits, same order, same
facets; the URL holds the whole query."""

from __future__ import annotations

import re

import pytest

from catalogue.principal import Role

HIT = re.compile(
    r'<h2 class="nhsuk-card__heading nhsuk-heading-m">\s*<a href="/(?:systems|services)/(\d+)"'
)


def hit_ids(body: str) -> list[int]:
    return [int(found) for found in HIT.findall(body)]


@pytest.mark.parametrize(
    "query",
    [
        "q=prescribing",
        "q=emis",
        "q=prescribing&lot=1&capability=eps&kind=system",
        "q=record&sort=name",
        "sort=price",
        "capability=eps&capability=gp2gp&maturity_level=2",
        "q=prescribing&page=2",
    ],
)
def test_same_hits_in_the_same_order_as_the_api(web, query):
    api = web.get(f"/api/v1/search?{query}").json
    body = web.get(f"/search?{query}").get_data(as_text=True)
    assert hit_ids(body) == [item["id"] for item in api["items"]]
    assert f"{api['total']} result" in body


def test_facets_show_counts_and_what_is_chosen(web):
    body = web.get("/search?lot=1&capability=eps").get_data(as_text=True)
    api = web.get("/api/v1/search?lot=1&capability=eps").json
    eps = next(f for f in api["facets"]["capability"] if f["value"] == "eps")
    assert re.search(
        r'value="eps" checked>\s*<label[^>]*>Electronic Prescription Service \(ETP/EPS\) \('
        + str(eps["count"])
        + r"\)",
        body,
    )
    assert re.search(r'name="lot" type="radio" value="1" checked', body)
    assert "Filters in use" in body
    assert 'href="/search?capability=eps">Remove' in body  # removing the lot keeps the rest


def test_no_results_help_suggests_and_offers_to_drop_filters(web):
    body = web.get("/search?q=prescribnig&hosting=practice_based&lot=3").get_data(as_text=True)
    assert "No results found" in body
    assert "search again without the filters" in body
    body = web.get("/search?q=prescibing").get_data(as_text=True)
    if "No results found" in body:  # typo tolerance may already find it
        assert "Did you mean" in body


def test_pagination_links_keep_the_query(web):
    body = web.get("/search?kind=service").get_data(as_text=True)
    total = web.get("/api/v1/search?kind=service").json["total"]
    if total > 20:
        assert 'href="/search?kind=service&amp;page=2"' in body
    body = web.get("/search").get_data(as_text=True)
    assert 'aria-label="Page 2"' in body


def test_a_reused_page_carries_this_session_s_token_and_nonce(app, web, make_user, monkeypatch):
    from web import search_page

    from .conftest import CSRF, sign_in

    renders = []
    render = search_page._search_page
    monkeypatch.setattr(search_page, "_search_page", lambda *a: renders.append(1) or render(*a))
    url = "/search?q=prescribing&page=1"
    first = web.get(url)
    other = app.test_client()
    again = other.get(url)  # the engine's cached results: the page is reused, not rendered
    assert len(renders) == 1
    for response, client in ((first, web), (again, other)):
        body = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        assert f'<script nonce="{nonce.group(1)}">' in body
        token = CSRF.search(body).group(1)
        added = client.post("/compare/add", data={"item_id": 1, "csrf_token": token})
        assert added.status_code == 303  # the token is this session's own
    assert CSRF.search(first.get_data(as_text=True)).group(1) != CSRF.search(
        again.get_data(as_text=True)
    ).group(1)

    make_user(Role.AUTHORITY, "ann@example.nhs.uk")
    sign_in(web, "ann@example.nhs.uk")
    assert "You are signed in as Ann" in web.get(url).get_data(as_text=True)
    assert "Ann (authority)" in web.get(url).get_data(as_text=True)
    assert "Ann (authority)" not in app.test_client().get(url).get_data(as_text=True)
