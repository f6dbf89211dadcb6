"""Selections in the browser, scoring one: each evaluator's own score sheet, the moderation of
the evaluators' scores into agreed ones, the result (ranking, ties, exclusions, breakdown, a
chart of the weighted scores, the sensitivity in words), sign-off, and the report as PDF, CSV
and XLSX (the API's own documents)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from catalogue import selections
from catalogue.errors import DomainError
from catalogue.models import Selection, SelectionCriterion, SelectionEvaluator
from catalogue.principal import Principal
from catalogue.selections.export import to_csv, to_xlsx
from catalogue.selections.pdf import to_pdf
from service.database import get_session
from service.downloads import CSV, XLSX, download

from .forms import Attempt, check_version, see_other, signed_in
from .pages import Page, Problems, blueprint, render
from .selection_pages import (
    GROUP_NAMES,
    PEOPLE,
    changing,
    selection_crumbs,
    selection_for,
    state_of,
)

PDF = "application/pdf"
SCORE_OPTIONS = [
    (str(score), f"{score}: {meaning}", None)
    for score, meaning in sorted(selections.SCORE_MEANINGS.items())
]


@dataclass(frozen=True)
class Cell:
    """One candidate on one scored requirement, as a form shows it."""

    criterion: SelectionCriterion
    item_id: int
    item_name: str
    automatic: str | None  # the catalogue's own score, explained

    @property
    def key(self) -> str:
        return f"{self.criterion.id}-{self.item_id}"


def cells_of(chosen: Selection, report: Mapping[str, Any] | None = None) -> list[Cell]:
    """Every scored requirement of every candidate still standing, candidate by candidate."""
    automatic: dict[tuple[int, int], str] = {}
    for candidate in (report or {}).get("ranked", []):
        for line in candidate["breakdown"]:
            if line["automatic_explanation"]:
                automatic[(line["criterion_id"], candidate["item_id"])] = line[
                    "automatic_explanation"
                ]
    scored = [c for c in chosen.criteria if c.kind.is_scored]
    return [
        Cell(criterion, c.item_id, c.item.name, automatic.get((criterion.id, c.item_id)))
        for c in chosen.candidates
        if c.excluded_at is None
        for criterion in scored
    ]


def _report(db: Session, chosen: Selection) -> dict[str, Any]:
    cells = selections.evaluations_by_cell(db, chosen)
    return selections.result_report(chosen, selections.result_of(db, chosen), cells)


def read_entries(cells: Sequence[Cell]) -> dict[str, str]:
    entries = {}
    for cell in cells:
        entries[f"score-{cell.key}"] = request.form.get(f"score-{cell.key}", "").strip()
        entries[f"justification-{cell.key}"] = request.form.get(
            f"justification-{cell.key}", ""
        ).strip()
    return entries


def score_entries(
    cells: Sequence[Cell], entries: Mapping[str, str], form: Attempt
) -> list[selections.ScoreEntry]:
    """The filled-in cells as the catalogue's entries; a score without its justification (or
    the other way round) is a problem on that cell. Cells left blank are left out."""
    chosen_entries = []
    for cell in cells:
        score = entries[f"score-{cell.key}"]
        why = entries[f"justification-{cell.key}"]
        if not score and not why:
            continue
        where = f"{cell.criterion.name} for {cell.item_name}"
        if score not in {str(s) for s in selections.SCORE_MEANINGS}:
            form.add(f"#score-{cell.key}", f"Choose a score from 1 to 5 for {where}.")
        if not why:
            form.add(f"#justification-{cell.key}", f"Justify the score for {where}.")
        elif len(why) > 4000:
            form.add(f"#justification-{cell.key}", f"Shorten the justification for {where}.")
        if score.isdigit() and why:
            chosen_entries.append(
                selections.ScoreEntry(
                    item_id=cell.item_id,
                    criterion_id=cell.criterion.id,
                    score=int(score),
                    justification=why,
                )
            )
    if not chosen_entries and not form.problems:
        form.add(None, "Enter at least one score, with its justification.")
    return chosen_entries


def _entry_anchors(problems: Problems, entries: Sequence[selections.ScoreEntry]) -> Problems:
    """The catalogue names an entry by its place in the list: point at that cell's control."""
    fixed: Problems = []
    for href, text in problems:
        parts = (href or "").lstrip("#").split("-")
        if len(parts) >= 2 and parts[0] == "scores" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(entries):
                entry = entries[index]
                control = "justification" if parts[-1] == "justification" else "score"
                href = f"#{control}-{entry.criterion_id}-{entry.item_id}"
        fixed.append((href, text))
    return fixed


# ------------------------------------------------------------------------- the score sheet


def _sheet_entries(sheet: SelectionEvaluator) -> dict[str, str]:
    entries = {}
    for row in sheet.evaluations:
        entries[f"score-{row.criterion_id}-{row.item_id}"] = str(row.score)
        entries[f"justification-{row.criterion_id}-{row.item_id}"] = row.justification
    return entries


def _own_sheet(person: Principal, chosen: Selection) -> SelectionEvaluator:
    sheet = selections.sheet_of(person, chosen)
    if sheet is None:
        abort(403, "You are not one of this selection's evaluators.")
    return sheet


def _sheet_page(
    chosen: Selection, sheet: SelectionEvaluator, entries: Mapping[str, str], problems: Problems
) -> Page:
    report = _report(get_session(), chosen)
    return render(
        "selection_scoring.html",
        title="Your scores",
        breadcrumbs=selection_crumbs(chosen),
        chosen=chosen,
        sheet=sheet,
        cells=cells_of(chosen, report),
        entries=entries,
        errors=problems,
        error_count=len(problems),
        score_options=SCORE_OPTIONS,
        closed=chosen.scoring_closed,
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/scoring")
def selection_scoring(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    chosen = selection_for(person, selection_id)
    sheet = _own_sheet(person, chosen)
    return _sheet_page(chosen, sheet, _sheet_entries(sheet), [])


@blueprint.post("/selections/<int:selection_id>/scoring")
def selection_scoring_save(selection_id: int) -> ResponseReturnValue:
    person = signed_in(*PEOPLE)
    chosen = selection_for(person, selection_id)
    cells = cells_of(chosen)
    entries = read_entries(cells)
    form = Attempt()
    wanted = score_entries(cells, entries, form)

    def write(db: Session) -> Any:
        fresh = selections.get_selection(db, person, selection_id, for_update=True)
        sheet = _own_sheet(person, fresh)
        check_version(sheet)  # the sheet's own version: evaluators never block each other
        return selections.enter_evaluations(db, person, fresh, sheet, wanted)

    form.run(write)
    if form.problems:
        chosen = selection_for(person, selection_id)
        sheet = _own_sheet(person, chosen)
        return _sheet_page(chosen, sheet, entries, _entry_anchors(form.problems, wanted))
    flash(
        f"Your {len(wanted)} score(s) are saved as a draft: other evaluators do not see them, and "
        "you can change them until the commissioner closes scoring.",
        "success",
    )
    return see_other(f"/selections/{selection_id}/scoring")


# ---------------------------------------------------------------------------- moderation


def _moderation_entries(chosen: Selection) -> dict[str, str]:
    entries = {}
    for score in chosen.scores:
        entries[f"score-{score.criterion_id}-{score.item_id}"] = str(score.score)
        entries[f"justification-{score.criterion_id}-{score.item_id}"] = score.justification
    return entries


def _moderation_page(
    person: Principal, chosen: Selection, entries: Mapping[str, str], problems: Problems
) -> Page:
    db = get_session()
    report = _report(db, chosen)
    evaluations = selections.evaluations_by_cell(db, chosen)
    may_moderate = True
    try:
        selections.access.ensure_may_moderate(person, chosen)
    except DomainError:
        may_moderate = False
    return render(
        "selection_moderation.html",
        title="Agreed scores" if not chosen.evaluators else "Moderation",
        breadcrumbs=selection_crumbs(chosen),
        chosen=chosen,
        cells=cells_of(chosen, report),
        evaluations=evaluations,
        spread=selections.spread,
        threshold=selections.SPREAD_THRESHOLD,
        entries=entries,
        errors=problems,
        error_count=len(problems),
        score_options=SCORE_OPTIONS,
        may_moderate=may_moderate,
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/moderation")
def selection_moderation(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    chosen = selection_for(person, selection_id)
    return _moderation_page(person, chosen, _moderation_entries(chosen), [])


@blueprint.post("/selections/<int:selection_id>/moderation")
def selection_moderation_save(selection_id: int) -> ResponseReturnValue:
    person = signed_in(*PEOPLE)
    chosen = selection_for(person, selection_id)
    cells = cells_of(chosen)
    entries = read_entries(cells)
    form = Attempt()
    wanted = score_entries(cells, entries, form)
    form.run(
        changing(
            person,
            selection_id,
            lambda db, fresh: selections.enter_scores(db, person, fresh, wanted),
        )
    )
    if form.problems:
        chosen = selection_for(person, selection_id)
        problems = _entry_anchors(form.problems, wanted)
        return _moderation_page(person, chosen, entries, problems)
    flash(f"{len(wanted)} agreed score(s) saved.", "success")
    return see_other(f"/selections/{selection_id}/result")


# ----------------------------------------------------------------------------- the result

CHART_WIDTH = 760
CHART_LABEL = 230
CHART_ROOM = 90
CHART_BAR = 26
CHART_GAP = 10


def score_chart(ranked: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Each ranked candidate's weighted score out of 5 as a bar: its price points (solid) and
    non-price points (hatched) side by side, labelled in text so no colour is needed."""
    scored = [c for c in ranked if c["total_score"] is not None]
    if not scored:
        return None
    scale = (CHART_WIDTH - CHART_LABEL - CHART_ROOM) / 5
    bars = []
    for index, candidate in enumerate(scored):
        y = 10 + index * (CHART_BAR + CHART_GAP)
        price = float(candidate["price_points"]) * scale
        rest = float(candidate["non_price_points"]) * scale
        bars.append(
            {
                "label": candidate["name"][:30],
                "y": y,
                "text_y": y + CHART_BAR * 0.7,
                "price_width": price,
                "rest_x": CHART_LABEL + price,
                "rest_width": rest,
                "value_x": CHART_LABEL + price + rest + 6,
                "total": candidate["total_score"],
            }
        )
    description = "; ".join(
        f"{c['name']}: {c['total_score']} of 5 ({c['price_points']} for price, "
        f"{c['non_price_points']} for the requirements)"
        for c in scored
    )
    return {
        "width": CHART_WIDTH,
        "height": 20 + len(scored) * (CHART_BAR + CHART_GAP),
        "label_x": CHART_LABEL,
        "bars": bars,
        "description": description,
    }


def sensitivity_in_words(report: Mapping[str, Any]) -> str | None:
    """What the result's sensitivity to the price weight means, said plainly."""
    found = report.get("sensitivity")
    if not found:
        return None
    names = {c["item_id"]: c["name"] for c in report["ranked"]}
    leader = names.get(found["leader_item_id"], "the leader")
    if found["at_price_weight"] is None:
        low, high = selections.PRICE_WEIGHT_RANGE
        return (
            f"{leader} leads at every price weight from {low} % to {high} %: the result does not "
            "depend on the price weight."
        )
    others = " and ".join(names.get(i, str(i)) for i in found["new_leader_item_ids"])
    direction = "Raising" if found["at_price_weight"] > found["price_weight"] else "Lowering"
    if found["outcome"] == "tied":
        outcome = f"would tie {leader} with {others}"
    else:
        outcome = f"would make {others} the leader instead of {leader}"
    words = f"{direction} the price weight to {found['at_price_weight']} % {outcome}."
    even = found["break_even_price_weight"]
    if (
        even is not None
        and found["break_even_item_id"] in names
        and even != found["at_price_weight"]
    ):
        words += (
            f" {leader} and {names[found['break_even_item_id']]} draw level at a price weight "
            f"of {even} %."
        )
    return words


def _signed_side(person: Principal, chosen: Selection) -> str | None:
    """The side the person may sign for: the owner's or the practice lead's, never an
    evaluator's (evaluators score and nothing else)."""
    if selections.sheet_of(person, chosen) is not None:
        return None
    if person.is_commissioner(chosen.commissioner_id):
        return "commissioner"
    if person.is_practice(chosen.practice_id):
        return "practice"
    return None


def _result_page(person: Principal, chosen: Selection, problems: Problems) -> Page:
    report = _report(get_session(), chosen)
    side = _signed_side(person, chosen)
    return render(
        "selection_result.html",
        title="Result",
        breadcrumbs=selection_crumbs(chosen),
        api_url=f"/api/v1/selections/{chosen.id}/result",
        chosen=chosen,
        state=state_of(chosen),
        report=report,
        chart=score_chart(report["ranked"]),
        sensitivity=sensitivity_in_words(report),
        signatures=selections.signatures(chosen),
        side=side,
        signed_by_me=bool(side and getattr(chosen, f"{side}_signed_at")),
        group_names=GROUP_NAMES,
        errors=problems,
        error_count=len(problems),
        status=422 if problems else 200,
    )


@blueprint.get("/selections/<int:selection_id>/result")
def selection_result(selection_id: int) -> Page:
    person = signed_in(*PEOPLE)
    return _result_page(person, selection_for(person, selection_id), [])


def _result_write(selection_id: int, write: Any, done: str) -> ResponseReturnValue:
    person = signed_in(*PEOPLE)
    form = Attempt()
    form.run(changing(person, selection_id, lambda db, chosen: write(db, person, chosen)))
    if form.problems:
        return _result_page(person, selection_for(person, selection_id), form.problems)
    flash(done, "success")
    return see_other(f"/selections/{selection_id}/result")


@blueprint.post("/selections/<int:selection_id>/sign-off")
def selection_sign_off(selection_id: int) -> ResponseReturnValue:
    return _result_write(
        selection_id,
        lambda db, person, chosen: selections.sign_off(db, person, chosen),
        "You have signed the result off. When both the commissioner and the practice have "
        "signed, the selection locks.",
    )


@blueprint.post("/selections/<int:selection_id>/sign-off/withdraw")
def selection_sign_off_withdraw(selection_id: int) -> ResponseReturnValue:
    return _result_write(
        selection_id,
        lambda db, person, chosen: selections.withdraw_signature(db, person, chosen),
        "Your signature is withdrawn: the result may change again.",
    )


# ---------------------------------------------------------------------------- the documents


def _document(selection_id: int, kind: str) -> ResponseReturnValue:
    person = signed_in(*PEOPLE)
    db = get_session()
    chosen = selection_for(person, selection_id)
    report = _report(db, chosen)
    name = f"selection-{chosen.id}"
    if kind == "pdf":
        return download(to_pdf(chosen, report), PDF, f"{name}.pdf")
    if kind == "csv":
        return download(to_csv(chosen, report), CSV, f"{name}.csv")
    return download(to_xlsx(chosen, report), XLSX, f"{name}.xlsx")


@blueprint.get("/selections/<int:selection_id>/report.pdf")
def selection_report_pdf(selection_id: int) -> ResponseReturnValue:
    return _document(selection_id, "pdf")


@blueprint.get("/selections/<int:selection_id>/export.csv")
def selection_export_csv(selection_id: int) -> ResponseReturnValue:
    return _document(selection_id, "csv")


@blueprint.get("/selections/<int:selection_id>/export.xlsx")
def selection_export_xlsx(selection_id: int) -> ResponseReturnValue:
    return _document(selection_id, "xlsx")


__all__ = ["Cell", "cells_of", "score_chart", "sensitivity_in_words"]
