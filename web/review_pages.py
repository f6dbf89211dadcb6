"""The framework authority's review queue: listings suppliers submitted, to publish or send back
with a reason, and pending revisions of published listings (shown as a diff of field, current
value and proposed value), to approve or reject with a reason.

Each decision calls the catalogue function the API's route calls (`lifecycle.transition`,
`revisions.approve`, `revisions.reject`) with the signed-in person's principal, so it is audited
as in the API, and a published listing reaches search through the outbox, drained after the
commit. The listing's version is in every form: a decision on a page drawn before someone
else's change is refused as stale, never applied to what the reviewer did not see."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue.listings import (
    ItemFilters,
    get_item,
    lifecycle,
    list_items,
    revisions,
    rules,
    visibility_for,
)
from catalogue.models import CatalogueItem, ItemKind, ItemStatus
from catalogue.principal import Principal, Role
from catalogue.validation import REASON_MAX
from service.database import get_session

from . import listing_presenting as listing
from .forms import Attempt, check_version, see_other, signed_in
from .pages import Page, Problems, blueprint, render

HOME = "/review"
ALL_KINDS = frozenset(ItemKind)
QUEUE_SIZE = 100
REASON = "#reason"
NO_LISTING_REASON = "Enter why the listing is sent back: the supplier sees your reason."
NO_CHANGE_REASON = "Enter why the change is rejected: the supplier sees your reason."
LONG_REASON = f"The reason must be {REASON_MAX:,} characters or fewer."


def _authority() -> Principal:
    return signed_in(Role.AUTHORITY)


def _crumbs() -> list[tuple[str, str]]:
    return [("Home", "/"), ("Review queue", HOME)]


def _item(session: Session, person: Principal, item_id: int) -> CatalogueItem:
    return get_item(session, item_id, ALL_KINDS, visibility_for(person))


def _posted_reason(form: Attempt, missing: str) -> str:
    """The reason from the form, checked as the catalogue will (with a message for people)."""
    reason = request.form.get("reason", "")
    if not reason.strip():
        form.add(REASON, missing)
    elif len(reason.strip()) > REASON_MAX:
        form.add(REASON, LONG_REASON)
    return reason


def _refused(checked_before: bool) -> int:
    """422 when the form itself was wrong, 409 when the listing stood in the way (it moved on
    since the page was drawn, or its status allows no such decision)."""
    return 422 if checked_before else 409


# ------------------------------------------------------------------------------- the queue


@blueprint.get(HOME)
def review_queue() -> Page:
    person = _authority()
    session = get_session()
    filters = ItemFilters(
        kinds=ALL_KINDS, status=ItemStatus.SUBMITTED, visibility=visibility_for(person)
    )
    submitted, submitted_total = list_items(session, filters, 1, QUEUE_SIZE)
    pending = revisions.pending_queue(session)
    return render(
        "review_queue.html",
        title="Review queue",
        breadcrumbs=[("Home", "/")],
        api_url="/api/v1/systems?status=submitted",
        submitted=submitted,
        submitted_total=submitted_total,
        pending=pending,
    )


# ------------------------------------------------------------------- a submitted listing


def _listing_page(
    item: CatalogueItem,
    problems: Problems | None = None,
    reason: str = "",
    status: int = 200,
) -> Page:
    problems = problems or []
    return render(
        "review_listing.html",
        title=f"Review {item.name}",
        breadcrumbs=_crumbs(),
        api_url=listing.api_path(item),
        item=item,
        prices=[listing.price_text(rules.price_spec(price)) for price in item.prices],
        reviewable=item.status is ItemStatus.SUBMITTED,
        errors=problems,
        error_count=len(problems),
        reason=reason,
        status=status,
    )


@blueprint.get(f"{HOME}/listings/<int:item_id>")
def review_listing(item_id: int) -> Page:
    person = _authority()
    return _listing_page(_item(get_session(), person, item_id))


def _decide_listing(item_id: int, name: str) -> ResponseReturnValue:
    person = _authority()
    form = Attempt()
    reason = _posted_reason(form, NO_LISTING_REASON) if name == "reject" else None
    checked_before = bool(form.problems)

    def decide(db: Session) -> CatalogueItem:
        item = _item(db, person, item_id)
        check_version(item)
        return lifecycle.transition(db, person, item, name, reason)

    decided = form.run(decide)
    if form.problems or decided is None:
        item = _item(get_session(), person, item_id)
        status = _refused(checked_before)
        return _listing_page(item, form.problems, reason or "", status)
    if name == "publish":
        flash(
            f"{decided.name} is published: it is in the catalogue and in search results.",
            "success",
        )
    else:
        flash(
            f"{decided.name} is sent back to {decided.supplier.name} as a draft, with your reason.",
            "success",
        )
    return see_other(HOME)


@blueprint.post(f"{HOME}/listings/<int:item_id>/publish")
def review_publish_listing(item_id: int) -> ResponseReturnValue:
    return _decide_listing(item_id, "publish")


@blueprint.post(f"{HOME}/listings/<int:item_id>/reject")
def review_reject_listing(item_id: int) -> ResponseReturnValue:
    return _decide_listing(item_id, "reject")


# -------------------------------------------------------------------- a pending revision


def _revision_page(
    item: CatalogueItem,
    problems: Problems | None = None,
    reason: str = "",
    status: int = 200,
) -> Page:
    problems = problems or []
    pending = revisions.pending_revision(get_session(), item)
    return render(
        "review_revision.html",
        title=f"Review the change to {item.name}",
        breadcrumbs=_crumbs(),
        api_url=f"{listing.api_path(item)}/revision" if pending else listing.api_path(item),
        item=item,
        pending=pending,
        diff=listing.diff_rows(item, pending) if pending else [],
        errors=problems,
        error_count=len(problems),
        reason=reason,
        status=status,
    )


@blueprint.get(f"{HOME}/revisions/<int:item_id>")
def review_revision(item_id: int) -> Page:
    person = _authority()
    return _revision_page(_item(get_session(), person, item_id))


def _decide_revision(
    item_id: int, decide_with: Callable[[Session, Principal, CatalogueItem, str], object], what: str
) -> ResponseReturnValue:
    person = _authority()
    form = Attempt()
    reason = _posted_reason(form, NO_CHANGE_REASON) if what == "rejected" else ""
    checked_before = bool(form.problems)

    def decide(db: Session) -> CatalogueItem:
        item = _item(db, person, item_id)
        check_version(item)
        decide_with(db, person, item, reason)
        return item

    decided = form.run(decide)
    if form.problems or decided is None:
        item = _item(get_session(), person, item_id)
        return _revision_page(item, form.problems, reason, _refused(checked_before))
    flash(f"The change to {decided.name} is {what}.", "success")
    return see_other(HOME)


@blueprint.post(f"{HOME}/revisions/<int:item_id>/approve")
def review_approve_revision(item_id: int) -> ResponseReturnValue:
    return _decide_revision(
        item_id, lambda db, person, item, _reason: revisions.approve(db, person, item), "approved"
    )


@blueprint.post(f"{HOME}/revisions/<int:item_id>/reject")
def review_reject_revision(item_id: int) -> ResponseReturnValue:
    return _decide_revision(item_id, revisions.reject, "rejected")
