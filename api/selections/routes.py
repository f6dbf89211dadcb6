"""The GPSoC selection process over HTTP. Every write needs the selection's ETag in If-Match
and answers with the new one; sub-resource writes answer with the whole selection."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.common.concurrency import check_if_match, set_etag
from api.common.writes import NOT_FOUND_DOC, WRITE_DOC, ViewResult, write_response
from api.items.filters import item_filters
from catalogue import selections
from catalogue.models import CriterionGroup, ItemKind, Selection, SelectionScore
from catalogue.principal import Role
from catalogue.selections.export import to_csv, to_xlsx
from catalogue.selections.report import result_report
from service.database import get_session, writing_session
from service.downloads import BINARY, CSV, XLSX, download
from service.pagination import page_of, page_response
from service.search import search_query
from service.search import state as search_state

from .schemas import (
    CandidatesAddSchema,
    CriterionCreateSchema,
    CriterionUpdateSchema,
    ScoresEnterSchema,
    SelectionCreateSchema,
    SelectionQueryArgsSchema,
    SelectionResultSchema,
    SelectionSchema,
    SelectionScoreSchema,
    SelectionUpdateSchema,
)

blp = Blueprint(
    "selections",
    __name__,
    description=(
        "The GPSoC selection process: a commissioner shortlists systems for one of its "
        "practices, weighs and scores them, reads a ranked and explained result, and locks it."
    ),
)

ROLES = (Role.COMMISSIONER, Role.AUTHORITY)
ONE = "/selections/<int:selection_id>"


def _for_change(selection_id: int) -> Selection:
    """The selection, row-locked, after the If-Match check: of racing writers one wins."""
    session = writing_session()
    chosen = selections.get_selection(session, principal(), selection_id, for_update=True)
    check_if_match(chosen)
    return chosen


def _scores(chosen: Selection) -> list[SelectionScore]:
    return chosen.scores


def _report(selection_id: int) -> tuple[Selection, dict[str, Any]]:
    """The selection and its result as reported (from its snapshot once locked)."""
    session = get_session()
    chosen = selections.get_selection(session, principal(), selection_id)
    return chosen, result_report(chosen, selections.result_of(session, chosen))


def _groups(weights: Mapping[str, int] | None) -> dict[CriterionGroup, int] | None:
    return {CriterionGroup(k): v for k, v in weights.items()} if weights else None


@blp.route("/selections", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="createSelection")
@blp.arguments(SelectionCreateSchema)
@blp.response(201, SelectionSchema)
def create_selection(body: dict[str, Any]) -> ViewResult:
    """Start a selection for one of your practices (the authority: for any practice)."""
    session = writing_session()
    chosen = selections.create_selection(
        session,
        principal(),
        name=body["name"],
        practice=body["practice"],
        framework=body["framework"],
        term_months=body.get("term_months"),
        price_weight=body["price_weight"],
        non_price_weights=_groups(body.get("non_price_weights")),
    )
    return write_response(chosen, 201)


@blp.route("/selections", methods=["GET"])
@requires(*ROLES)
@blp.doc(operationId="listSelections")
@blp.arguments(SelectionQueryArgsSchema, location="query")
@blp.response(200, page_of(SelectionSchema))
def list_selections(args: dict[str, Any]) -> dict[str, Any]:
    """Your selections, newest first (the authority sees all)."""
    return page_response(args, partial(selections.list_selections, get_session(), principal()))


@blp.route(ONE, methods=["GET"])
@requires(*ROLES)
@blp.doc(operationId="getSelection", **NOT_FOUND_DOC)
@blp.etag
@blp.response(200, SelectionSchema)
def get_selection(selection_id: int) -> Selection:
    """One selection: practice, weights, candidates and criteria."""
    chosen = selections.get_selection(get_session(), principal(), selection_id)
    set_etag(blp, chosen)
    return chosen


@blp.route(ONE, methods=["PATCH"])
@requires(*ROLES)
@blp.doc(operationId="updateSelection", **WRITE_DOC)
@blp.arguments(SelectionUpdateSchema)
@blp.response(200, SelectionSchema)
def update_selection(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Change the name, term or weights (price 30-90 % in steps of 5; groups sum to 100)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    changes = dict(body)
    if "non_price_weights" in changes:
        changes["non_price_weights"] = _groups(changes["non_price_weights"])
    selections.update_selection(session, principal(), chosen, changes)
    return write_response(chosen)


@blp.route(f"{ONE}/candidates", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="addSelectionCandidates", **WRITE_DOC)
@blp.arguments(CandidatesAddSchema)
@blp.response(200, SelectionSchema)
def add_candidates(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Add candidates by id, or every published item of the framework matching the filters of
    /search. 2 to 8 make a competition; exactly one a direct award."""
    session = writing_session()
    chosen = _for_change(selection_id)
    if "filters" in body and (body["filters"].get("q") or "price_max" in body["filters"]):
        matched_ids, total = _search(chosen, body["filters"])
        selections.add_candidates_from_matches(session, principal(), chosen, matched_ids, total)
    elif "filters" in body:
        filters = item_filters(body["filters"], frozenset(ItemKind))
        selections.add_candidates_from_search(session, principal(), chosen, filters)
    else:
        selections.add_candidates(session, principal(), chosen, body["item_ids"])
    return write_response(chosen)


def _search(chosen: Selection, filters: Mapping[str, Any]) -> tuple[list[int], int]:
    """Full-text candidates come from the search engine, exactly as /search would find them."""
    query = search_query(
        {**filters, "framework": chosen.framework.slug},
        page_size=selections.MAX_CANDIDATES + 1,
    )
    results = search_state().engine.search(query)
    return [hit.document["id"] for hit in results.hits], results.total


@blp.route(f"{ONE}/candidates/<int:item_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(operationId="removeSelectionCandidate", **WRITE_DOC)
@blp.response(200, SelectionSchema)
def remove_candidate(selection_id: int, item_id: int) -> ViewResult:
    """Take a candidate off the shortlist (with its scores)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.remove_candidate(session, principal(), chosen, item_id)
    return write_response(chosen)


@blp.route(f"{ONE}/criteria", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="addSelectionCriterion", **WRITE_DOC)
@blp.arguments(CriterionCreateSchema)
@blp.response(201, SelectionSchema)
def add_criterion(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Add a scored criterion (group, weight within the group, scoring) or a mandatory one
    (a required capability, a minimum maturity level or a maximum whole-life cost)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    data = selections.CriterionInput(
        kind=body["kind"],
        name=body["name"],
        description=body["description"],
        group=body.get("group"),
        weight=body.get("weight"),
        scoring=body.get("scoring"),
        capabilities=tuple(body["capabilities"]),
        requirement=body.get("requirement"),
        min_maturity_level=body.get("min_maturity_level"),
        max_whole_life_cost=body.get("max_whole_life_cost"),
    )
    selections.add_criterion(session, principal(), chosen, data)
    return write_response(chosen, 201)


@blp.route(f"{ONE}/criteria/<int:criterion_id>", methods=["PATCH"])
@requires(*ROLES)
@blp.doc(operationId="updateSelectionCriterion", **WRITE_DOC)
@blp.arguments(CriterionUpdateSchema)
@blp.response(200, SelectionSchema)
def update_criterion(body: dict[str, Any], selection_id: int, criterion_id: int) -> ViewResult:
    """Change a criterion (its kind stays)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.update_criterion(session, principal(), chosen, criterion_id, body)
    return write_response(chosen)


@blp.route(f"{ONE}/criteria/<int:criterion_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(operationId="removeSelectionCriterion", **WRITE_DOC)
@blp.response(200, SelectionSchema)
def remove_criterion(selection_id: int, criterion_id: int) -> ViewResult:
    """Remove a criterion and its scores."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.remove_criterion(session, principal(), chosen, criterion_id)
    return write_response(chosen)


@blp.route(f"{ONE}/scores", methods=["GET"])
@requires(*ROLES)
@blp.doc(operationId="listSelectionScores", **NOT_FOUND_DOC)
@blp.response(200, SelectionScoreSchema(many=True))
def list_scores(selection_id: int) -> list[SelectionScore]:
    """The scores entered so far (automatic scores are in the result's breakdown)."""
    return selections.get_selection(get_session(), principal(), selection_id).scores


@blp.route(f"{ONE}/scores", methods=["PUT"])
@requires(*ROLES)
@blp.doc(operationId="enterSelectionScores", **WRITE_DOC)
@blp.arguments(ScoresEnterSchema)
@blp.response(200, SelectionScoreSchema(many=True))
def enter_scores(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Enter or replace scores, 1 to 5, each with a justification; an entered score overrides
    the automatic one. All or nothing: one bad score stores none."""
    session = writing_session()
    chosen = _for_change(selection_id)
    entries = [selections.ScoreEntry(**entry) for entry in body["scores"]]
    selections.enter_scores(session, principal(), chosen, entries)
    return write_response(chosen, 200, _scores)


@blp.route(f"{ONE}/scores/<int:criterion_id>/<int:item_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(operationId="removeSelectionScore", **WRITE_DOC)
@blp.response(200, SelectionScoreSchema(many=True))
def remove_score(selection_id: int, criterion_id: int, item_id: int) -> ViewResult:
    """Withdraw an entered score; the automatic score, if there is one, applies again."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.remove_score(session, principal(), chosen, criterion_id, item_id)
    return write_response(chosen, 200, _scores)


@blp.route(f"{ONE}/result", methods=["GET"])
@requires(*ROLES)
@blp.doc(operationId="getSelectionResult", **NOT_FOUND_DOC)
@blp.response(200, SelectionResultSchema)
def get_result(selection_id: int) -> dict[str, Any]:
    """Ranked candidates with the per-criterion breakdown, eliminated candidates with reasons,
    ties, and the leader's sensitivity to the price weight. A locked selection is scored from
    its snapshot, so later catalogue changes do not alter it."""
    return _report(selection_id)[1]


@blp.route(f"{ONE}/lock", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="lockSelection", **WRITE_DOC)
@blp.response(200, SelectionResultSchema)
def lock_selection(selection_id: int) -> ViewResult:
    """Freeze the result: the scored listing versions and prices go into a snapshot and the
    selection becomes read-only. Only a complete result can be locked (409 lists what is
    missing)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    result = selections.lock_selection(session, principal(), chosen)
    return write_response(chosen, 200, partial(result_report, result=result))


@blp.route(f"{ONE}/export.csv", methods=["GET"])
@requires(*ROLES)
@blp.doc(operationId="exportSelectionCsv", **NOT_FOUND_DOC)
@blp.response(200, BINARY, content_type=CSV)
def export_csv(selection_id: int) -> Response:
    """The result as CSV: summary, criteria, ranking, scores with justifications, costs and
    eliminations, one section after another."""
    chosen, report = _report(selection_id)
    return download(to_csv(chosen, report), CSV, f"selection-{chosen.id}.csv")


@blp.route(f"{ONE}/export.xlsx", methods=["GET"])
@requires(*ROLES)
@blp.doc(operationId="exportSelectionXlsx", **NOT_FOUND_DOC)
@blp.response(200, BINARY, content_type=XLSX)
def export_xlsx(selection_id: int) -> Response:
    """The result as a workbook: Summary, Criteria, Ranking, Scores, Costs and Eliminated."""
    chosen, report = _report(selection_id)
    return download(to_xlsx(chosen, report), XLSX, f"selection-{chosen.id}.xlsx")
