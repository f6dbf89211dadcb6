"""A supplier's own pages: its listings with their status, pending revisions and rejection
reasons; the orders placed with it, to accept; and the migration notices of the practices
leaving its systems, to acknowledge.

Listings are edited through the API (suppliers' own systems use it): the pages link to the API
documentation and to each listing's JSON. Accepting and acknowledging call the catalogue's
functions the API calls, with the signed-in person's principal, so the rules and the audit
trail are the API's; the version in each form is its If-Match."""

from __future__ import annotations

from flask import flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import orders
from catalogue.listings import ItemFilters, get_item, list_items, revisions, visibility_for
from catalogue.models import (
    CallOffMigration,
    CallOffOrder,
    ItemKind,
    OrderStatus,
    RevisionStatus,
)
from catalogue.principal import Principal, Role
from service.database import get_session

from . import listing_presenting as listing
from .forms import Attempt, check_version, see_other, signed_in
from .pages import Page, Problems, blueprint, render

HOME = "/supplier"
LISTINGS_PER_PAGE = 50
# Orders and notices shown on the overview; more are in the API's lists.
SHOWN = 100
STATUS_COLOURS = {
    OrderStatus.SUBMITTED: "blue",
    OrderStatus.ACCEPTED: "green",
    OrderStatus.LIVE: "green",
    OrderStatus.COMPLETED: "grey",
    OrderStatus.CANCELLED: "red",
    OrderStatus.TERMINATED: "red",
}


def _supplier() -> Principal:
    return signed_in(Role.SUPPLIER)


def _is_leaving(person: Principal, migration: CallOffMigration) -> bool:
    """The practice leaves one of this supplier's systems (the notice is the supplier's to
    acknowledge); the other notices it sees are of practices joining it."""
    return migration.previous_system.supplier_id == person.supplier_id


def _crumbs(*more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Home", "/"), ("Your listings and orders", HOME), *more]


# ---------------------------------------------------------------------------- the overview


@blueprint.get(HOME)
def supplier_home() -> Page:
    person = _supplier()
    session = get_session()
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < len(page) < 6 else 1
    filters = ItemFilters(
        kinds=frozenset(ItemKind),
        supplier_id=person.supplier_id,
        visibility=visibility_for(person),
        status=None,
    )
    items, total = list_items(session, filters, max(page_number, 1), LISTINGS_PER_PAGE)
    latest = revisions.latest_revisions(session, [item.id for item in items])
    placed, placed_total = orders.list_orders(session, person, 1, SHOWN)
    notices, notices_total = orders.list_notices(session, person, 1, SHOWN)
    leaving = [m for m in notices if _is_leaving(person, m)]
    to_accept = [order for order in placed if order.status is OrderStatus.SUBMITTED]
    to_acknowledge = [m for m in leaving if m.acknowledged_at is None]
    pages = max(1, -(-total // LISTINGS_PER_PAGE))
    return render(
        "supplier_home.html",
        title="Your listings and orders",
        breadcrumbs=[("Home", "/")],
        api_url="/api/v1/orders",
        items=items,
        total=total,
        latest=latest,
        pending=RevisionStatus.PENDING,
        rejected=RevisionStatus.REJECTED,
        page=page_number,
        pages=pages,
        page_url=lambda number: f"{HOME}?page={number}#listings",
        placed=placed,
        placed_total=placed_total,
        to_accept=to_accept,
        leaving=leaving,
        notices_total=notices_total,
        to_acknowledge=to_acknowledge,
        status_colours=STATUS_COLOURS,
        api_path=listing.api_path,
    )


# ---------------------------------------------------------------------------- a listing


@blueprint.get(f"{HOME}/listings/<int:item_id>")
def supplier_listing(item_id: int) -> Page:
    person = _supplier()
    session = get_session()
    item = get_item(session, item_id, frozenset(ItemKind), visibility_for(person))
    if item.supplier_id != person.supplier_id:
        # Another supplier's published listing is public, but not this page's business.
        return render(
            "error.html",
            title="This is not one of your listings",
            breadcrumbs=_crumbs(),
            message=f"{item.name} is {item.supplier.name}'s listing. Your listings are on "
            "your listings page.",
            code=404,
            status=404,
        )
    pending = revisions.pending_revision(session, item)
    latest = revisions.latest_revisions(session, [item.id]).get(item.id)
    return render(
        "supplier_listing.html",
        title=item.name,
        breadcrumbs=_crumbs(),
        item=item,
        pending=pending,
        last_rejected=latest if latest and latest.status is RevisionStatus.REJECTED else None,
        diff=listing.diff_rows(item, pending) if pending else [],
        api_path=listing.api_path(item),
    )


# ---------------------------------------------------------------------------- an order


def _order_lines(order: CallOffOrder) -> list[dict]:
    """Each ordered price with its quantity in all (per recipient on the order's JSON)."""
    return [
        {
            "item": line.catalogue_item,
            "price_name": line.price_name,
            "unit": line.unit,
            "period": line.period,
            "quantity": sum(q.quantity for q in line.quantities),
            "funding": line.funding,
            "funding_reason": line.funding_reason,
        }
        for line in order.items
    ]


def _order_page(order: CallOffOrder, problems: Problems | None = None, status: int = 200) -> Page:
    problems = problems or []
    return render(
        "supplier_order.html",
        title=f"Order {order.call_off_id}",
        breadcrumbs=_crumbs(),
        api_url=f"/api/v1/orders/{order.call_off_id}",
        order=order,
        lines=_order_lines(order),
        can_accept=order.status is OrderStatus.SUBMITTED,
        status_colours=STATUS_COLOURS,
        errors=problems,
        error_count=len(problems),
        status=status,
    )


@blueprint.get(f"{HOME}/orders/<string:call_off_id>")
def supplier_order(call_off_id: str) -> Page:
    person = _supplier()
    return _order_page(orders.get_order(get_session(), person, call_off_id))


@blueprint.post(f"{HOME}/orders/<string:call_off_id>/accept")
def supplier_accept_order(call_off_id: str) -> ResponseReturnValue:
    person = _supplier()
    form = Attempt()

    def accept(db: Session) -> CallOffOrder:
        order = orders.get_order(db, person, call_off_id, for_update=True)
        check_version(order)
        return orders.transition(db, person, order, orders.Transition.ACCEPT)

    accepted = form.run(accept)
    if form.problems or accepted is None:
        current = orders.get_order(get_session(), person, call_off_id)
        return _order_page(current, form.problems, status=409)
    flash(
        f"You accepted order {accepted.call_off_id} from {accepted.commissioner.name}.",
        "success",
    )
    return see_other(f"{HOME}/orders/{accepted.call_off_id}")


# ---------------------------------------------------------------------- a migration notice


def _notice_page(
    person: Principal,
    migration: CallOffMigration,
    problems: Problems | None = None,
    status: int = 200,
) -> Page:
    problems = problems or []
    order = migration.order
    ours = _is_leaving(person, migration)
    return render(
        "supplier_notice.html",
        title=f"Migration of {migration.organisation.name}",
        breadcrumbs=_crumbs(),
        api_url=f"/api/v1/orders/{order.call_off_id}/migrations/{migration.organisation.ods_code}",
        migration=migration,
        order=order,
        dates=orders.dates_of(order, migration),
        ours=ours,
        can_acknowledge=ours
        and migration.acknowledged_at is None
        and order.status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.LIVE),
        errors=problems,
        error_count=len(problems),
        status=status,
    )


@blueprint.get(f"{HOME}/notices/<string:call_off_id>/<string:ods_code>")
def supplier_notice(call_off_id: str, ods_code: str) -> Page:
    person = _supplier()
    return _notice_page(person, orders.get_notice(get_session(), person, call_off_id, ods_code))


@blueprint.post(f"{HOME}/notices/<string:call_off_id>/<string:ods_code>/acknowledge")
def supplier_acknowledge_notice(call_off_id: str, ods_code: str) -> ResponseReturnValue:
    person = _supplier()
    form = Attempt()

    def acknowledge(db: Session) -> CallOffMigration:
        migration = orders.get_notice(db, person, call_off_id, ods_code, for_update=True)
        check_version(migration)
        orders.acknowledge(db, person, migration)
        return migration

    acknowledged = form.run(acknowledge)
    if form.problems or acknowledged is None:
        current = orders.get_notice(get_session(), person, call_off_id, ods_code)
        return _notice_page(person, current, form.problems, status=409)
    flash(
        f"You acknowledged the notice for {acknowledged.organisation.name} "
        f"({acknowledged.organisation.ods_code}) on order {acknowledged.order.call_off_id}.",
        "success",
    )
    return see_other(f"{HOME}/notices/{acknowledged.order.call_off_id}/{ods_code.upper()}")
