"""The supplier's and the authority's journeys in a real browser, from sign-in: a supplier
accepts an order placed with it and acknowledges the notice of a practice leaving its system;
the authority publishes a submitted listing (then finds it in search), sends another back with
a reason, and approves a change to a published listing. axe-core finds nothing on any page.

The orders, notices and listings are made through the catalogue's own functions, on a database
of this module's own (the app is served over it as `served` is for the other journeys)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from catalogue import accounts
from catalogue.models import CallOffOrder, CatalogueItem, ItemStatus, OrderStatus
from catalogue.principal import CONSOLE, Role
from tests.factories import supplier_id
from tests.web.supplier_fixtures import (
    order_leaving_tpp,
    pending_change,
    submitted_listing,
    submitted_order,
)

from .conftest import Site, accessible, serving

pytestmark = pytest.mark.xdist_group("browser")

PASSWORD = "a long journey passphrase"
SUPPLIER_EMAIL = "orders@tpp.example.com"
AUTHORITY_EMAIL = "reviewer@authority.example.nhs.uk"


def _people(session: Session) -> None:
    accounts.create_user(
        session,
        CONSOLE,
        email=SUPPLIER_EMAIL,
        name="Sam Orders",
        role=Role.SUPPLIER,
        supplier_id=supplier_id(session, "tpp"),
        password=PASSWORD,
    )
    accounts.create_user(
        session,
        CONSOLE,
        email=AUTHORITY_EMAIL,
        name="Rita Reviewer",
        role=Role.AUTHORITY,
        password=PASSWORD,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    """The app served over a seeded database of this module's own, with a TPP account and an
    authority account."""
    with serving(tmp_path_factory.mktemp("supplier-journeys"), _people) as site:
        yield site


@pytest.fixture(scope="module")
def served(site: Site) -> str:
    """The `page` fixture's site: this module's."""
    return site.url


def sign_in(page, email: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "You are signed in" in page.locator(".nhsuk-notification-banner").inner_text()


def banner(page) -> str:
    return page.locator(".nhsuk-notification-banner").inner_text()


def test_a_supplier_accepts_an_order_and_acknowledges_a_notice(page, site):
    with site.sessions.begin() as db:
        joining = submitted_order(db).call_off_id  # Riverside moves from EMIS LV to SystmOne
        leaving = order_leaving_tpp(db).call_off_id  # Gateshead Quays leaves SystmOne
        pending_change(db, "systmone", summary="SystmOne, hosted in NHS data centres.")

    sign_in(page, SUPPLIER_EMAIL)
    page.get_by_role("link", name="Your listings and orders").click()
    assert page.locator("h1").inner_text() == "Your listings and orders"
    assert (
        "1 to accept"
        in page.get_by_role("link", name="Orders placed with you").locator("..").inner_text()
    )
    accessible(page, "supplier-home")

    # A listing with a change waiting for review: the diff, and the API to change it.
    page.get_by_role("link", name="SystmOne", exact=True).click()
    assert "Your change waiting for review" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="The API documentation").get_attribute("href") == "/docs"
    accessible(page, "supplier-listing-pending-change")
    page.go_back()

    # Accept the order placed with TPP.
    page.get_by_role("link", name=joining).click()
    assert page.locator("h1").inner_text() == f"Order {joining}"
    accessible(page, "supplier-order-to-accept")
    page.get_by_role("button", name=f"Accept order {joining}").click()
    assert f"You accepted order {joining}" in banner(page)
    assert "Accepted" in page.locator(".nhsuk-summary-list").inner_text()
    accessible(page, "supplier-order-accepted")

    # Acknowledge the notice of the practice leaving SystmOne.
    page.get_by_role("link", name="Back to the orders placed with you").click()
    page.get_by_role("link", name="Gateshead Quays Health Centre (A81003)").click()
    main = page.locator("main").inner_text()
    assert "Bedding-in ends" in main and "Your service ends" in main
    accessible(page, "supplier-notice-to-acknowledge")
    page.get_by_role("button", name="Acknowledge the notice").click()
    assert "You acknowledged the notice for Gateshead Quays Health Centre" in banner(page)
    accessible(page, "supplier-notice-acknowledged")

    with site.sessions() as db:
        order = db.query(CallOffOrder).filter_by(call_off_id=joining).one()
        assert order.status is OrderStatus.ACCEPTED
        notice = db.query(CallOffOrder).filter_by(call_off_id=leaving).one().migrations[0]
        assert notice.acknowledged_at is not None
        assert notice.acknowledged_by.startswith("supplier:user:")


def test_the_authority_publishes_rejects_and_approves(page, site):
    with site.sessions.begin() as db:
        to_publish = submitted_listing(db, "Lindisfarne Clinical Record").id
        to_reject = submitted_listing(db, "Hadrian Practice System", supplier="tpp").id
        changed = pending_change(db, "emis-web", summary="EMIS Web, now with online triage.")
        changed_name = changed.name

    sign_in(page, AUTHORITY_EMAIL)
    page.get_by_role("link", name="Review queue").click()
    assert page.locator("h1").inner_text() == "Review queue"
    accessible(page, "review-queue")

    # Publish a submitted listing; it is found in search at once.
    page.get_by_role("link", name="Lindisfarne Clinical Record").click()
    accessible(page, "review-submitted-listing")
    page.get_by_role("button", name="Publish Lindisfarne Clinical Record").click()
    assert "Lindisfarne Clinical Record is published" in banner(page)
    accessible(page, "review-queue-after-publishing")
    page.get_by_label("Search the catalogue", exact=True).fill("Lindisfarne")
    page.get_by_role("button", name="Search", exact=True).first.click()
    page.wait_for_url(re.compile(r"/search\?q=Lindisfarne"))
    page.get_by_role("link", name="Lindisfarne Clinical Record").click()
    assert page.locator("h1").inner_text() == "Lindisfarne Clinical Record"

    # Send one back: without a reason it is refused and says why, with one it goes.
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="Hadrian Practice System").click()
    page.get_by_role("button", name="Send back to the supplier").click()
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter why the listing is sent back" in summary.inner_text()
    assert page.title().startswith("Error: ")
    accessible(page, "review-reject-without-reason")
    summary.get_by_role("link", name=re.compile("^Enter why the listing is sent back")).click()
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("Name the RFA version the system was accredited against.")
    page.get_by_role("button", name="Send back to the supplier").click()
    assert "Hadrian Practice System is sent back to TPP" in banner(page)

    # Approve a change to a published listing, read as a diff.
    page.get_by_role("link", name=re.compile(f"^{changed_name}")).click()
    diff = page.locator("#diff").inner_text()
    assert "Summary" in diff and "EMIS Web, now with online triage." in diff
    accessible(page, "review-revision-diff")
    page.get_by_role("button", name="Approve the change").click()
    assert f"The change to {changed_name} is approved" in banner(page)
    assert page.get_by_role("link", name=re.compile(f"^{changed_name}")).count() == 0

    with site.sessions() as db:
        assert db.get(CatalogueItem, to_publish).status is ItemStatus.PUBLISHED
        rejected = db.get(CatalogueItem, to_reject)
        assert rejected.status is ItemStatus.DRAFT
        assert rejected.rejection_reason.startswith("Name the RFA version")
