"""Orders in the browser, the pages that read: the order list (statuses, a filter), the order
page (its task list for the commissioner, what the practice needs to know, its history from the
audit trail), the business case with its chart and downloads, and submitting.

The forms that change a draft are in `order_form_pages`. Every rule is the catalogue's
(`catalogue.orders`), called with the signed-in person's principal as the API calls it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import audit, estate, orders
from catalogue.errors import Conflict
from catalogue.models import CallOffOrder, ItemKind, OrderStatus, Organisation
from catalogue.orders.export import estimate_csv, estimate_xlsx
from catalogue.pricing import to_pennies
from catalogue.principal import Principal, Role
from service.database import get_session
from service.downloads import CSV, XLSX, download

from .chart import cost_chart
from .forms import Attempt, check_version, see_other, signed_in
from .pages import Page, Problems, blueprint, render
from .presenting import money

PAGE_SIZE = 25
HISTORY_LIMIT = 100
PEOPLE = (Role.COMMISSIONER, Role.PRACTICE)
STATUS_WORDS = {
    OrderStatus.DRAFT: ("Draft", "grey"),
    OrderStatus.SUBMITTED: ("Submitted", "blue"),
    OrderStatus.ACCEPTED: ("Accepted", "purple"),
    OrderStatus.LIVE: ("Live", "green"),
    OrderStatus.COMPLETED: ("Completed", "white"),
    OrderStatus.CANCELLED: ("Cancelled", "red"),
    OrderStatus.TERMINATED: ("Terminated", "orange"),
}
ACTION_WORDS = {
    "order.create": "Order started",
    "order.update": "Order changed",
    "order.submit": "Order submitted",
    "order.accept": "Accepted by the supplier",
    "order.go_live": "Business go-live recorded",
    "order.complete": "Order completed",
    "order.cancel": "Order cancelled",
    "order.terminate": "Order terminated",
    "order.amend": "Amendment started",
    "order.supersede": "Superseded by an amendment",
}


# ------------------------------------------------------------------------------ shared parts


@blueprint.app_template_filter("change")
def _change(amount: Decimal) -> str:
    """A change from the baseline in words: "£46.80 less", "£7,530.20 more", "No change"."""
    if not amount:
        return "No change"
    return f"{money(abs(amount))} {'more' if amount > 0 else 'less'}"


def order_url(order: CallOffOrder | str, part: str = "") -> str:
    call_off_id = order if isinstance(order, str) else order.call_off_id
    return f"/orders/{call_off_id}{part}"


def order_breadcrumbs(order: CallOffOrder | None = None) -> list[tuple[str, str]]:
    crumbs = [("Home", "/"), ("Orders", "/orders")]
    if order is not None:
        crumbs.append((order.call_off_id, order_url(order)))
    return crumbs


def read_order(person: Principal, call_off_id: str, session: Session | None = None) -> Any:
    """An order the person may see (404 otherwise, as in the API)."""
    return orders.get_order(session or get_session(), person, call_off_id)


def changing_system(order: CallOffOrder) -> list[Organisation]:
    """The recipients that need a migration step: they have one already, or the order is for a
    principal system other than the one they run."""
    ordered = {line.catalogue_item.id for line in order.items}
    has_system = any(line.catalogue_item.kind is ItemKind.SYSTEM for line in order.items)
    migrating = {m.organisation_id for m in order.migrations}
    return [
        r.organisation
        for r in order.recipients
        if r.organisation_id in migrating
        or (
            has_system
            and estate.system_id_now(r.organisation) is not None
            and estate.system_id_now(r.organisation) not in ordered
        )
    ]


def payers(split: Any) -> list[tuple[str, Decimal]]:
    """Who pays what in a split of the estimate, in its own order and by its own names: the
    payers are the estimate's (a mapping, or the amounts of a dataclass), never a list of ours."""
    if isinstance(split, dict):
        pairs = list(split.items())
    elif dataclasses.is_dataclass(split):
        pairs = [(f.name, getattr(split, f.name)) for f in dataclasses.fields(split)]
    else:
        pairs = list(vars(split).items())
    return [
        (str(name), value)
        for name, value in pairs
        if str(name) != "total" and isinstance(value, Decimal)
    ]


def payer_totals(*splits: Any) -> list[tuple[str, Decimal]]:
    """The payers of several splits added up (one-off plus recurring), to the penny."""
    totals: dict[str, Decimal] = {}
    for split in splits:
        for name, amount in payers(split):
            totals[name] = totals.get(name, Decimal(0)) + amount
    return [(name, to_pennies(amount)) for name, amount in totals.items()]


@dataclass(frozen=True)
class Task:
    anchor: str
    name: str
    href: str | None
    status: str  # "Completed", "Incomplete", "Not started", "Cannot start yet", "Optional"
    notes: list[str]


def _task_of(field: str) -> str:
    if field.startswith("items"):
        return "task-items"
    if field.startswith("recipients"):
        return "task-recipients"
    if field.startswith("migrations."):
        return "task-migration-" + field.split(".")[1].upper()
    if field.startswith("migration"):
        return "task-migration"
    return "task-details"


def task_list(session: Session, order: CallOffOrder) -> tuple[list[Task], list[str], bool]:
    """The completeness check as tasks, the advice that does not stop submission, and whether
    the order is complete."""
    missing = orders.completeness(session, order)
    advice = [prompt.message for prompt in orders.prompts(session, order)]
    by_task: dict[str, list[str]] = {}
    for item in missing:
        by_task.setdefault(_task_of(item.field), []).append(item.message)
    migrations = {m.organisation_id: m for m in order.migrations}
    single = len(order.migrations) == 1
    editable = order.status is OrderStatus.DRAFT

    def status(anchor: str, started: bool) -> str:
        if by_task.get(anchor):
            return "Incomplete" if started else "Not started"
        return "Completed" if started else "Not started"

    tasks = [
        Task(
            "task-details",
            "Order details: commencement and term",
            order_url(order, "/details") if editable else None,
            status("task-details", order.commencement_date is not None),
            by_task.get("task-details", []),
        ),
        Task(
            "task-recipients",
            "Recipients: the practices",
            order_url(order, "/recipients") if editable else None,
            status("task-recipients", bool(order.recipients)),
            by_task.get("task-recipients", []),
        ),
        Task(
            "task-items",
            "Items and quantities",
            order_url(order, "/items") if editable else None,
            status("task-items", bool(order.items)),
            by_task.get("task-items", []),
        ),
    ]
    for practice in changing_system(order):
        anchor = "task-migration-" + practice.ods_code
        notes = by_task.get(anchor, []) + (by_task.get("task-migration", []) if single else [])
        found = migrations.get(practice.id)
        tasks.append(
            Task(
                anchor,
                f"Migration: {practice.name} ({practice.ods_code})",
                order_url(order, f"/migrations/{practice.ods_code}") if editable else None,
                ("Incomplete" if notes else "Completed") if found else "Not started",
                notes if found else ["Plan the change of system: go-live and audit trail."],
            )
        )
    estimable = order.commencement_date is not None and order.term_months is not None
    tasks.append(
        Task(
            "task-business-case",
            "Business case: check the costs",
            order_url(order, "/business-case") if estimable else None,
            "Optional" if estimable else "Cannot start yet",
            [] if estimable else ["Needs the commencement date and the term."],
        )
    )
    not_started = any(task.status == "Not started" for task in tasks)
    return tasks, advice, not missing and not not_started


def task_problems(order: CallOffOrder, problems: Problems) -> Problems:
    """A refusal's field anchors turned into the tasks of the order page that fix them."""
    single = order.migrations[0].organisation.ods_code if len(order.migrations) == 1 else None
    shown: Problems = []
    for anchor, message in problems:
        name = (anchor or "").lstrip("#")
        if not name or name in {"transition", "status"}:
            target = None  # about the whole order: the summary says it, linking nowhere
        elif name.startswith("migrations-"):
            target = "task-migration-" + name.split("-")[1].upper()
        elif name.startswith("migration"):
            target = f"task-migration-{single}" if single else "task-details"
        elif name.startswith("items"):
            target = "task-items"
        elif name.startswith("recipients"):
            target = "task-recipients"
        else:
            target = "task-details"
        shown.append(("#" + target if target else None, message))
    return shown


def _history(session: Session, person: Principal, order: CallOffOrder) -> list[dict[str, Any]]:
    filters = audit.EventFilters(object_type="call_off_order", object_id=order.call_off_id)
    events, _ = audit.list_events(session, person, filters, HISTORY_LIMIT)
    return [
        {
            "when": event.occurred_at,
            "what": ACTION_WORDS.get(event.action, event.action),
            "who": event.actor_name,
            "changed": sorted((event.after or {}).keys()) if event.action == "order.update" else [],
            "reason": (event.after or {}).get("reason"),
        }
        for event in events
    ]


def _own_practice_dates(person: Principal, order: CallOffOrder) -> dict[str, Any] | None:
    """For a practice: the dates that matter to it on this order."""
    if person.role is not Role.PRACTICE:
        return None
    migration = next(
        (m for m in order.migrations if m.organisation_id == person.organisation_id), None
    )
    if migration is None:
        return {"migration": None, "commencement": order.commencement_date}
    return {
        "migration": migration,
        "dates": orders.dates_of(order, migration),
        "commencement": order.commencement_date,
    }


# ------------------------------------------------------------------------------- the list


def _status_filter() -> OrderStatus | None:
    raw = request.args.get("status", "")
    try:
        return OrderStatus(raw) if raw else None
    except ValueError:
        return None


@blueprint.get("/orders")
def order_list() -> Page:
    person = signed_in(*PEOPLE)
    session = get_session()
    status = _status_filter()
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 6 else 1
    page = max(page, 1)
    found, total = orders.list_orders(session, person, page, PAGE_SIZE, status)
    pages = max(1, -(-total // PAGE_SIZE))
    rows = []
    for order in found:
        own = _own_practice_dates(person, order)
        rows.append({"order": order, "own": own})

    def url_for_page(number: int) -> str:
        query = {"page": number} | ({"status": status.value} if status else {})
        return "/orders?" + urlencode(query)

    return render(
        "order_list.html",
        title="Orders" if person.role is Role.COMMISSIONER else "Your practice's orders",
        breadcrumbs=[("Home", "/")],
        api_url="/api/v1/orders" + (f"?status={status.value}" if status else ""),
        rows=rows,
        total=total,
        chosen_status=status.value if status else "",
        statuses=[("", "Any status")] + [(s.value, STATUS_WORDS[s][0]) for s in OrderStatus],
        status_words=STATUS_WORDS,
        page=page,
        pages=pages,
        url_for_page=url_for_page,
        is_practice=person.role is Role.PRACTICE,
    )


# ------------------------------------------------------------------------------ one order


def order_page(
    person: Principal,
    order: CallOffOrder,
    problems: Problems | None = None,
    status: int = 200,
    session: Session | None = None,
    reasons: dict[int, str] | None = None,
) -> Page:
    """The order page; `reasons` are the words a commissioner typed for agreeing to fund a
    line, kept when the agreement was refused."""
    session = session or get_session()
    commissioner = person.role is Role.COMMISSIONER
    tasks, advice, complete = task_list(session, order) if commissioner else ([], [], False)
    migrations = [{"migration": m, "dates": orders.dates_of(order, m)} for m in order.migrations]
    return render(
        "order.html",
        title=f"Order {order.call_off_id}",
        breadcrumbs=order_breadcrumbs(),
        api_url=f"/api/v1/orders/{order.call_off_id}",
        order=order,
        status_words=STATUS_WORDS,
        tasks=tasks,
        advice=advice,
        complete=complete,
        may_edit=commissioner and order.status is OrderStatus.DRAFT,
        migrations=migrations,
        own=_own_practice_dates(person, order),
        history=_history(session, person, order),
        errors=problems or [],
        error_count=len(problems or []),
        warnings=orders.level_warnings(order),
        **_agreements(person, order),
        reasons=reasons or {},
        status=status,
    )


def _agreements(person: Principal, order: CallOffOrder) -> dict[str, Any]:
    """Who pays each line as this person's side sees it (a practice: for itself), the lines it
    may agree the commissioner funds on a draft, and those its side has agreed."""
    practice = person.organisation_id if person.role is Role.PRACTICE else None
    recipient = practice in {r.organisation_id for r in order.recipients}
    commissioner = person.role is Role.COMMISSIONER
    return {
        "funding": {line.id: orders.funding_of(line, practice) for line in order.items},
        "agreeable": {
            line.id
            for line in order.items
            if orders.agreement_possible(line)
            and (
                commissioner
                or (recipient and practice in {q.organisation_id for q in line.quantities})
            )
        },
        "may_agree": order.status is OrderStatus.DRAFT and (commissioner or recipient),
        "agreeing_side": "practice" if practice is not None else "commissioner",
        "agreed_by_me": {
            line.id
            for line in order.items
            if (
                orders.practice_agreed(line, practice)
                if practice is not None
                else line.funding_agreed_at is not None
            )
        },
    }


@blueprint.get("/orders/<string:call_off_id>")
def order_view(call_off_id: str) -> Page:
    person = signed_in(*PEOPLE)
    return order_page(person, read_order(person, call_off_id))


@blueprint.post("/orders/<string:call_off_id>/submit")
def order_submit(call_off_id: str) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    read_order(person, call_off_id)  # 404 before anything else for an order not theirs
    form = Attempt()

    def submit(db: Session) -> CallOffOrder:
        order = orders.get_order(db, person, call_off_id, for_update=True)
        check_version(order)
        return orders.transition(db, person, order, orders.Transition.SUBMIT)

    if form.run(submit) is None:
        session = get_session()
        session.expire_all()
        order = read_order(person, call_off_id, session)
        return order_page(person, order, task_problems(order, form.problems), 409, session)
    flash(f"Order {call_off_id.upper()} is submitted to the supplier.", "success")
    return see_other(order_url(call_off_id.upper()))


# -------------------------------------------------------------------------- business case


def _year_rows(estimate: orders.Estimate) -> list[dict[str, Any]]:
    rows = []
    change = estimate.change
    for span, order_year, base_year, change_year in zip(
        estimate.years, estimate.totals.years, estimate.baseline.years, change.years, strict=True
    ):
        rows.append(
            {
                "label": f"Year {span.year}",
                "span": span,
                "order": to_pennies(order_year.total),
                "baseline": to_pennies(base_year.total),
                "change": to_pennies(change_year.total),
                "order_payers": payer_totals(order_year.one_off, order_year.recurring),
                "baseline_payers": payer_totals(base_year.one_off, base_year.recurring),
                "change_payers": payer_totals(change_year.one_off, change_year.recurring),
            }
        )
    rows.append(
        {
            "label": "Whole term",
            "span": None,
            "order": to_pennies(estimate.totals.total),
            "baseline": to_pennies(estimate.baseline.total),
            "change": to_pennies(change.total),
            "order_payers": payer_totals(estimate.totals.one_off, estimate.totals.recurring),
            "baseline_payers": payer_totals(estimate.baseline.one_off, estimate.baseline.recurring),
            "change_payers": payer_totals(change.one_off, change.recurring),
        }
    )
    return rows


def _payer_names(rows: Iterable[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        for key in ("order_payers", "baseline_payers"):
            for name, _ in row[key]:
                if name not in names:
                    names.append(name)
    return names


def _estimate(person: Principal, call_off_id: str) -> tuple[CallOffOrder, orders.Estimate]:
    session = get_session()
    order = read_order(person, call_off_id, session)
    return order, orders.estimate_order(session, order)


@blueprint.get("/orders/<string:call_off_id>/business-case")
def order_business_case(call_off_id: str) -> Page:
    person = signed_in(*PEOPLE)
    session = get_session()
    order = read_order(person, call_off_id, session)
    try:
        estimate = orders.estimate_order(session, order)
    except Conflict as refusal:
        return render(
            "order_business_case.html",
            title=f"Business case for {order.call_off_id}",
            breadcrumbs=order_breadcrumbs(order),
            order=order,
            estimate=None,
            refusal=refusal.message,
            may_edit=person.role is Role.COMMISSIONER and order.status is OrderStatus.DRAFT,
            status=409,
        )
    rows = _year_rows(estimate)
    yearly = rows[:-1]
    chart = cost_chart(
        ["Baseline: keep current systems", "This order"],
        [[row["baseline"] for row in yearly], [row["order"] for row in yearly]],
    )
    return render(
        "order_business_case.html",
        title=f"Business case for {order.call_off_id}",
        breadcrumbs=order_breadcrumbs(order),
        api_url=f"/api/v1/orders/{order.call_off_id}/cost-estimate",
        order=order,
        estimate=estimate,
        rows=rows,
        payer_names=_payer_names(rows),
        chart=chart,
        recipients=[
            {
                "recipient": recipient,
                "order": to_pennies(recipient.summary.total),
                "baseline": to_pennies(recipient.baseline.total),
                "change": to_pennies(recipient.summary.total - recipient.baseline.total),
            }
            for recipient in estimate.recipients
        ],
        refusal=None,
        may_edit=False,
    )


def _downloaded(call_off_id: str, kind: str) -> ResponseReturnValue:
    person = signed_in(*PEOPLE)
    try:
        order, estimate = _estimate(person, call_off_id)
    except Conflict:
        flash("The business case needs the commencement date and the term first.", "warning")
        return see_other(order_url(call_off_id.upper(), "/business-case"))
    if kind == "csv":
        return download(estimate_csv(estimate), CSV, f"{order.call_off_id}.csv")
    return download(estimate_xlsx(order, estimate), XLSX, f"{order.call_off_id}.xlsx")


@blueprint.get("/orders/<string:call_off_id>/business-case.csv")
def order_business_case_csv(call_off_id: str) -> ResponseReturnValue:
    return _downloaded(call_off_id, "csv")


@blueprint.get("/orders/<string:call_off_id>/business-case.xlsx")
def order_business_case_xlsx(call_off_id: str) -> ResponseReturnValue:
    return _downloaded(call_off_id, "xlsx")


__all__ = [
    "PEOPLE",
    "changing_system",
    "order_breadcrumbs",
    "order_page",
    "order_url",
    "payer_totals",
    "payers",
    "read_order",
    "task_list",
]
