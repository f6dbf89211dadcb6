"""The authority's review queue: only the authority may open it; submitted listings are
published (and then found in search) or sent back with a required reason; pending revisions
are shown as a diff and approved or rejected; every decision is audited under the person's
name; a page drawn before someone else's change is a conflict, never a lost update."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalogue.listings import accreditation, revisions, writes
from catalogue.models import AuditEvent, ItemRevision, ItemStatus, RevisionStatus
from catalogue.principal import CONSOLE, Role
from tests.factories import item, price_body, supplier_id, supplier_principal
from web.presenting import money

from .conftest import post_form, sign_in
from .supplier_fixtures import pending_change, submitted_listing

AUTHORITY = "reviewer@authority.example.nhs.uk"
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def reviewer(web, make_user):
    user, _ = make_user(Role.AUTHORITY, AUTHORITY)
    sign_in(web, AUTHORITY)
    return user


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
    response = web.get("/review")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=%2Freview"


@pytest.mark.parametrize(
    ("role", "binding"),
    [(Role.SUPPLIER, {"supplier": "emis"}), (Role.COMMISSIONER, {"ods": "13T"})],
)
def test_other_roles_are_told_the_queue_is_not_theirs(db, web, make_user, role, binding):
    email = f"{role.value}@example.nhs.uk"
    if "supplier" in binding:
        make_user(role, email, supplier_id=supplier_id(db, binding["supplier"]))
    else:
        make_user(role, email, ods=binding["ods"])
    sign_in(web, email)
    listing = submitted_listing(db, "Queue Secret System")
    db.commit()
    for url in ("/review", f"/review/listings/{listing.id}", f"/review/revisions/{listing.id}"):
        response = web.get(url)
        assert response.status_code == 403
        text = response.get_data(as_text=True)
        assert "Your account cannot use this page." in text
        assert "Queue Secret System" not in text
    refused = post_form(web, f"/review/listings/{listing.id}/publish", {"version": "2"}, "/")
    assert refused.status_code == 403
    db.refresh(listing)
    assert listing.status is ItemStatus.SUBMITTED


# ---------------------------------------------------------------------- submitted listings


def test_the_queue_lists_submitted_listings_and_pending_changes(db, web, reviewer):
    listing = submitted_listing(db, "Northern Lights GP")
    changed = pending_change(db, "emis-web", summary="A summary proposed by EMIS.")
    db.commit()
    text = web.get("/review").get_data(as_text=True)
    assert f'href="/review/listings/{listing.id}">Northern Lights GP<' in text
    assert f'href="/review/revisions/{changed.id}">{changed.name}' in text
    # Published listings without a pending change are not in the queue.
    assert f'"/review/listings/{item(db, "systmone").id}"' not in text


def test_publishing_puts_the_listing_in_the_catalogue_and_search_audited(db, web, reviewer):
    listing = submitted_listing(db, "Quayside Clinical Record")
    db.commit()
    url = f"/review/listings/{listing.id}"
    assert "Quayside Clinical Record" not in web.get("/search?q=Quayside").get_data(as_text=True)
    page = web.get(url).get_data(as_text=True)
    assert "Publish Quayside Clinical Record" in page and "RFA v7" in page

    response = post_form(web, f"{url}/publish", {"version": page_version(web, url)}, url)
    assert response.status_code == 303 and response.headers["Location"] == "/review"
    assert "is published" in web.get("/review").get_data(as_text=True)
    db.refresh(listing)
    assert listing.status is ItemStatus.PUBLISHED
    event = last_event(db, "item.publish")
    assert event.object_id == str(listing.id)
    assert event.actor == f"authority:user:{reviewer.id}"
    # The outbox was drained after the commit: search finds it at once.
    found = web.get("/search?q=Quayside").get_data(as_text=True)
    assert f'href="/systems/{listing.id}"' in found


def test_sending_back_needs_a_reason_and_the_supplier_sees_it(db, web, reviewer, make_user):
    listing = submitted_listing(db, "Tyne Bridge EPR")
    db.commit()
    url = f"/review/listings/{listing.id}"
    version = page_version(web, url)
    events = len(db.scalars(select(AuditEvent.id)).all())

    refused = post_form(web, f"{url}/reject", {"version": version, "reason": "   "}, url)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "There is a problem" in text and "<title>Error: " in text
    assert (
        '<a href="#reason">Enter why the listing is sent back' in text
    )  # summary links to the field
    assert 'id="reason-error"' in text  # and the message is beside it
    db.refresh(listing)
    assert listing.status is ItemStatus.SUBMITTED
    assert len(db.scalars(select(AuditEvent.id)).all()) == events  # nothing was written

    reason = "The RFA version is not one we accredit against; resubmit against RFA v8."
    response = post_form(web, f"{url}/reject", {"version": version, "reason": reason}, url)
    assert response.status_code == 303
    db.refresh(listing)
    assert listing.status is ItemStatus.DRAFT and listing.rejection_reason == reason
    assert last_event(db, "item.reject").actor == f"authority:user:{reviewer.id}"

    # The supplier's own page says why.
    make_user(Role.SUPPLIER, "lister@emis.example.com", supplier_id=listing.supplier_id)
    post_form(web, "/sign-out", {}, "/")
    sign_in(web, "lister@emis.example.com")
    assert reason in web.get("/supplier").get_data(as_text=True)
    assert reason in web.get(f"/supplier/listings/{listing.id}").get_data(as_text=True)


def test_a_decision_from_a_stale_page_is_a_conflict_not_a_lost_update(db, web, reviewer):
    listing = submitted_listing(db, "Stale Page System")
    db.commit()
    url = f"/review/listings/{listing.id}"
    version = page_version(web, url)
    # Meanwhile the listing is accredited for EPS (another change while the page was open).
    accreditation.grant(db, CONSOLE, listing, "eps")
    db.commit()

    response = post_form(web, f"{url}/publish", {"version": version}, url)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Someone else changed this while you had the page open. Nothing was saved" in text
    assert "Electronic Prescription Service" in text  # the page shows their change
    db.refresh(listing)
    assert listing.status is ItemStatus.SUBMITTED
    # A form that carries no version did not come from a current page either.
    assert post_form(web, f"{url}/publish", {}, url).status_code == 409


def test_a_listing_no_longer_submitted_has_nothing_to_decide(db, web, reviewer):
    listing = item(db, "systmone")
    url = f"/review/listings/{listing.id}"
    page = web.get(url).get_data(as_text=True)
    assert "there is no submission to decide on" in page
    response = post_form(web, f"{url}/publish", {"version": str(listing.version)}, url)
    assert response.status_code == 409
    assert "Cannot publish a published item" in response.get_data(as_text=True)


# ---------------------------------------------------------------------- pending revisions


def diff_rows(text: str) -> list[tuple[str, ...]]:
    """The diff table's rows as (field, current value, proposed value), as a reader sees them."""
    table = re.search(r'<table[^>]*id="diff".*?</table>', text, re.S)
    assert table, "no diff table on the page"
    rows = re.findall(r"<tbody.*?</tbody>", table.group(0), re.S)[0]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", rows, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        found.append(
            tuple(
                html.unescape(
                    re.sub(
                        r"\s+", " ", re.sub(r"<span[^>]*aria-hidden[^>]*>.*?</span>|<[^>]+>", "", c)
                    )
                ).strip()
                for c in cells
            )
        )
    return found


def test_a_revision_is_shown_as_field_current_and_proposed(db, web, reviewer):
    listing = pending_change(db, "emis-web", summary="Cloud-hosted EMIS Web.", rfa_version="RFA v8")
    published = (listing.summary, listing.rfa_version)
    db.commit()
    rows = diff_rows(web.get(f"/review/revisions/{listing.id}").get_data(as_text=True))
    assert sorted(rows) == sorted(
        [
            ("Summary", published[0], "Cloud-hosted EMIS Web."),
            ("Requirements for Accreditation version", published[1] or "(none)", "RFA v8"),
        ]
    )


def test_price_changes_are_in_the_diff_in_words(db, web, reviewer):
    listing = item(db, "emis-web")
    licence = listing.prices[0]
    supplier = supplier_principal(db, "emis")
    # As the API's price writes do on a published listing: held in its pending revision.
    writes.update_price(db, supplier, listing, licence.id, {"amount": Decimal("3500")})
    writes.create_price(
        db, supplier, listing, price_body(name="Online triage", amount=Decimal("120.50"))
    )
    old = money(licence.tiers[0].amount)
    db.commit()
    rows = diff_rows(web.get(f"/review/revisions/{listing.id}").get_data(as_text=True))
    assert (f"Price “{licence.name}”: amount", old, "£3,500.00") in rows
    assert (
        "New price “Online triage”",
        "(none)",
        "Online triage: £120.50 per practice a year",
    ) in rows


def test_approving_a_revision_publishes_the_change_audited(db, web, reviewer):
    listing = pending_change(db, "emis-web", summary="Approved summary for EMIS Web.")
    db.commit()
    url = f"/review/revisions/{listing.id}"
    response = post_form(web, f"{url}/approve", {"version": page_version(web, url)}, url)
    assert response.status_code == 303
    db.refresh(listing)
    assert listing.summary == "Approved summary for EMIS Web."
    assert revisions.pending_revision(db, listing) is None
    assert last_event(db, "item.revision.approve").actor == f"authority:user:{reviewer.id}"
    assert "Approved summary for EMIS Web." in web.get(f"/systems/{listing.id}").get_data(
        as_text=True
    )


def test_rejecting_a_revision_needs_a_reason_and_keeps_the_published_listing(db, web, reviewer):
    listing = pending_change(db, "emis-web", summary="A summary the authority refuses.")
    published_summary = listing.summary
    db.commit()
    url = f"/review/revisions/{listing.id}"
    version = page_version(web, url)
    refused = post_form(web, f"{url}/reject", {"version": version, "reason": ""}, url)
    assert refused.status_code == 422
    assert '<a href="#reason">Enter why the change is rejected' in refused.get_data(as_text=True)
    assert revisions.pending_revision(db, listing) is not None

    reason = "Summaries must describe the system, not the supplier."
    response = post_form(web, f"{url}/reject", {"version": version, "reason": reason}, url)
    assert response.status_code == 303
    db.refresh(listing)
    assert listing.summary == published_summary
    decided = db.scalars(
        select(ItemRevision).where(ItemRevision.item_id == listing.id).order_by(ItemRevision.id)
    ).all()[-1]
    assert decided.status is RevisionStatus.REJECTED and decided.rejection_reason == reason
    assert last_event(db, "item.revision.reject").actor == f"authority:user:{reviewer.id}"


def test_a_revision_changed_after_the_page_was_drawn_is_not_approved(db, web, reviewer):
    listing = pending_change(db, "emis-web", summary="First proposal.")
    db.commit()
    url = f"/review/revisions/{listing.id}"
    version = page_version(web, url)
    pending_change(db, "emis-web", summary="Second proposal, unseen by the reviewer.")
    db.commit()
    response = post_form(web, f"{url}/approve", {"version": version}, url)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Nothing was saved" in text and "Second proposal, unseen by the reviewer." in text
    db.refresh(listing)
    assert listing.summary != "Second proposal, unseen by the reviewer."
