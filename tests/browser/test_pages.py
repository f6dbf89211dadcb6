"""Every page in a real browser: it renders, axe-core finds no accessibility problem, and a
screenshot is kept for review."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import accessible

pytestmark = pytest.mark.xdist_group("browser")

PAGES = {
    "home": "/",
    "search": "/search",
    "search-results": "/search?q=prescribing",
    "search-no-results": "/search?q=prescribnig+zzz",
    "system": "/systems/1",
    "service": "/services/13",
    "frameworks": "/frameworks",
    "framework": "/frameworks/gpsoc-r",
    "lot": "/frameworks/gpsoc-r/lots/1",
    "suppliers": "/suppliers",
    "supplier": "/suppliers/1",
    "compare-empty": "/compare",
    "compare": "/compare?ids=1,4,5&practice=A81001&term_months=36",
    "sign-in": "/sign-in",
    "sign-in-link": "/sign-in/link/an-example-link",
    "not-found": "/systems/999999",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible(page, name):
    response = page.goto(PAGES[name])
    assert response.status == (404 if name == "not-found" else 200)
    assert page.locator("h1").count() == 1
    assert page.title().endswith("GP IT catalogue - NHS")
    accessible(page, name)


def test_the_docs_render_under_their_content_security_policy(page):
    """/docs (Swagger UI) works with its policy: a script the policy refused would be a console
    error, which the `page` fixture fails the test on."""
    response = page.goto("/docs")
    assert response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    tags = [tag["name"] for tag in page.request.get("/openapi.json").json()["tags"]]
    # Every tag is drawn (folded), and unfolding one draws each of its operations.
    expect(page.locator(".opblock-tag")).to_have_count(len(tags), timeout=60_000)
    page.locator(".opblock-tag", has_text="selections").first.click()
    expect(page.locator(".opblock")).to_have_count(
        sum(1 for o in _operations(page) if "selections" in o.get("tags", [])), timeout=60_000
    )


def _operations(page):
    paths = page.request.get("/openapi.json").json()["paths"]
    return [o for item in paths.values() for o in item.values() if isinstance(o, dict)]
