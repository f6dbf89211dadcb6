"""Orders in the browser, the forms of a commissioner's draft: starting an order (from a locked
selection or by hand), its details, its recipients (searched by name or ODS code), its items
and quantities, and a migration step per practice that changes system.

Each form carries the order's version (check_version: a stale page is a clear conflict and the
person's entries are kept) and calls `catalogue.orders` with the person's principal, so the
rules and the audit trail are the API's."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalogue import estate, orders, reference, selections
from catalogue.listings import ItemFilters, list_items
from catalogue.models import (
    AuditTrailOption,
    CallOffMigration,
    CallOffOrder,
    CatalogueItem,
    FrameworkStatus,
    ItemKind,
    OrderStatus,
    Organisation,
    OrganisationKind,
)
from catalogue.orders.migration import OPTION_DESCRIPTIONS
from catalogue.pricing import to_pennies
from catalogue.principal import Principal, Role
from service.database import get_session

from .forms import Attempt, check_version, see_other, signed_in
from .order_pages import changing_system, order_breadcrumbs, order_url, read_order
from .pages import Page, Problems, blueprint, render
from .presenting import money

MAX_PRACTICES_SHOWN = 50
MAX_SEARCH = 100
DATE_HINT = "For example, 31/1/2027"
_DAY = re.compile(r"^\s*(\d{1,2})[/ .-](\d{1,2})[/ .-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_day(raw: str, anchor: str, label: str, problems: Problems) -> date | None:
    """A date typed as day/month/year (or year-month-day); blank is None."""
    if not raw.strip():
        return None
    match = _DAY.match(raw)
    parts: tuple[str, ...] | None = (
        (match.group(3), match.group(2), match.group(1)) if match else None
    )
    if parts is None and (iso := _ISO.match(raw)):
        parts = iso.groups()
    try:
        if parts is None:
            raise ValueError
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        problems.append((anchor, f"{label} must be a real date, like 31/1/2027."))
        return None


def show_day(day: date | None) -> str:
    return f"{day.day}/{day.month}/{day.year}" if day else ""


def _whole_number(raw: str, anchor: str, label: str, problems: Problems) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 7:
        problems.append((anchor, f"{label} must be a whole number, like 12."))
        return None
    return int(text)


def _identifier(raw: str) -> int | None:
    """A row id from a form: digits, small enough for the database."""
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _changing(call_off_id: str) -> tuple[Principal, CallOffOrder]:
    """The commissioner and its order, for a form: only a draft is changed (the page says so
    otherwise, rather than offering a form the catalogue would refuse)."""
    person = signed_in(Role.COMMISSIONER)
    order = read_order(person, call_off_id)
    if order.status is not OrderStatus.DRAFT:
        abort(
            409,
            f"Order {order.call_off_id} is {order.status.value}; only a draft can be changed.",
        )
    return person, order


def _update(person: Principal, call_off_id: str, data: dict[str, Any], form: Attempt) -> Any:
    """Change the draft from a form: locked, checked against the page's version, then the
    catalogue's own update (its rules, its audit event)."""

    def write(db: Session) -> CallOffOrder:
        order = orders.get_order(db, person, call_off_id, for_update=True)
        check_version(order)
        return orders.update_order(db, person, order, data)

    return form.run(write)


def _fresh(person: Principal, call_off_id: str) -> CallOffOrder:
    """The order as it is now, after a refused write (its version is the one to send next)."""
    session = get_session()
    session.expire_all()
    return read_order(person, call_off_id, session)


# ------------------------------------------------------------------------------ a new order


def _start_page(person: Principal, entries: dict[str, str], problems: Problems) -> Page:
    session = get_session()
    mine, _ = selections.list_selections(session, person, 1, 100)
    locked = [s for s in mine if s.is_locked]
    frameworks = [f for f in reference.list_frameworks(session) if f.status is FrameworkStatus.LIVE]
    suppliers, _ = reference.list_suppliers(session, 1, 200)
    return render(
        "order_new.html",
        title="Start an order",
        breadcrumbs=order_breadcrumbs(),
        errors=problems,
        error_count=len(problems),
        entries=entries,
        selections=[("", "Choose a selection")]
        + [(str(s.id), f"{s.name} ({s.practice.name})") for s in locked],
        frameworks=[("", "Choose a framework")] + [(f.slug, f.name) for f in frameworks],
        suppliers=[("", "Choose a supplier")]
        + [(str(s.id), s.name) for s in suppliers if s.active],
        status=400 if problems else 200,
    )


@blueprint.get("/orders/new")
def order_new() -> Page:
    person = signed_in(Role.COMMISSIONER)
    entries = {"key": secrets.token_urlsafe(16)}
    # A selection's page may link here with the selection chosen.
    selection = request.args.get("selection", "")
    if _identifier(selection) is not None:
        entries.update(start="selection", selection_id=selection)
    return _start_page(person, entries, [])


@blueprint.post("/orders/new")
def order_create() -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    names = ("start", "selection_id", "framework", "supplier_id", "description", "key")
    entries = {name: request.form.get(name, "").strip()[:500] for name in names}
    problems: Problems = []
    data: dict[str, Any] = {"description": entries["description"]}
    if entries["start"] == "selection":
        selection_id = _identifier(entries["selection_id"])
        if selection_id is None:
            problems.append(("#selection-id", "Choose the signed-off selection to order from."))
        else:
            data["selection_id"] = selection_id
        if not entries["description"]:
            del data["description"]  # the selection names the order
    elif entries["start"] == "hand":
        if not entries["framework"]:
            problems.append(("#framework", "Choose the framework to order from."))
        chosen_supplier = _identifier(entries["supplier_id"])
        if chosen_supplier is None:
            problems.append(("#supplier-id", "Choose the supplier to order from."))
        data.update(framework=entries["framework"], supplier_id=chosen_supplier)
    else:
        problems.append(("#start", "Choose how to start the order."))
    form = Attempt(problems)
    # A key per form shown: sending the same form twice places one order, not two.
    key = entries["key"] or None
    placed = form.run(lambda db: orders.create_order(db, person, data, idempotency_key=key))
    if placed is None:
        if any(text.startswith("This Idempotency-Key") for _, text in form.problems):
            form.problems = [(None, "This form was already sent. Start a new order again.")]
            entries["key"] = secrets.token_urlsafe(16)
        return _start_page(person, entries, form.problems)
    flash(f"Order {placed.order.call_off_id} is started as a draft.", "success")
    return see_other(order_url(placed.order))


# ---------------------------------------------------------------------------------- details


def _details_page(
    order: CallOffOrder, entries: dict[str, str] | None = None, problems: Problems | None = None
) -> Page:
    entries = entries or {
        "description": order.description or "",
        "commencement_date": show_day(order.commencement_date),
        "term_months": str(order.term_months or ""),
    }
    return render(
        "order_details.html",
        title="Order details",
        breadcrumbs=order_breadcrumbs(order),
        order=order,
        entries=entries,
        errors=list(problems or []),
        error_count=len(problems or []),
        date_hint=DATE_HINT,
        status=409 if problems else 200,
    )


@blueprint.get("/orders/<string:call_off_id>/details")
def order_details(call_off_id: str) -> Page:
    _person, order = _changing(call_off_id)
    return _details_page(order)


@blueprint.post("/orders/<string:call_off_id>/details")
def order_details_save(call_off_id: str) -> ResponseReturnValue:
    person, order = _changing(call_off_id)
    names = ("description", "commencement_date", "term_months")
    entries = {name: request.form.get(name, "")[:2000] for name in names}
    problems: Problems = []
    data = {
        "description": entries["description"].strip(),
        "commencement_date": parse_day(
            entries["commencement_date"], "#commencement-date", "The commencement date", problems
        ),
        "term_months": _whole_number(entries["term_months"], "#term-months", "The term", problems),
    }
    form = Attempt(problems)
    if _update(person, order.call_off_id, data, form) is None:
        return _details_page(_fresh(person, call_off_id), entries, form.problems)
    flash("The order's details are saved.", "success")
    return see_other(order_url(order))


# ------------------------------------------------------------------------------- recipients


def _practices(person: Principal, query: str) -> list[Organisation]:
    """The commissioner's practices whose name or ODS code contains `query`."""
    statement = select(Organisation).where(
        Organisation.kind == OrganisationKind.PRACTICE,
        Organisation.commissioner_id == person.organisation_id,
    )
    if query:
        pattern = "%" + query.replace("\\", "").replace("%", "").replace("_", "") + "%"
        statement = statement.where(
            or_(Organisation.name.ilike(pattern), Organisation.ods_code.ilike(pattern))
        )
    return list(get_session().scalars(statement.order_by(Organisation.name).limit(MAX_SEARCH)))


def _recipients_page(
    person: Principal,
    order: CallOffOrder,
    chosen: list[str] | None = None,
    problems: Problems | None = None,
) -> Page:
    query = request.args.get("q", "").strip()[:100]
    on_order = [r.organisation for r in order.recipients]
    chosen = chosen if chosen is not None else [p.ods_code for p in on_order]
    found = _practices(person, query)
    shown = {p.ods_code for p in on_order}
    results = [p for p in found if p.ods_code not in shown][:MAX_PRACTICES_SHOWN]
    return render(
        "order_recipients.html",
        title="Recipients",
        breadcrumbs=order_breadcrumbs(order),
        order=order,
        on_order=on_order,
        results=results,
        more=len(found) - len(shown & {p.ods_code for p in found}) > MAX_PRACTICES_SHOWN,
        query=query,
        chosen=set(chosen),
        runs={p.id: estate.runs_now(p) for p in on_order + results},
        errors=list(problems or []),
        error_count=len(problems or []),
        status=409 if problems else 200,
    )


@blueprint.get("/orders/<string:call_off_id>/recipients")
def order_recipients(call_off_id: str) -> Page:
    person, order = _changing(call_off_id)
    return _recipients_page(person, order)


@blueprint.post("/orders/<string:call_off_id>/recipients")
def order_recipients_save(call_off_id: str) -> ResponseReturnValue:
    person, order = _changing(call_off_id)
    chosen = [code.strip().upper()[:16] for code in request.form.getlist("recipients")][:500]
    problems: Problems = []
    if not chosen:
        problems.append(("#recipients", "Choose at least one practice."))
    form = Attempt(problems)
    if _update(person, order.call_off_id, {"recipients": chosen}, form) is None:
        return _recipients_page(person, _fresh(person, call_off_id), chosen, form.problems)
    flash(f"The order has {len(chosen)} recipient{'s' if len(chosen) != 1 else ''}.", "success")
    return see_other(order_url(order))


# ------------------------------------------------------------------------------------ items


def _catalogue_choices(order: CallOffOrder) -> list[tuple[str, str]]:
    """The prices of the supplier's published items on the order's framework."""
    filters = ItemFilters(
        kinds=frozenset(ItemKind), framework=order.framework.slug, supplier_id=order.supplier_id
    )
    items, _ = list_items(get_session(), filters, 1, 200)
    choices = [("", "Choose an item to add")]
    for item in items:
        for price in item.prices:
            amount = money(price.flat_amount) if price.flat_amount is not None else "tiered"
            choices.append(
                (
                    f"{item.id}:{price.id}",
                    f"{item.name}: {price.name} ({amount}, {price.unit.value}, "
                    f"{price.period.value.replace('_', '-')})",
                )
            )
    return choices


def _items_page(
    order: CallOffOrder, entries: dict[str, str] | None = None, problems: Problems | None = None
) -> Page:
    entries = entries or {}
    lines = []
    for index, line in enumerate(order.items):
        quantities = {q.organisation_id: q.quantity for q in line.quantities}
        lines.append(
            {
                "index": index,
                "line": line,
                "quantities": [
                    {
                        "practice": r.organisation,
                        "value": entries.get(
                            f"items-{index}-quantity-{r.organisation.ods_code}",
                            str(quantities.get(r.organisation_id, "")),
                        ),
                    }
                    for r in order.recipients
                ],
                "remove": entries.get(f"items-{index}-remove") == "yes",
            }
        )
    return render(
        "order_items.html",
        title="Items and quantities",
        breadcrumbs=order_breadcrumbs(order),
        order=order,
        lines=lines,
        choices=_catalogue_choices(order),
        add=entries.get("add", ""),
        errors=list(problems or []),
        error_count=len(problems or []),
        status=409 if problems else 200,
    )


@blueprint.get("/orders/<string:call_off_id>/items")
def order_items(call_off_id: str) -> Page:
    _person, order = _changing(call_off_id)
    return _items_page(order)


@blueprint.post("/orders/<string:call_off_id>/items")
def order_items_save(call_off_id: str) -> ResponseReturnValue:
    person, order = _changing(call_off_id)
    entries = {name: value[:100] for name, value in request.form.items() if name != "csrf_token"}
    problems: Problems = []
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(order.items):
        if entries.get(f"items-{index}-remove") == "yes" or line.price_id is None:
            continue
        quantities = {}
        for recipient in order.recipients:
            code = recipient.organisation.ods_code
            amount = _whole_number(
                entries.get(f"items-{index}-quantity-{code}", ""),
                f"#items-{index}-quantities",
                f"{line.catalogue_item.name}: the quantity for {recipient.organisation.name}",
                problems,
            )
            if amount is not None:
                quantities[code] = amount
        lines.append(
            {
                "catalogue_item_id": line.catalogue_item.id,
                "price_id": line.price_id,
                "quantities": quantities,
            }
        )
    added = entries.get("add", "")
    if added:
        raw_item, _, raw_price = added.partition(":")
        item_id, price_id = _identifier(raw_item), _identifier(raw_price)
        if item_id is None or price_id is None:
            problems.append(("#add", "Choose an item from the list."))
        else:
            # No quantities given: the catalogue fills them in (a per-patient price from each
            # practice's list size).
            lines.append({"catalogue_item_id": item_id, "price_id": price_id, "quantities": {}})
    form = Attempt(problems)
    if _update(person, order.call_off_id, {"items": lines}, form) is None:
        return _items_page(_fresh(person, call_off_id), entries, form.problems)
    flash("The items and quantities are saved.", "success")
    target = "/items" if added else ""
    return see_other(order_url(order, target))


# -------------------------------------------------------------------------- migration steps


@dataclass
class PlannedMigration:
    """A practice's migration as the form has it, for pricing the audit-trail options before
    anything is saved (option_costs reads these fields of a migration)."""

    organisation: Organisation
    previous_system: CatalogueItem
    planned_go_live: date | None
    notice_given_on: date | None
    service_end: date | None
    audit_trail_option: AuditTrailOption | None
    audit_trail_quantity: int | None


def _step_practice(order: CallOffOrder, ods_code: str) -> Organisation:
    for practice in changing_system(order):
        if practice.ods_code == ods_code.upper():
            return practice
    abort(404, f"{ods_code} is not a practice changing system on this order.")


def _local_anchor(anchor: str | None) -> str | None:
    """A migration's field anchor (`#migration-planned-go-live`, `#migrations-A81001-...`) as
    the control of this page (`#planned-go-live`)."""
    if anchor is None:
        return None
    name = anchor.lstrip("#")
    if name.startswith("migrations-"):
        name = "-".join(name.split("-")[2:])
    elif name.startswith("migration-"):
        name = name[len("migration-") :]
    return "#" + name if name else None


def _priced_options(order: CallOffOrder, planned: PlannedMigration) -> list[tuple[str, str, str]]:
    """The three audit-trail options as radios, dearest first for this practice, each with its
    service and its cost from the day after the previous service ends to the end of the term."""
    options = []
    previous = planned.previous_system
    for priced in orders.option_costs(get_session(), order, planned):  # type: ignore[arg-type]
        source = priced.source
        if priced.cost is not None:
            since = show_day(priced.first_day)
            cost = f"{money(to_pennies(priced.cost))} from {since} to the end of the term"
        elif source.available:
            cost = "Priced once the go-live date, commencement and term are known"
        else:
            cost = f"Not offered: {previous.supplier.name} lists no such service"
        options.append(
            (
                source.option.value,
                OPTION_DESCRIPTIONS[source.option],
                f"{source.item.name if source.item else 'No service'}. {cost}.",
            )
        )
    return options


def _migration_page(
    order: CallOffOrder,
    practice: Organisation,
    entries: dict[str, str] | None = None,
    problems: Problems | None = None,
    status: int = 200,
) -> Page:
    saved = next((m for m in order.migrations if m.organisation_id == practice.id), None)
    if entries is None:
        entries = {
            "planned_go_live": show_day(saved.planned_go_live) if saved else "",
            "notice_given_on": show_day(saved.notice_given_on) if saved else "",
            "audit_trail_option": (
                saved.audit_trail_option.value if saved and saved.audit_trail_option else ""
            ),
        }
    running = estate.runs_now(practice)
    previous = saved.previous_system if saved else (running.system if running else None)
    ignored: Problems = []
    go_live = parse_day(entries["planned_go_live"], "", "", ignored)
    notice = parse_day(entries["notice_given_on"], "", "", ignored)
    # Worked out on the server from what the form holds (saved or not).
    dates = orders.migration_dates(go_live, notice_given_on=notice) if go_live else None
    options = []
    if previous is not None:
        planned = PlannedMigration(
            practice,
            previous,
            go_live,
            notice,
            saved.service_end if saved else None,
            None,
            saved.audit_trail_quantity if saved else None,
        )
        options = _priced_options(order, planned)
    ordered = [
        line.catalogue_item for line in order.items if line.catalogue_item.kind is ItemKind.SYSTEM
    ]
    return render(
        "order_migration.html",
        title=f"Migration: {practice.name}",
        breadcrumbs=order_breadcrumbs(order),
        order=order,
        practice=practice,
        previous=previous,
        ordered=ordered,
        entries=entries,
        dates=dates,
        options=options,
        errors=list(problems or []),
        error_count=len(problems or []),
        date_hint=DATE_HINT,
        status=status,
    )


@blueprint.get("/orders/<string:call_off_id>/migrations/<string:ods_code>")
def order_migration(call_off_id: str, ods_code: str) -> Page:
    _person, order = _changing(call_off_id)
    return _migration_page(order, _step_practice(order, ods_code))


def _as_posted(migration: CallOffMigration) -> dict[str, Any]:
    """Another practice's migration as it stands, sent again with this one."""
    return {
        "ods_code": migration.organisation.ods_code,
        "previous_system_id": migration.previous_system.id,
        "planned_go_live": migration.planned_go_live,
        "audit_trail_option": migration.audit_trail_option,
        "audit_trail_quantity": migration.audit_trail_quantity,
        "notice_given_on": migration.notice_given_on,
    }


@blueprint.post("/orders/<string:call_off_id>/migrations/<string:ods_code>")
def order_migration_save(call_off_id: str, ods_code: str) -> ResponseReturnValue:
    person, order = _changing(call_off_id)
    practice = _step_practice(order, ods_code)
    names = ("planned_go_live", "notice_given_on", "audit_trail_option")
    entries = {name: request.form.get(name, "")[:100] for name in names}
    problems: Problems = []
    go_live = parse_day(
        entries["planned_go_live"], "#planned-go-live", "The go-live date", problems
    )
    notice = parse_day(entries["notice_given_on"], "#notice-given-on", "The notice date", problems)
    option = entries["audit_trail_option"]
    if option and option not in {o.value for o in AuditTrailOption}:
        problems.append(("#audit-trail-option", "Choose one of the audit-trail options."))
    if request.form.get("action") == "dates":
        # Work the dates and prices out from the entries; nothing is saved.
        return _migration_page(order, practice, entries, problems, 400 if problems else 200)
    saved = next((m for m in order.migrations if m.organisation_id == practice.id), None)
    mine = {
        "ods_code": practice.ods_code,
        "planned_go_live": go_live,
        "notice_given_on": notice,
        "audit_trail_option": option or None,
        "audit_trail_quantity": saved.audit_trail_quantity if saved else None,
    }
    if saved is not None:
        mine["previous_system_id"] = saved.previous_system.id
    others = [_as_posted(m) for m in order.migrations if m.organisation_id != practice.id]
    form = Attempt(problems)
    if _update(person, order.call_off_id, {"migrations": [*others, mine]}, form) is None:
        shown = [(_local_anchor(anchor), text) for anchor, text in form.problems]
        fresh = _fresh(person, call_off_id)
        return _migration_page(fresh, _step_practice(fresh, ods_code), entries, shown, 409)
    flash(f"The migration of {practice.name} is saved.", "success")
    return see_other(order_url(order))
