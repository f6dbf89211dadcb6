"""The search page's JavaScript updates results as filters change; an answer that arrives late
must never undo what the person has ticked since."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.xdist_group("browser")


def until(condition, page, seconds: float = 10) -> None:
    """Let the browser's events run (the route handler is one) until `condition` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        page.wait_for_timeout(25)


def test_a_late_answer_does_not_untick_a_newer_filter(page):
    held = []

    def hold_lot_only(route):
        # Keep the answer to "Lot 1 ticked" back until the answer to the next tick has landed.
        if "kind=system" not in route.request.url and not held:
            held.append(route)
        else:
            route.continue_()

    page.goto("/search?q=prescribing")
    page.route(re.compile(r"/search\?.*lot=1"), hold_lot_only)
    lot_one = page.get_by_role("group", name="Lot").get_by_label(re.compile(r"^Lot 1 \("))
    systems = page.get_by_role("group", name="Kind").get_by_label(re.compile(r"^Systems \("))
    lot_one.check()
    until(lambda: len(held) == 1, page)  # the script's request is on its way, and held
    with page.expect_response(lambda response: "kind=system" in response.url):
        systems.check()
    page.wait_for_url(re.compile(r"kind=system"))

    # The late answer (Lot 1 without Systems) now arrives; the page must ignore it.
    with contextlib.suppress(PlaywrightError):  # the script may have cancelled it already
        held[0].continue_()
    page.wait_for_timeout(500)  # time for a stale answer to be (wrongly) applied
    assert systems.is_checked()
    assert lot_one.is_checked()
    assert "kind=system" in page.url
    assert page.problems.errors == []
