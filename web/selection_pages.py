"""Selections in the browser, setting one up: the list, starting a selection for a practice,
its settings and weights, candidates and requirements (MoSCoW). The evaluators and closing
scoring are in selection_evaluator_pages; scoring, moderation, the result and sign-off in
selection_scoring_pages.

Every write calls the catalogue function the API calls, with the signed-in person's principal,
so the rules and the audit trail are the API's; the form carries the selection's version
(If-Match) so that a stale page is a conflict that keeps the person's entries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, request, session
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import selections
from catalogue.errors import NotFound
from catalogue.listings.queries import get_item
from catalogue.models import (
    CriterionGroup,
    CriterionKind,
    ItemKind,
    Moderation,
    Organisation,
    OrganisationKind,
    Requirement,
    Scoring,
    Selection,
)
from catalogue.principal import Principal, Role
from catalogue.reference.capabilities import list_capabilities
from catalogue.reference.frameworks import list_frameworks
from catalogue.reference.maturity_levels import list_maturity_levels
from catalogue.reference.organisations import list_organisations
from search.query import SearchQuery
from service.database import get_session
from service.search import state as search_state

from .forms import Attempt, check_version, retarget, see_other, signed_in
from .pages import COMPARE_SESSION_KEY, Page, Problems, blueprint, render

PEOPLE = (Role.COMMISSIONER, Role.PRACTICE)
LIST_PAGE_SIZE = 50
GROUP_NAMES = {
    CriterionGroup.FEATURES: "Features",
    CriterionGroup.IMPLEMENTATION: "Implementation",
    CriterionGroup.INTEROPERABILITY: "Interoperability",
    CriterionGroup.SERVICE_LEVELS: "Service levels",
}
KIND_NAMES = {
    CriterionKind.MUST: ("Must have", "A candidate that fails it is eliminated, with the reason."),
    CriterionKind.SHOULD: ("Should have", "Weighted within its group and scored 1 to 5."),
    CriterionKind.COULD: ("Could have", "Weighted within its group and scored 1 to 5."),
}
SCORING_NAMES = {
    Scoring.MANUAL: "Scored by the evaluators",
    Scoring.CAPABILITY_COVERAGE: "Automatic: the share of the named capabilities held",
    Scoring.INTEROPERABILITY: "Automatic: the share of the accredited interoperability ones",
}
REQUIREMENT_NAMES = {
    Requirement.CAPABILITY: "Holds the named capabilities",
    Requirement.MIN_MATURITY_LEVEL: "Is at a maturity level or above",
    Requirement.MAX_WHOLE_LIFE_COST: "Costs at most an amount over the term",
}
MODERATION_NAMES = {
    Moderation.COMMISSIONER: ("The commissioner", "The commissioner agrees the scores."),
    Moderation.JOINT: (
        "The commissioner and the practice together",
        "Either may enter the agreed scores.",
    ),
}


# ---------------------------------------------------------------------------- shared helpers


def selection_for(person: Principal, selection_id: int) -> Selection:
    """The selection as the person may see it (404 otherwise), for reading a page."""
    return selections.get_selection(get_session(), person, selection_id)


def changing(
    person: Principal, selection_id: int, change: Callable[[Session, Selection], Any]
) -> Callable[[Session], Any]:
    """A write to a selection for Attempt.run: row-locked, refused when the page was drawn
    from another version of it, then the catalogue's own change."""

    def write(db: Session) -> Any:
        chosen = selections.get_selection(db, person, selection_id, for_update=True)
        check_version(chosen)
        return change(db, chosen)

    return write


def selection_crumbs(chosen: Selection | None = None) -> list[tuple[str, str]]:
    crumbs = [("Home", "/"), ("Selections", "/selections")]
    if chosen is not None:
        crumbs.append((chosen.name, f"/selections/{chosen.id}"))
    return crumbs


def may_change(person: Principal, chosen: Selection) -> bool:
    """Whether the page offers the commissioner's set-up forms (the catalogue decides)."""
    return person.role is Role.COMMISSIONER and not chosen.is_locked and not chosen.signed


def whole_number(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 7 else None


def state_of(chosen: Selection) -> str:
    if chosen.is_locked:
        return "Locked"
    if chosen.signed:
        return "Being signed off"
    if chosen.scoring_closed:
        return "Moderating"
    if chosen.evaluators:
        return "Evaluators scoring"
    return "Draft"


# ---------------------------------------------------------------------------------- the list


@blueprint.get("/selections")
def selection_list() -> Page:
    person = signed_in(*PEOPLE)
    found, total = selections.list_selections(get_session(), person, 1, LIST_PAGE_SIZE)
    return render(
        "selection_list.html",
        title="Selections",
        breadcrumbs=[("Home", "/")],
        api_url="/api/v1/selections",
        selections=found,
        total=total,
        state_of=state_of,
        may_start=person.role is Role.COMMISSIONER,
    )


def _own_practices(person: Principal) -> list[Organisation]:
    practices, _ = list_organisations(
        get_session(),
        1,
        1000,
        kind=OrganisationKind.PRACTICE,
        commissioner_id=person.organisation_id,
    )
    return practices


def _new_page(person: Principal, entries: Mapping[str, str], problems: Problems) -> Page:
    frameworks = list_frameworks(get_session())
    return render(
        "selection_new.html",
        title="Start a selection",
        breadcrumbs=selection_crumbs(),
        practices=_own_practices(person),
        frameworks=frameworks,
        entries=entries,
        errors=problems,
        error_count=len(problems),
        moderation_names=MODERATION_NAMES,
        status=422 if problems else 200,
    )


@blueprint.get("/selections/new")
def selection_new() -> Page:
    person = signed_in(Role.COMMISSIONER)
    return _new_page(person, {"practice": request.args.get("practice", "")}, [])


@blueprint.post("/selections/new")
def selection_create() -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    entries = {
        name: request.form.get(name, "").strip()
        for name in ("name", "practice", "framework", "term_months", "moderation")
    }
    form = Attempt()
    if not entries["name"]:
        form.add("#name", "Give the selection a name, such as the need it meets.")
    elif len(entries["name"]) > 200:
        form.add("#name", "Use at most 200 characters for the name.")
    if not entries["practice"]:
        form.add("#practice", "Choose the practice the selection is for.")
    if not entries["framework"]:
        form.add("#framework", "Choose the framework to select from.")
    term = whole_number(entries["term_months"]) if entries["term_months"] else None
    if entries["term_months"] and term is None:
        form.add("#term-months", "Give the term as a whole number of months, such as 36.")
    moderation = entries["moderation"] or Moderation.COMMISSIONER.value
    if moderation not in {m.value for m in Moderation}:
        form.add("#moderation", "Choose who agrees the scores.")
        moderation = Moderation.COMMISSIONER.value
    chosen = form.run(
        lambda db: selections.create_selection(
            db,
            person,
            name=entries["name"],
            practice=entries["practice"],
            framework=entries["framework"],
            term_months=term,
            moderation=Moderation(moderation),
        )
    )
    if form.problems or chosen is None:
        return _new_page(person, entries, form.problems)
    flash(f"Selection {chosen.name} started. Set the weights, then add candidates.", "success")
    return see_other(f"/selections/{chosen.id}")


# ------------------------------------------------------------------------------ the overview


@blueprint.get("/selections/<int:selection_id>")
def selection_overview(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    chosen = selection_for(person, selection_id)
    sheet = selections.sheet_of(person, chosen)
    return render(
        "selection_overview.html",
        title=chosen.name,
        breadcrumbs=selection_crumbs(),
        api_url=f"/api/v1/selections/{chosen.id}",
        chosen=chosen,
        state=state_of(chosen),
        sheet=sheet,
        may_change=may_change(person, chosen),
        person=person,
        group_names=GROUP_NAMES,
        moderation_names=MODERATION_NAMES,
        musts=[c for c in chosen.criteria if c.kind is CriterionKind.MUST],
        scored=[c for c in chosen.criteria if c.kind.is_scored],
    )


# ---------------------------------------------------------------------------------- settings


def _settings_entries(chosen: Selection) -> dict[str, str]:
    entries = {
        "name": chosen.name,
        "term_months": str(chosen.term_months),
        "moderation": chosen.moderation.value,
        "price_weight": str(chosen.price_weight),
    }
    for group, weight in chosen.group_weights.items():
        entries[f"weight-{group.value}"] = str(weight)
    return entries


def allocation(entries: Mapping[str, str]) -> dict[str, Any]:
    """What the weights come to as entered: the groups' total and what is left to allocate, and
    each group's share of the whole score (computed here; the page's script only repeats it)."""
    price = whole_number(entries.get("price_weight")) or 0
    groups = {group: whole_number(entries.get(f"weight-{group.value}")) for group in CriterionGroup}
    allocated = sum(weight or 0 for weight in groups.values())
    return {
        "price": price,
        "non_price": 100 - price,
        "allocated": allocated,
        "left": 100 - allocated,
        "shares": {
            group: Decimal((weight or 0) * (100 - price)) / 100 for group, weight in groups.items()
        },
    }


def _settings_page(chosen: Selection, entries: Mapping[str, str], problems: Problems) -> Page:
    low, high = selections.PRICE_WEIGHT_RANGE
    return render(
        "selection_settings.html",
        title="Settings and weights",
        breadcrumbs=selection_crumbs(chosen),
        chosen=chosen,
        entries=entries,
        errors=problems,
        error_count=len(problems),
        price_weights=list(range(low, high + 1, selections.WEIGHT_STEP)),
        step=selections.WEIGHT_STEP,
        group_names=GROUP_NAMES,
        moderation_names=MODERATION_NAMES,
        allocation=allocation(entries),
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/settings")
def selection_settings(selection_id: int) -> Page:
    person = signed_in(Role.COMMISSIONER)
    chosen = selection_for(person, selection_id)
    return _settings_page(chosen, _settings_entries(chosen), [])


@blueprint.post("/selections/<int:selection_id>/settings")
def selection_settings_save(selection_id: int) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    names = ["name", "term_months", "moderation", "price_weight"]
    names += [f"weight-{group.value}" for group in CriterionGroup]
    entries = {name: request.form.get(name, "").strip() for name in names}
    form = Attempt()
    if not entries["name"] or len(entries["name"]) > 200:
        form.add("#name", "Give the selection a name of at most 200 characters.")
    term = whole_number(entries["term_months"])
    if term is None:
        form.add("#term-months", "Give the term as a whole number of months, such as 36.")
    price = whole_number(entries["price_weight"])
    if price is None:
        form.add("#price-weight", "Choose the price weight.")
    weights: dict[CriterionGroup, int] = {}
    for group in CriterionGroup:
        weight = whole_number(entries[f"weight-{group.value}"])
        if weight is None:
            form.add(
                f"#weight-{group.value}",
                f"Give the {GROUP_NAMES[group].lower()} weight as a whole number, 0 to 100.",
            )
        else:
            weights[group] = weight
    if entries["moderation"] not in {m.value for m in Moderation}:
        form.add("#moderation", "Choose who agrees the scores.")
    changes = {
        "name": entries["name"],
        "term_months": term,
        "moderation": Moderation(entries["moderation"]) if not form.problems else None,
        "price_weight": price,
        "non_price_weights": weights,
    }
    form.run(
        changing(
            person,
            selection_id,
            lambda db, chosen: selections.update_selection(db, person, chosen, changes),
        )
    )
    if form.problems:
        chosen = selection_for(person, selection_id)
        # The catalogue's fields, as forms.field_anchor names them, to this page's controls.
        anchors = {"#non-price-weights": f"#weight-{CriterionGroup.FEATURES.value}"}
        return _settings_page(chosen, entries, retarget(form.problems, anchors))
    flash("The settings and weights are saved.", "success")
    return see_other(f"/selections/{selection_id}")


# -------------------------------------------------------------------------------- candidates


def _search_hits(chosen: Selection, text: str) -> list[dict[str, Any]]:
    """Published items of the selection's framework matching the words, as /search finds them
    (narrowed to the lot and kind of the candidates so far)."""
    first = chosen.candidates[0].item if chosen.candidates else None
    query = SearchQuery(
        text=text,
        framework=chosen.framework.slug,
        lot=first.lot.number if first else None,
        kind=first.kind.value if first else None,
        page_size=20,
    )
    return [hit.document for hit in search_state().engine.search(query).hits]


def _candidates_page(
    person: Principal, chosen: Selection, problems: Problems, entries: Mapping[str, str]
) -> Page:
    text = request.args.get("q", "").strip()[:200]
    present = {c.item_id for c in chosen.candidates}
    compared = [i for i in session.get(COMPARE_SESSION_KEY) or [] if isinstance(i, int)]
    return render(
        "selection_candidates.html",
        title="Candidates",
        breadcrumbs=selection_crumbs(chosen),
        chosen=chosen,
        may_change=may_change(person, chosen),
        text=text,
        hits=_search_hits(chosen, text) if text else None,
        present=present,
        compared=[i for i in compared if i not in present],
        maximum=selections.MAX_CANDIDATES,
        errors=problems,
        error_count=len(problems),
        entries=entries,
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/candidates")
def selection_candidates(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    return _candidates_page(person, selection_for(person, selection_id), [], {})


def _candidate_write(
    selection_id: int,
    change: Callable[[Session, Principal, Selection], Any],
    done: str,
    entries: Mapping[str, str] | None = None,
    anchors: Mapping[str, str] | None = None,
    problems: Problems | None = None,
) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    form = Attempt(problems)
    form.run(changing(person, selection_id, lambda db, chosen: change(db, person, chosen)))
    if form.problems:
        chosen = selection_for(person, selection_id)
        fixed = retarget(form.problems, {"#item-ids": "#q", **(anchors or {})})
        return _candidates_page(person, chosen, fixed, entries or {})
    flash(done, "success")
    return see_other(f"/selections/{selection_id}/candidates")


def _ids_to_add() -> list[int]:
    """The items a commissioner compared: those named in the address, else the compare list."""
    raw = request.args.get("ids", "")
    named = [whole_number(part) for part in raw.split(",")] if raw else []
    if named:
        return [i for i in named if i is not None][: selections.MAX_CANDIDATES]
    return [i for i in session.get(COMPARE_SESSION_KEY) or [] if isinstance(i, int)]


@blueprint.get("/selections/add-compared")
def selection_add_compared() -> Page:
    """From the compare page: choose the selection to add the compared items to."""
    person = signed_in(Role.COMMISSIONER)
    found, _ = selections.list_selections(get_session(), person, 1, LIST_PAGE_SIZE)
    ids = _ids_to_add()
    items = {}
    for item_id in ids:
        try:  # published items only: a withdrawn one is left out, as on the compare page
            items[item_id] = get_item(get_session(), item_id, frozenset(ItemKind))
        except NotFound:
            continue
    return render(
        "selection_add_compared.html",
        title="Add the compared items to a selection",
        breadcrumbs=[("Home", "/"), ("Compare", "/compare")],
        items=list(items.values()),
        open_selections=[s for s in found if may_change(person, s)],
    )


def _posted_ids() -> list[int]:
    ids = [whole_number(raw) for raw in request.form.getlist("item_id")]
    return [i for i in ids if i is not None]


@blueprint.post("/selections/<int:selection_id>/candidates")
def selection_candidates_add(selection_id: int) -> ResponseReturnValue:
    ids = _posted_ids()
    problems: Problems = [] if ids else [("#q", "Choose an item to add.")]
    added = "candidate" if len(ids) == 1 else f"{len(ids)} candidates"
    return _candidate_write(
        selection_id,
        lambda db, person, chosen: selections.add_candidates(db, person, chosen, ids),
        f"Added {added} to the selection.",
        problems=problems,
    )


@blueprint.post("/selections/<int:selection_id>/candidates/<int:item_id>/remove")
def selection_candidate_remove(selection_id: int, item_id: int) -> ResponseReturnValue:
    return _candidate_write(
        selection_id,
        lambda db, person, chosen: selections.remove_candidate(db, person, chosen, item_id),
        "The candidate is taken off the shortlist, with its scores.",
    )


@blueprint.post("/selections/<int:selection_id>/candidates/<int:item_id>/exclude")
def selection_candidate_exclude(selection_id: int, item_id: int) -> ResponseReturnValue:
    reason = request.form.get("reason", "").strip()
    field = f"reason-{item_id}"
    return _candidate_write(
        selection_id,
        lambda db, person, chosen: selections.exclude_candidate(
            db, person, chosen, item_id, reason
        ),
        "The candidate is excluded; the result lists it with your reason.",
        entries={field: reason},
        anchors={"#reason": f"#{field}"},
        problems=[] if reason else [(f"#{field}", "Say why the candidate is excluded.")],
    )


@blueprint.post("/selections/<int:selection_id>/candidates/<int:item_id>/reinstate")
def selection_candidate_reinstate(selection_id: int, item_id: int) -> ResponseReturnValue:
    return _candidate_write(
        selection_id,
        lambda db, person, chosen: selections.reinstate_candidate(db, person, chosen, item_id),
        "The candidate is back in the competition.",
    )


# ------------------------------------------------------------------------------ requirements

CRITERION_FIELDS = (
    "kind",
    "name",
    "description",
    "group",
    "weight",
    "scoring",
    "requirement",
    "min_maturity_level",
    "max_whole_life_cost",
)


def _requirements_page(
    person: Principal, chosen: Selection, entries: Mapping[str, Any], problems: Problems
) -> Page:
    db = get_session()
    return render(
        "selection_requirements.html",
        title="Requirements",
        breadcrumbs=selection_crumbs(chosen),
        chosen=chosen,
        may_change=may_change(person, chosen),
        entries=entries,
        errors=problems,
        error_count=len(problems),
        kind_names=KIND_NAMES,
        group_names=GROUP_NAMES,
        scoring_names=SCORING_NAMES,
        requirement_names=REQUIREMENT_NAMES,
        capabilities=list_capabilities(db),
        levels=list_maturity_levels(db),
        criterion_kinds=CriterionKind,
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/requirements")
def selection_requirements(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    return _requirements_page(person, selection_for(person, selection_id), {}, [])


def _criterion_input(entries: Mapping[str, Any], form: Attempt) -> selections.CriterionInput | None:
    """The form as the catalogue's input, or None when it cannot be read (with problems)."""
    kind = next((k for k in CriterionKind if k.value == entries["kind"]), None)
    if kind is None:
        form.add("#kind", "Choose must, should or could.")
    if not entries["name"] or len(entries["name"]) > 200:
        form.add("#criterion-name", "Name the requirement (at most 200 characters).")
    if kind is None or form.problems:
        return None
    scored = kind.is_scored
    weight = whole_number(entries["weight"]) if scored and entries["weight"] else None
    if scored and weight is None:
        form.add("#weight", "Give the weight within its group as a whole number, 1 to 100.")
    cost = None
    requirement = (
        None
        if scored
        else next((r for r in Requirement if r.value == entries["requirement"]), None)
    )
    if requirement is Requirement.MAX_WHOLE_LIFE_COST:
        try:
            cost = Decimal(entries["max_whole_life_cost"].replace(",", "").lstrip("£"))
        except InvalidOperation:
            form.add("#max-whole-life-cost", "Give the maximum cost in pounds, such as 25000.")
    level = None
    if requirement is Requirement.MIN_MATURITY_LEVEL:
        level = whole_number(entries["min_maturity_level"])
    if form.problems:
        return None
    return selections.CriterionInput(
        kind=kind,
        name=entries["name"],
        description=entries["description"],
        group=next((g for g in CriterionGroup if g.value == entries["group"]), None)
        if scored
        else None,
        weight=weight,
        scoring=next((s for s in Scoring if s.value == entries["scoring"]), None)
        if scored
        else None,
        capabilities=tuple(
            entries["capabilities"] if scored or requirement is Requirement.CAPABILITY else ()
        ),
        requirement=requirement,
        min_maturity_level=level,
        max_whole_life_cost=cost,
    )


CRITERION_ANCHORS = {"#name": "#criterion-name"}


@blueprint.post("/selections/<int:selection_id>/requirements")
def selection_requirement_add(selection_id: int) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    entries: dict[str, Any] = {
        name: request.form.get(name, "").strip() for name in CRITERION_FIELDS
    }
    entries["capabilities"] = request.form.getlist("capabilities")
    form = Attempt()
    data = _criterion_input(entries, form)
    if data is not None:  # else the form's own problems are shown and nothing is tried
        form.run(
            changing(
                person,
                selection_id,
                lambda db, chosen: selections.add_criterion(db, person, chosen, data),
            )
        )
    if form.problems:
        chosen = selection_for(person, selection_id)
        problems = retarget(form.problems, CRITERION_ANCHORS)
        return _requirements_page(person, chosen, entries, problems)
    flash(f"Requirement {entries['name']} added.", "success")
    return see_other(f"/selections/{selection_id}/requirements")


@blueprint.post("/selections/<int:selection_id>/requirements/<int:criterion_id>/remove")
def selection_requirement_remove(selection_id: int, criterion_id: int) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    form = Attempt()
    form.run(
        changing(
            person,
            selection_id,
            lambda db, chosen: selections.remove_criterion(db, person, chosen, criterion_id),
        )
    )
    if form.problems:
        return _requirements_page(person, selection_for(person, selection_id), {}, form.problems)
    flash("The requirement is removed, with its scores.", "success")
    return see_other(f"/selections/{selection_id}/requirements")
