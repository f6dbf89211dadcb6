"""A supplier's pages: only suppliers open them, and each sees its own listings (with status,
pending change and the authority's reasons), the orders placed with it to accept, and the
notices of practices leaving its systems to acknowledge. Accepting and acknowledging are the
API's rules and audit trail; a page drawn before someone else's change is a conflict."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue import orders
from catalogue.listings import revisions
from catalogue.models import AuditEvent, OrderStatus
from catalogue.principal import CONSOLE, Role
from tests.factories import commissioner_principal, item, supplier_id

from .conftest import post_form, sign_in
from .supplier_fixtures import (
    order_leaving_tpp,
    pending_change,
    submitted_listing,
    submitted_order,
)

VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def as_supplier(db, web, make_user):
    """Sign in as a person of the supplier with that slug; returns the account."""

    def sign_in_as(slug: str):
        email = f"orders@{slug}.example.com"
        user, _ = make_user(Role.SUPPLIER, email, supplier_id=supplier_id(db, slug))
        sign_in(web, email)
        return user

    return sign_in_as


def page_version(client, url: str) -> str:
    match = VERSION.search(client.get(url).get_data(as_text=True))
    assert match, f"no version in the forms of {url}"
    return match.group(1)


def last_event(db, action: str) -> AuditEvent:
    return db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


# ------------------------------------------------------------------------------ who may


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(web):
    response = web.get("/supplier")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=%2Fsupplier"


@pytest.mark.parametrize("role", [Role.AUTHORITY, Role.COMMISSIONER, Role.PRACTICE])
def test_other_roles_are_told_the_page_is_for_suppliers(db, web, make_user, role):
    email = f"{role.value}@example.nhs.uk"
    ods = {Role.COMMISSIONER: "13T", Role.PRACTICE: "A81001"}.get(role)
    make_user(role, email, ods=ods)
    sign_in(web, email)
    order = submitted_order(db)
    db.commit()
    for url in ("/supplier", f"/supplier/orders/{order.call_off_id}"):
        response = web.get(url)
        assert response.status_code == 403
        assert "Your account cannot use this page." in response.get_data(as_text=True)
    refused = post_form(
        web, f"/supplier/orders/{order.call_off_id}/accept", {"version": order.version}, "/"
    )
    assert refused.status_code == 403
    db.refresh(order)
    assert order.status is OrderStatus.SUBMITTED


def test_the_navigation_leads_a_supplier_to_its_page(web, as_supplier):
    as_supplier("emis")
    assert 'href="/supplier">Your listings and orders<' in web.get("/").get_data(as_text=True)


# ---------------------------------------------------------------------------- listings


def test_a_supplier_sees_its_own_listings_with_status_and_what_awaits_review(db, web, as_supplier):
    draft = submitted_listing(db, "EMIS Submitted Draft")
    changed = pending_change(db, "emis-web", summary="A clearer summary.")
    others = submitted_listing(db, "TPP Submitted Draft", supplier="tpp")
    db.commit()
    as_supplier("emis")
    text = web.get("/supplier").get_data(as_text=True)
    assert f'href="/supplier/listings/{draft.id}">EMIS Submitted Draft<' in text
    assert "Waiting for the authority to publish it" in text
    assert "A change is waiting for review" in text
    assert f'href="/api/v1/systems/{changed.id}"' in text  # each listing's JSON
    assert 'href="/docs"' in text  # editing is the API's
    assert "TPP Submitted Draft" not in text and "SystmOne" not in text
    # Another supplier's listing has no page here, even when public.
    assert web.get(f"/supplier/listings/{others.id}").status_code == 404
    assert web.get(f"/supplier/listings/{item(db, 'systmone').id}").status_code == 404


def test_a_listing_page_shows_the_pending_change_as_a_diff(db, web, as_supplier):
    changed = pending_change(db, "emis-web", summary="A clearer summary.")
    db.commit()
    as_supplier("emis")
    text = web.get(f"/supplier/listings/{changed.id}").get_data(as_text=True)
    assert "Your change waiting for review" in text
    assert 'id="diff"' in text and "A clearer summary." in text
    assert f'href="/api/v1/systems/{changed.id}/revision"' in text


def test_a_rejected_change_shows_the_authoritys_reason(db, web, as_supplier):
    changed = pending_change(db, "emis-web", summary="Too bold a claim.")
    reason = "Claims of the best system need evidence."
    revisions.reject(db, CONSOLE, changed, reason)
    db.commit()
    as_supplier("emis")
    assert f"Your last change was rejected: {reason}" in web.get("/supplier").get_data(as_text=True)
    assert reason in web.get(f"/supplier/listings/{changed.id}").get_data(as_text=True)


# ---------------------------------------------------------------------------- orders


def test_the_supplier_accepts_an_order_placed_with_it_audited(db, web, as_supplier):
    order = submitted_order(db)
    db.commit()
    user = as_supplier("tpp")
    overview = web.get("/supplier").get_data(as_text=True)
    assert f'href="/supplier/orders/{order.call_off_id}">{order.call_off_id}<' in overview
    assert "1 to accept" in overview
    url = f"/supplier/orders/{order.call_off_id}"
    page = web.get(url).get_data(as_text=True)
    assert "Riverside Medical Practice (A81001)" in page and "SystmOne" in page

    response = post_form(web, f"{url}/accept", {"version": page_version(web, url)}, url)
    assert response.status_code == 303 and response.headers["Location"] == url
    assert "You accepted order" in web.get(url).get_data(as_text=True)
    db.refresh(order)
    assert order.status is OrderStatus.ACCEPTED
    event = last_event(db, "order.accept")
    assert event.object_id == order.call_off_id
    assert event.actor == f"supplier:user:{user.id}"
    assert "0 to accept" in web.get("/supplier").get_data(as_text=True)


def test_accepting_from_a_stale_page_is_a_conflict(db, web, as_supplier):
    order = submitted_order(db)
    db.commit()
    as_supplier("tpp")
    url = f"/supplier/orders/{order.call_off_id}"
    version = page_version(web, url)
    # Meanwhile the commissioner cancels the order.
    orders.transition(
        db, commissioner_principal(db), order, orders.Transition.CANCEL, reason="Merged practice."
    )
    db.commit()
    response = post_form(web, f"{url}/accept", {"version": version}, url)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Someone else changed this while you had the page open. Nothing was saved" in text
    assert "Merged practice." in text  # the page as it now stands
    assert "Accept order" not in text
    db.refresh(order)
    assert order.status is OrderStatus.CANCELLED


def test_an_order_twice_accepted_is_explained(db, web, as_supplier):
    order = submitted_order(db)
    db.commit()
    as_supplier("tpp")
    url = f"/supplier/orders/{order.call_off_id}"
    version = page_version(web, url)
    post_form(web, f"{url}/accept", {"version": version}, url)
    db.refresh(order)
    again = post_form(web, f"{url}/accept", {"version": str(order.version)}, url)
    assert again.status_code == 409
    assert "Cannot accept an order that is accepted" in again.get_data(as_text=True)


def test_another_suppliers_order_is_not_found(db, web, as_supplier):
    order = submitted_order(db)
    db.commit()
    as_supplier("inps")
    assert web.get(f"/supplier/orders/{order.call_off_id}").status_code == 404
    url = f"/supplier/orders/{order.call_off_id}/accept"
    assert post_form(web, url, {"version": order.version}, "/").status_code == 404


# ---------------------------------------------------------------------- migration notices


def test_the_previous_supplier_acknowledges_the_notice_audited(db, web, as_supplier):
    order = order_leaving_tpp(db)
    db.commit()
    user = as_supplier("tpp")
    overview = web.get("/supplier").get_data(as_text=True)
    url = f"/supplier/notices/{order.call_off_id}/A81003"
    assert f'href="{url}">Gateshead Quays Health Centre (A81003)<' in overview
    page = web.get(url).get_data(as_text=True)
    assert "Bedding-in ends" in page and "Acknowledge the notice" in page

    response = post_form(web, f"{url}/acknowledge", {"version": page_version(web, url)}, url)
    assert response.status_code == 303
    text = web.get(url).get_data(as_text=True)
    assert "You acknowledged the notice" in text
    assert "Acknowledge the notice</button>" not in text
    migration = order.migrations[0]
    db.refresh(migration)
    assert migration.acknowledged_by == f"supplier:user:{user.id}"
    assert last_event(db, "order.migration.acknowledge").actor == f"supplier:user:{user.id}"


def test_acknowledging_a_notice_changed_since_the_page_was_drawn_is_a_conflict(
    db, web, as_supplier
):
    order = order_leaving_tpp(db)
    db.commit()
    as_supplier("tpp")
    url = f"/supplier/notices/{order.call_off_id}/A81003"
    version = page_version(web, url)
    migration = order.migrations[0]
    dates = orders.dates_of(order, migration)
    later = dates.service_end + timedelta(days=30)
    orders.extend_notice(
        db, commissioner_principal(db), migration, later, "The new system needs longer."
    )
    db.commit()
    response = post_form(web, f"{url}/acknowledge", {"version": version}, url)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Nothing was saved" in text and "The new system needs longer." in text
    db.refresh(migration)
    assert migration.acknowledged_at is None


def test_the_new_supplier_reads_the_notice_but_may_not_acknowledge_it(db, web, as_supplier):
    order = submitted_order(db)  # Riverside leaves EMIS for TPP
    db.commit()
    as_supplier("tpp")
    url = f"/supplier/notices/{order.call_off_id}/A81001"
    page = web.get(url).get_data(as_text=True)
    assert "the previous supplier acknowledges the notice, not you" in page
    assert 'name="version"' not in page  # no form to acknowledge with
    version = str(order.migrations[0].version)
    response = post_form(web, f"{url}/acknowledge", {"version": version}, url)
    assert response.status_code == 409
    assert "Only the previous supplier acknowledges" in response.get_data(as_text=True)
    # And the overview's notices are its own leaving practices only.
    assert "Riverside Medical Practice (A81001)" not in web.get("/supplier").get_data(as_text=True)
