"""The journeys a practice manager makes, in a real browser, with and without JavaScript:
find "systems with electronic prescribing on Lot 1", open one, compare three with the cost for
practice A81001 over 36 months, download the XLSX; sign in and out; and the same by keyboard."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from .conftest import PRACTICE_EMAIL, PRACTICE_PASSWORD, accessible

pytestmark = pytest.mark.xdist_group("browser")


def money_in(text: str) -> Decimal:
    return Decimal(re.sub(r"[£,\s]", "", text))


@pytest.fixture(params=["with JavaScript", "without JavaScript"])
def journey_page(request, browser, served, page):
    if request.param == "with JavaScript":
        page.checks_accessibility = True
        return page
    context = browser.new_context(base_url=served, java_script_enabled=False, accept_downloads=True)
    context.route(lambda url: not url.startswith(served), lambda route: route.abort())
    request.addfinalizer(context.close)
    page = context.new_page()
    page.checks_accessibility = False  # axe-core is JavaScript: the pages are the same HTML
    return page


def test_find_compare_cost_and_download(journey_page, tmp_path):
    page = journey_page
    page.goto("/")
    page.get_by_label("Search the catalogue", exact=True).fill("prescribing")
    page.get_by_role("button", name="Search", exact=True).first.click()
    page.wait_for_url(re.compile(r"/search\?q=prescribing"))

    # Filter by facets: Lot 1, systems, the Electronic Prescription Service.
    page.get_by_role("group", name="Lot").get_by_label(re.compile(r"^Lot 1 \(")).check()
    page.get_by_role("group", name="Kind").get_by_label(re.compile(r"^Systems \(")).check()
    page.get_by_label(re.compile(r"^Electronic Prescription Service")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"capability=eps"))
    assert "lot=1" in page.url and "kind=system" in page.url
    if page.checks_accessibility:
        accessible(page, "journey-search-filtered")
    hits = page.locator("#results-list > li")
    assert hits.count() >= 3
    count = int(page.locator("#result-count").inner_text().split()[0])
    assert count == hits.count()

    # Open a system, and add it to the comparison from its page.
    first_name = hits.first.locator("h2 a").inner_text()
    hits.first.locator("h2 a").click()
    assert page.locator("h1").inner_text() == first_name
    assert page.get_by_text("Electronic Prescription Service").count() >= 1
    page.get_by_role("button", name=re.compile("^Add to compare")).click()
    assert "added to your comparison" in page.locator(".nhsuk-notification-banner").inner_text()
    page.go_back()
    page.go_back()  # back to the filtered results
    page.wait_for_url(re.compile(r"capability=eps"))
    page.reload()

    # Two more from the results.
    added = [first_name]
    for index in range(1, 3):
        hit = page.locator("#results-list > li").nth(index)
        added.append(hit.locator("h2 a").inner_text())
        with page.expect_navigation():
            hit.get_by_role("button", name=re.compile("^Add to compare")).click()
    page.get_by_role("link", name="Compare (3)").click()
    assert page.locator("h1").inner_text() == "Compare systems and services"
    headers = page.locator("table").first.locator("thead th").all_inner_texts()
    assert sorted(headers) == sorted(added)

    page.get_by_label("Practice ODS code").fill("A81001")
    page.get_by_label("Term in months").fill("36")
    page.get_by_role("button", name="Show costs").click()
    heading = page.get_by_role("heading", name=re.compile("Cost for .* over 36 months"))
    assert "A81001" in heading.inner_text()
    if page.checks_accessibility:
        accessible(page, "journey-compare-costs")
    cost_table = page.get_by_role("region", name="Whole-life costs")
    totals = cost_table.get_by_role("row", name=re.compile("^Whole-life cost")).locator("td")
    central = cost_table.get_by_role("row", name=re.compile("^Centrally funded")).locator("td")
    commissioner = cost_table.get_by_role("row", name=re.compile("^Paid by the commissioner"))
    practice = cost_table.get_by_role("row", name=re.compile("^Paid by the practice"))
    for index in range(3):
        total = money_in(totals.nth(index).inner_text())
        assert total > 0
        parts = [
            money_in(row.nth(index).inner_text())
            for row in (central, commissioner.locator("td"), practice.locator("td"))
        ]
        assert sum(parts) == total
    assert page.locator("#chart-title").text_content() == "Cost per year of the term"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a spreadsheet (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename == "comparison.xlsx"
    path = tmp_path / "comparison.xlsx"
    download.save_as(path)
    workbook = load_workbook(path)
    assert {"Summary", "Items", "Capabilities", "Costs", "Cost per year"} <= set(
        workbook.sheetnames
    )
    whole_life = {
        row[1]: Decimal(str(row[10]))
        for row in workbook["Costs"].iter_rows(min_row=2, values_only=True)
        if row[2] == "Whole-life cost"
    }
    shown = {name: money_in(totals.nth(index).inner_text()) for index, name in enumerate(headers)}
    assert whole_life == shown


def test_sign_in_and_out(page):
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(PRACTICE_EMAIL)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter a correct email address and password" in summary.inner_text()
    assert page.title().startswith("Error: ")
    accessible(page, "sign-in-error")

    page.get_by_label("Password", exact=True).fill(PRACTICE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    account = page.get_by_role("navigation", name="Account")
    assert "Priya Manager" in account.inner_text()
    assert "Riverside Medical Practice" in account.inner_text()
    accessible(page, "signed-in-home")

    # A practice's own costs: the comparison prices for it without asking.
    page.goto("/compare?ids=1,4")
    assert page.get_by_label("Practice ODS code").input_value() == "A81001"
    assert page.get_by_role("heading", name=re.compile("Cost for Riverside")).count() == 1

    account.get_by_role("button", name="Sign out").click()
    assert "You have signed out" in page.locator(".nhsuk-notification-banner").inner_text()
    assert (
        page.get_by_role("navigation", name="Account")
        .get_by_role("link", name="Sign in")
        .is_visible()
    )
    page.goto("/compare?ids=1,4")
    assert page.get_by_label("Practice ODS code").input_value() == ""


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took the focus by keyboard")


def test_keyboard_only_search_and_compare(page):
    page.goto("/search")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    tab_to(page, "#search-text")
    page.keyboard.type("prescribing")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=prescribing"))

    tab_to(page, "input[name=lot]")  # the "Any" radio; arrows choose within the group
    page.keyboard.press("ArrowDown")
    page.wait_for_url(re.compile(r"lot=1"))  # JavaScript applies it at once
    tab_to(page, "input[name=capability][value=eps]")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"capability=eps"))
    tab_to(page, "#apply-filters")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "lot=1" in page.url and "capability=eps" in page.url

    for _ in range(3):
        tab_to(page, "#results-list button[data-compare=add]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    tab_to(page, "a[href='/compare']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/compare$"))
    tab_to(page, "#practice")
    page.keyboard.type("A81001")
    tab_to(page, "#term_months")
    page.keyboard.press("Control+A")
    page.keyboard.type("36")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"practice=A81001"))
    assert page.get_by_role("heading", name=re.compile("over 36 months")).count() == 1
    tab_to(page, "#download-xlsx")
    accessible(page, "keyboard-compare")
