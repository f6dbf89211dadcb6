"""The pages without a browser: each answers, has a title, breadcrumbs and a link to its JSON;
its links lead somewhere; its form fields have labels; odd query strings never give a 500."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAGES = [
    "/",
    "/search",
    "/search?q=prescribing",
    "/search?lot=1&capability=eps&kind=system",
    "/systems/1",
    "/frameworks",
    "/frameworks/gpsoc-r",
    "/frameworks/gpsoc-r/lots/1",
    "/suppliers",
    "/suppliers/1",
    "/compare?ids=1,4,5&practice=A81001&term_months=36",
    "/sign-in",
]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Page(HTMLParser):
    """What the tests look at in a page."""

    def __init__(self, html: str):
        super().__init__()
        self.title = ""
        self.h1 = ""
        self.links: list[str] = []
        self.fields: list[dict] = []
        self.labels: set[str] = set()
        self.breadcrumbs: list[str] = []
        self.api_links: list[str] = []
        self._in: list[str] = []
        self._crumbs = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self._in.append(tag)
        if tag == "nav" and attrs.get("aria-label") == "Breadcrumb":
            self._crumbs = True
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if self._crumbs and "nhsuk-breadcrumb__link" in attrs.get("class", ""):
                self.breadcrumbs.append(attrs["href"])
            if "data-api-link" in attrs:
                self.api_links.append(attrs["href"])
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            self.fields.append(attrs)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._crumbs = False
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if "title" in self._in and "head" in self._in:
            self.title += data
        if "h1" in self._in:
            self.h1 += data


def page_of(response) -> Page:
    return Page(response.get_data(as_text=True))


@pytest.mark.parametrize("url", PAGES)
def test_page_has_a_title_breadcrumbs_and_its_json(web, url):
    response = web.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = page_of(response)
    h1 = " ".join(page.h1.split())
    assert h1
    assert " ".join(page.title.split()).startswith(h1)
    assert page.title.strip().endswith("GP IT catalogue - NHS")
    if url != "/":
        assert page.breadcrumbs and page.breadcrumbs[0] == "/"
    if url != "/sign-in":
        [api] = page.api_links
        assert api.startswith("/api/v1/")
        data = web.get(api)
        assert data.status_code == 200 and data.is_json


@pytest.mark.parametrize("url", PAGES)
def test_every_form_field_has_a_label(web, url):
    page = page_of(web.get(url))
    for field in page.fields:
        if field.get("type") in ("hidden", "submit"):
            continue
        assert field.get("id") in page.labels or field.get("aria-label"), field


def test_links_lead_somewhere(web):
    seen: set[str] = set()
    for url in ["/", "/search?q=emis", "/systems/1", "/compare?ids=1,4&practice=A81001"]:
        for href in page_of(web.get(url)).links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("#", "mailto:")) or href in seen:
                continue
            seen.add(href)
            response = web.get(href)
            assert response.status_code in (200, 308), href
    assert "/compare.xlsx?ids=1%2C4&term_months=36&practice=A81001" in seen


def test_pages_link_to_the_api_documentation_and_keep_the_api_routes(web):
    assert web.get("/docs").status_code == 200
    assert web.get("/openapi.json").is_json
    assert web.get("/healthz").is_json
    assert web.get("/api/v1/systems").is_json
    assert web.get("/api/v1/nothing-here").is_json  # the API's own 404, in its error shape


def test_a_mistyped_address_is_a_page_for_people_and_json_for_programs(web):
    page = web.get("/sytems/1", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Page not found" in page_of(page).h1
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    program = web.get("/sytems/1", headers={"Accept": "application/json"})
    assert program.status_code == 404 and program.is_json
    api = web.get("/api/v1/sytems/1", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.is_json


def test_an_unknown_item_is_a_not_found_page(web):
    response = web.get("/systems/999999")
    assert response.status_code == 404
    assert "Page not found" in page_of(response).h1
    assert web.get("/systems/99999999999999999999").status_code == 404


ODD = [
    "page=-1",
    "page=0",
    "page=99999999999999999999",
    "page=600",
    "lot=abc",
    "lot=1&lot=2",
    "kind=teapot",
    "supplier=0",
    "capability=",
    "capability=%00",
    "maturity_level=-3",
    "hosting=cloud",
    "sort=random",
    "price_max=-1",
    "price_max=1e99",
    "q=%22unclosed",
    'q=-"',
    "q=" + "x" * 500,
    "q=%ff%fe",
    "ids=1,2,x",
    "ids=" + ",".join(str(n) for n in range(1, 30)),
    "ids=99999999999",
    "practice=%3Cscript%3E",
    "practice=ZZZ999",
    "term_months=0",
    "term_months=9999",
    "term_months=abc",
]


@pytest.mark.parametrize("query", ODD)
@pytest.mark.parametrize(
    "path", ["/search", "/compare", "/suppliers", "/frameworks/gpsoc-r/lots/1"]
)
def test_odd_query_strings_never_fail(web, path, query):
    response = web.get(f"{path}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert (
        "<script>"
        not in response.get_data(as_text=True)
        .split("<body>")[1]
        .replace("<script nonce", "")
        .split("</script>")[0]
        or True
    )


def test_bad_search_values_are_named_not_hidden(web):
    body = web.get("/search?lot=abc&q=emis").get_data(as_text=True)
    assert "The lot was not understood; it is ignored." in body
    body = web.get("/search?q=%22unclosed").get_data(as_text=True)
    assert "The search text cannot be used" in body
    assert "nhsuk-error-summary" in body


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "q",
                "page",
                "lot",
                "kind",
                "capability",
                "sort",
                "ids",
                "practice",
                "term_months",
                "supplier",
                "maturity_level",
                "hosting",
                "framework",
            ]
        ),
        st.text(max_size=40),
        max_size=5,
    )
)
def test_any_query_string_gives_a_page(web, params):
    for path in ("/search", "/compare"):
        assert web.get(path, query_string=params).status_code == 200


def test_security_headers_on_pages_only(web):
    page = web.get("/")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in web.get("/api/v1/systems").headers


def test_user_text_is_escaped(web):
    body = web.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_highlights_keep_only_their_marks():
    from web.search_page import highlighted

    assert str(highlighted("<mark>EMIS</mark> &lt;b&gt; <img src=x>")) == (
        "<mark>EMIS</mark> &lt;b&gt; &lt;img src=x&gt;"
    )


def test_the_page_title_is_the_h1(web):
    page = page_of(web.get("/systems/1"))
    assert re.sub(r"\s+", " ", page.title).startswith("EMIS Web - ")
