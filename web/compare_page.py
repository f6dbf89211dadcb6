"""Compare: up to 8 published items side by side (kept in the session, or named in the URL so a
comparison can be shared), with a practice's whole-life cost over a term, split central and
local, a chart of cost per year, and CSV and XLSX downloads. The comparison itself is
catalogue.selections.compare, as for GET /api/v1/compare."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, request, session
from flask.typing import ResponseReturnValue

from catalogue.errors import NotFound
from catalogue.listings import get_item
from catalogue.models import ItemKind
from catalogue.principal import Role
from catalogue.reference import get_organisation
from catalogue.selections import MAX_COMPARED, Comparison, compare_items
from catalogue.selections.compare import AUDIT_TRAIL_SERVICES, MIGRATION_SERVICES
from service.database import get_session
from service.downloads import download

from . import compare_export, presenting
from .chart import cost_chart, cost_per_year
from .pages import (
    COMPARE_SESSION_KEY,
    Page,
    Problems,
    blueprint,
    compared_ids,
    local_path,
    render,
)
from .signing_in import current_principal

MAX_ON_PAGE = min(8, MAX_COMPARED)
DEFAULT_TERM = 36
MAX_TERM = 120
ALL_KINDS = frozenset(ItemKind)


def _ids_from(raw: str) -> list[int] | None:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    # isdecimal, not isdigit: "²" is a digit that int() refuses (hypothesis found it).
    if not all(part.isdecimal() and 0 < int(part) < 2**31 for part in ids):
        return None
    return list(dict.fromkeys(int(part) for part in ids))


def _request_choice() -> tuple[list[int], Problems]:
    """The items to compare (from ?ids= or else the session), and problems to tell."""
    problems: Problems = []
    if "ids" in request.args:
        ids = _ids_from(request.args.get("ids", ""))
        if ids is None:
            problems.append((None, "The items in the web address were not understood."))
            ids = []
    else:
        ids = compared_ids()
    if len(ids) > MAX_ON_PAGE:
        problems.append(
            (None, f"You can compare up to {MAX_ON_PAGE} items; the first {MAX_ON_PAGE} are shown.")
        )
        ids = ids[:MAX_ON_PAGE]
    return ids, problems


def _published(ids: list[int]) -> list[int]:
    """The ids still published (an item may have been withdrawn since it was picked)."""
    kept = []
    for item_id in ids:
        try:
            get_item(get_session(), item_id, ALL_KINDS)
        except NotFound:
            continue
        kept.append(item_id)
    return kept


def _practice_and_term(problems: Problems) -> tuple[str | None, int, str]:
    principal = current_principal()
    practice = (request.args.get("practice") or "").strip().upper() or None
    if (
        practice is None
        and principal is not None
        and principal.role is Role.PRACTICE
        and principal.organisation_id is not None
    ):
        # A practice's own people see its costs without typing its code.
        practice = get_organisation(get_session(), principal.organisation_id).ods_code
    raw_term = (request.args.get("term_months") or "").strip()
    term = DEFAULT_TERM
    if raw_term:
        if raw_term.isdigit() and 1 <= int(raw_term) <= MAX_TERM:
            term = int(raw_term)
        else:
            problems.append(("#term_months", f"Enter a term between 1 and {MAX_TERM} months."))
    if practice is not None and (len(practice) > 16 or not practice.isalnum()):
        problems.append(("#practice", "Enter the practice's ODS code, like A81001."))
        practice = None
    return practice, term, raw_term


def _comparison(
    ids: list[int], practice: str | None, term: int, problems: Problems
) -> Comparison | None:
    session = get_session()
    try:
        return compare_items(session, ids, practice_ods=practice, term_months=term)
    except NotFound:
        pass
    kept = _published(ids)
    if len(kept) < len(ids):
        problems.append((None, "Some items are no longer published and were left out."))
    if not kept:
        return None
    try:
        return compare_items(session, kept, practice_ods=practice, term_months=term)
    except NotFound:
        problems.append(("#practice", f"No practice has the ODS code {practice}."))
        return compare_items(session, kept, practice_ods=None, term_months=term)


@blueprint.get("/compare")
def compare() -> Page:
    ids, problems = _request_choice()
    practice, term, raw_term = _practice_and_term(problems)
    comparison = _comparison(ids, practice, term, problems) if ids else None
    chart = None
    yearly = []
    if comparison is not None and comparison.practice is not None:
        names = [item.name for item in comparison.items]
        yearly = [cost_per_year(row["whole_life_cost"], term) for row in comparison.rows]
        chart = cost_chart(names, yearly)
    shown_ids = [item.id for item in comparison.items] if comparison else []
    query = {"ids": ",".join(map(str, shown_ids)), "term_months": term}
    if comparison is not None and comparison.practice is not None:
        query["practice"] = comparison.practice.ods_code
    query_string = urlencode(query)
    return render(
        "compare.html",
        title="Compare systems and services",
        breadcrumbs=[("Home", "/"), ("Search", "/search")],
        api_url=f"/api/v1/compare?{query_string}" if shown_ids else None,
        error_count=len(problems),
        errors=problems,
        comparison=comparison,
        in_session=set(compared_ids()),
        practice_value=request.args.get("practice", practice or ""),
        term_value=raw_term or str(term),
        term=term,
        chart=chart,
        yearly=yearly,
        years=len(yearly[0]) if yearly else 0,
        query_string=query_string,
        max_items=MAX_ON_PAGE,
        migration_categories=MIGRATION_SERVICES,
        audit_categories=AUDIT_TRAIL_SERVICES,
        hosting_short=presenting.HOSTING_SHORT,
        here=request.full_path.rstrip("?"),
    )


def _download(kind: str) -> ResponseReturnValue:
    ids, problems = _request_choice()
    practice, term, _ = _practice_and_term(problems)
    comparison = _comparison(ids, practice, term, problems) if ids else None
    if comparison is None:
        flash("Choose items to compare before downloading.", "warning")
        return redirect("/compare")
    if kind == "csv":
        return download(compare_export.to_csv(comparison), "text/csv", "comparison.csv")
    return download(
        compare_export.to_xlsx(comparison),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "comparison.xlsx",
    )


@blueprint.get("/compare.csv")
def compare_csv() -> ResponseReturnValue:
    return _download("csv")


@blueprint.get("/compare.xlsx")
def compare_xlsx() -> ResponseReturnValue:
    return _download("xlsx")


def _form_item_id() -> int | None:
    raw = request.form.get("item_id", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


@blueprint.post("/compare/add")
def compare_add() -> ResponseReturnValue:
    back = local_path(request.form.get("next"), "/compare")
    item_id = _form_item_id()
    if item_id is None:
        flash("That item could not be added.", "warning")
        return redirect(back, 303)
    item = get_item(get_session(), item_id, ALL_KINDS)  # published only; 404 page otherwise
    ids = compared_ids()
    if item.id in ids:
        flash(f"{item.name} is already in your comparison.", "info")
    elif len(ids) >= MAX_ON_PAGE:
        flash(
            f"You can compare up to {MAX_ON_PAGE} items. Remove one to add {item.name}.", "warning"
        )
    else:
        session[COMPARE_SESSION_KEY] = [*ids, item.id]
        flash(
            f"{item.name} was added to your comparison ({len(ids) + 1} of {MAX_ON_PAGE}).",
            "success",
        )
    return redirect(back, 303)


@blueprint.post("/compare/remove")
def compare_remove() -> ResponseReturnValue:
    back = local_path(request.form.get("next"), "/compare")
    item_id = _form_item_id()
    ids = compared_ids()
    if item_id in ids:
        session[COMPARE_SESSION_KEY] = [i for i in ids if i != item_id]
        flash("The item was removed from your comparison.", "success")
    return redirect(back, 303)


@blueprint.post("/compare/clear")
def compare_clear() -> ResponseReturnValue:
    session.pop(COMPARE_SESSION_KEY, None)
    flash("Your comparison was cleared.", "success")
    return redirect("/compare", 303)
