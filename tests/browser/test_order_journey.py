"""A commissioner's migration order in a real browser, by keyboard only: sign in, start an order
with TPP by hand, its details, Riverside as the recipient (found by name), SystmOne and its
deployment, the migration from EMIS LV (dates worked out, the cheapest audit-trail option), the
task list complete, the business case downloaded as XLSX, and submit; axe-core on every page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from openpyxl import load_workbook

from catalogue import accounts
from catalogue.models import Organisation
from catalogue.orders.dates import months_after, period_end
from catalogue.principal import CONSOLE, Role

from .conftest import PRACTICE_EMAIL, PRACTICE_PASSWORD, accessible
from .test_journeys import tab_to

pytestmark = pytest.mark.xdist_group("browser")

EMAIL = "cara.commissioner@newcastle-gateshead.example.nhs.uk"
PASSWORD = "a long commissioner passphrase"


@pytest.fixture(scope="module")
def commissioner_account(served_sessions) -> str:
    with served_sessions.begin() as session:
        ccg = session.query(Organisation).filter_by(ods_code="13T").one()
        accounts.create_user(
            session,
            CONSOLE,
            email=EMAIL,
            name="Cara Commissioner",
            role=Role.COMMISSIONER,
            organisation_id=ccg.id,
            password=PASSWORD,
        )
    return EMAIL


def _day(value: date) -> str:
    return f"{value.day}/{value.month}/{value.year}"


def _type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _choose(page, selector: str, pattern: str) -> None:
    """Choose an option of a select by keyboard: arrows until its text matches."""
    tab_to(page, selector)
    for _ in range(80):
        chosen = page.evaluate(
            "s => { const e = document.querySelector(s); return e.options[e.selectedIndex].text }",
            selector,
        )
        if re.search(pattern, chosen):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option matching {pattern!r} in {selector}")


def _press(page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_migration_order_by_keyboard_to_submit_and_the_business_case(
    page, commissioner_account, tmp_path
):
    start = date.today().replace(day=1)
    go_live = period_end(start, 2)

    page.goto("/sign-in")
    _type_into(page, "#email", commissioner_account)
    _type_into(page, "#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Cara Commissioner" in page.get_by_role("navigation", name="Account").inner_text()

    _press(page, "a[href='/orders']")
    assert page.locator("h1").inner_text() == "Orders"
    accessible(page, "order-list")

    _press(page, "a[href='/orders/new']")
    accessible(page, "order-new")
    # Sent empty first: the error summary says what to do.
    _press(page, "form[action='/orders/new'] button[type=submit]")
    assert "Choose how to start the order" in page.locator(".nhsuk-error-summary").inner_text()
    assert page.title().startswith("Error: ")
    accessible(page, "order-new-error")
    tab_to(page, "input[name=start]")
    page.keyboard.press("ArrowDown")  # "By hand"
    assert page.locator("input[name=start][value=hand]").is_checked()
    _choose(page, "#framework", r"GPSoC-R")
    _choose(page, "#supplier-id", r"^TPP$")
    _type_into(page, "#description", "Riverside moves to SystmOne")
    _press(page, "form[action='/orders/new'] button[type=submit]")
    assert "is started as a draft" in page.locator(".nhsuk-notification-banner").inner_text()
    call_off_id = page.url.rsplit("/", 1)[1]
    assert re.fullmatch(r"C\d{6}-01", call_off_id)
    accessible(page, "order-draft")

    _press(page, f"a[href='/orders/{call_off_id}/details']")
    _type_into(page, "#commencement-date", _day(start))
    _type_into(page, "#term-months", "36")
    accessible(page, "order-details")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "details are saved" in page.locator(".nhsuk-notification-banner").inner_text()

    _press(page, f"a[href='/orders/{call_off_id}/recipients']")
    _type_into(page, "#q", "Riverside")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "input[name=recipients][value=A81001]")
    page.keyboard.press("Space")
    accessible(page, "order-recipients")
    _press(page, "main form[method=post] button[type=submit]")
    assert "1 recipient" in page.locator(".nhsuk-notification-banner").inner_text()

    _press(page, f"a[href='/orders/{call_off_id}/items']")
    for pattern in (r"^SystmOne: ", r"^SystmOne deployment and data migration: "):
        _choose(page, "#add", pattern)
        _press(page, "main form[method=post] button[type=submit]")
    assert page.locator("fieldset").count() >= 2  # on the items page after adding each
    assert "Funding:" in page.locator("main form[method=post]").inner_text()
    accessible(page, "order-items")
    _press(page, f"a[href='/orders/{call_off_id}']")

    _press(page, f"a[href='/orders/{call_off_id}/migrations/A81001']")
    assert "EMIS LV" in page.locator("#previous-system-id").inner_text()
    _type_into(page, "#planned-go-live", _day(go_live))
    bedding_in_end = months_after(go_live, 3).strftime("%-d %B %Y")
    # As it is typed, the script has the server work the dates out (nothing is saved)...
    page.locator("#migration-dates").get_by_text(bedding_in_end).first.wait_for()
    # ...and without it, the button does the same.
    _press(page, "button[value=dates]")
    dates = page.locator("#worked-out-dates").inner_text()
    assert bedding_in_end in dates
    hints = page.locator(".nhsuk-radios__hint").all_inner_texts()
    costs = [float(re.search(r"£([\d,.]+) from", h).group(1).replace(",", "")) for h in hints]
    assert costs == sorted(costs, reverse=True)  # dearest first
    tab_to(page, "input[name=audit_trail_option]")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
        if page.locator("input[value=audit_trail_retrieval]").is_checked():
            break
    assert page.locator("input[value=audit_trail_retrieval]").is_checked()
    accessible(page, "order-migration")
    _press(page, "button[value=save]")
    assert "migration of Riverside" in page.locator(".nhsuk-notification-banner").inner_text()

    tasks = page.locator(".nhsuk-task-list").inner_text()
    assert "Incomplete" not in tasks and "Not started" not in tasks
    assert "The order is complete" in page.locator("main").inner_text()
    accessible(page, "order-complete")

    _press(page, f"a[href='/orders/{call_off_id}/business-case']")
    assert page.locator("#chart-title").count() == 1
    accessible(page, "order-business-case")
    tab_to(page, f"a[href='/orders/{call_off_id}/business-case.xlsx']")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename == f"{call_off_id}.xlsx"
    path = tmp_path / "business-case.xlsx"
    download.save_as(path)
    workbook = load_workbook(path)
    assert len(workbook.sheetnames) >= 2
    cells = [str(c) for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row]
    assert call_off_id in cells

    _press(page, f"a[href='/orders/{call_off_id}']")
    _press(page, f"form[action='/orders/{call_off_id}/submit'] button")
    assert "is submitted" in page.locator(".nhsuk-notification-banner").inner_text()
    assert "Submitted" in page.locator("h1").inner_text()
    assert "Order submitted" in page.locator("table").last.inner_text()
    accessible(page, "order-submitted")

    # The practice sees the order, read only, with the dates that matter to it.
    _press(page, "form[action='/sign-out'] button")
    page.goto("/sign-in")
    _type_into(page, "#email", PRACTICE_EMAIL)
    _type_into(page, "#password", PRACTICE_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _press(page, "a[href='/orders']")
    row = page.get_by_role("row", name=re.compile(call_off_id))
    assert bedding_in_end in row.inner_text()
    assert go_live.strftime("%-d %B %Y") in row.inner_text()
    accessible(page, "order-list-practice")
    _press(page, f"a[href='/orders/{call_off_id}']")
    dates = page.locator("#your-dates").inner_text()
    assert bedding_in_end in dates and "read only" in dates
    assert page.locator("main form").count() == 0  # nothing to change
    accessible(page, "order-practice")


def test_the_commissioner_agrees_to_fund_a_practices_scanner(
    page, commissioner_account, served_sessions
):
    """Additional IT is the practice's to pay until the commissioner and the practice both
    agree, each with a reason."""
    from catalogue import orders
    from tests.factories import commissioner_principal, order_lines, supplier_id

    with served_sessions.begin() as session:
        body = {
            "framework": "gpsoc-r",
            "supplier_id": supplier_id(session, "scanwise"),
            "commencement_date": date.today().replace(day=1),
            "term_months": 36,
            "recipients": ["A81001"],
            "items": order_lines(session, "scanwise-desktop-scanner"),
        }
        call_off_id = orders.create_order(
            session, commissioner_principal(session), body
        ).order.call_off_id

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/orders/{call_off_id}")
    funding = page.locator("table").filter(has_text="Funding and why")
    assert "Practice" in funding.inner_text()

    page.get_by_role("button", name=re.compile("^Agree to fund")).first.click()
    summary = page.locator(".nhsuk-error-summary")
    assert "Say why" in summary.inner_text() or "reason" in summary.inner_text().lower()
    accessible(page, "order-funding-agreement-error")

    page.get_by_label(re.compile("^Why the commissioner agrees to fund")).first.fill(
        "Agreed with the practice: the paperless plan"
    )
    page.get_by_role("button", name=re.compile("^Agree to fund")).first.click()
    banner = page.locator(".nhsuk-notification-banner").inner_text()
    assert "until the commissioner and the practice have both agreed" in banner
    funding = page.locator("table").filter(has_text="Funding and why")
    assert "The practice has not agreed" in funding.inner_text()
    assert "the paperless plan" in funding.inner_text()
    accessible(page, "order-funding-agreed-by-the-commissioner")

    # The practice agrees on its own order page: then the commissioner pays.
    page.locator("form[action='/sign-out'] button").click()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(PRACTICE_EMAIL)
    page.get_by_label("Password", exact=True).fill(PRACTICE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/orders/{call_off_id}")
    page.get_by_label(re.compile("^Why the practice agrees")).first.fill("We asked for the scanner")
    page.get_by_role("button", name=re.compile("^Agree that the commissioner funds")).first.click()
    assert "The commissioner funds" in page.locator(".nhsuk-notification-banner").inner_text()
    funding = page.locator("table").filter(has_text="Funding and why")
    assert "Commissioner" in funding.inner_text()
    assert "We asked for the scanner" in funding.inner_text()
    accessible(page, "order-funding-agreed")
