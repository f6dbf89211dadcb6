"""The evaluators of a selection in the browser: inviting and taking them off, and closing
scoring, which is the selection owner's (the commissioner's, never one of its evaluators'),
and needs the owner's reason while an evaluator's sheet is empty."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import selections
from catalogue.models import Selection
from catalogue.principal import Principal, Role
from service.database import get_session

from .forms import Attempt, retarget, see_other, signed_in
from .pages import Page, Problems, blueprint, render
from .selection_pages import (
    PEOPLE,
    changing,
    may_change,
    selection_crumbs,
    selection_for,
    whole_number,
)


def _evaluators_page(
    person: Principal, chosen: Selection, entries: Mapping[str, str], problems: Problems
) -> Page:
    return render(
        "selection_evaluators.html",
        title="Evaluators",
        breadcrumbs=selection_crumbs(chosen),
        chosen=chosen,
        may_change=may_change(person, chosen) and not chosen.scoring_closed,
        # Closing scoring is the owner's, never one of the evaluators'.
        may_close=may_change(person, chosen)
        and not chosen.scoring_closed
        and selections.sheet_of(person, chosen) is None,
        empty_sheets=selections.empty_sheets(chosen),
        people=selections.people_to_name(get_session(), chosen),
        entries=entries,
        errors=problems,
        error_count=len(problems),
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/evaluators")
def selection_evaluators(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    return _evaluators_page(person, selection_for(person, selection_id), {}, [])


def _evaluator_write(
    selection_id: int,
    change: Callable[[Session, Principal, Selection], Any],
    done: str,
    entries: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    then: str | None = None,
) -> ResponseReturnValue:
    person = signed_in(Role.COMMISSIONER)
    form = Attempt(problems)
    form.run(changing(person, selection_id, lambda db, chosen: change(db, person, chosen)))
    if form.problems:
        chosen = selection_for(person, selection_id)
        problems = retarget(form.problems, {"#reason": "#close-reason"})
        return _evaluators_page(person, chosen, entries or {}, problems)
    flash(done, "success")
    return see_other(then or f"/selections/{selection_id}/evaluators")


@blueprint.post("/selections/<int:selection_id>/evaluators")
def selection_evaluator_invite(selection_id: int) -> ResponseReturnValue:
    user_id = whole_number(request.form.get("user_id"))
    return _evaluator_write(
        selection_id,
        lambda db, person, chosen: selections.name_evaluator(db, person, chosen, user_id=user_id),
        "The evaluator is invited: they see the selection under Selections when they sign in.",
        entries={"user_id": request.form.get("user_id", "")},
        problems=[] if user_id else [("#user-id", "Choose the person to invite.")],
    )


@blueprint.post("/selections/<int:selection_id>/evaluators/<int:evaluator_id>/remove")
def selection_evaluator_remove(selection_id: int, evaluator_id: int) -> ResponseReturnValue:
    return _evaluator_write(
        selection_id,
        lambda db, person, chosen: selections.remove_evaluator(db, person, chosen, evaluator_id),
        "The evaluator is taken off, with their scores.",
    )


@blueprint.post("/selections/<int:selection_id>/close-scoring")
def selection_close_scoring(selection_id: int) -> ResponseReturnValue:
    reason = request.form.get("reason", "")
    return _evaluator_write(
        selection_id,
        lambda db, person, chosen: selections.close_scoring(db, person, chosen, reason),
        "Scoring is closed: every evaluator's scores are shown side by side to moderate.",
        entries={"reason": reason},
        then=f"/selections/{selection_id}/moderation",
    )
