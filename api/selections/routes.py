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
from catalogue.models import (
    CriterionGroup,
    ItemKind,
    Selection,
    SelectionEvaluator,
    SelectionScore,
)
from catalogue.principal import Role
from catalogue.selections.export import to_csv, to_xlsx
from catalogue.selections.pdf import to_pdf
from catalogue.selections.report import result_report
from service.database import get_session, writing_session
from service.downloads import BINARY, CSV, XLSX, download
from service.pagination import PageArgsSchema, page_of, page_of_list, page_response
from service.search import search_query
from service.search import state as search_state

from .schemas import (
    CandidatesAddSchema,
    CloseScoringSchema,
    CriterionCreateSchema,
    CriterionUpdateSchema,
    EvaluatorNameSchema,
    EvaluatorSheetSchema,
    ExclusionSchema,
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

PDF = "application/pdf"
ROLES = (Role.COMMISSIONER, Role.AUTHORITY)
# The practice a selection is made for reads it and takes part in it.
READERS = (*ROLES, Role.PRACTICE)
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
    """The selection and its result as reported (from its snapshot once locked), with the
    evaluators' scores beside the agreed ones once scoring has closed."""
    session = get_session()
    chosen = selections.get_selection(session, principal(), selection_id)
    cells = selections.evaluations_by_cell(session, chosen)
    return chosen, result_report(chosen, selections.result_of(session, chosen), cells)


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
        moderation=body["moderation"],
    )
    return write_response(chosen, 201)


@blp.route("/selections", methods=["GET"])
@requires(*READERS)
@blp.doc(operationId="listSelections")
@blp.arguments(SelectionQueryArgsSchema, location="query")
@blp.response(200, page_of(SelectionSchema))
def list_selections(args: dict[str, Any]) -> dict[str, Any]:
    """Your selections, newest first (the authority sees all)."""
    return page_response(args, partial(selections.list_selections, get_session(), principal()))


@blp.route(ONE, methods=["GET"])
@requires(*READERS)
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


@blp.route(f"{ONE}/candidates/<int:item_id>/exclusion", methods=["PUT"])
@requires(*ROLES)
@blp.doc(operationId="excludeSelectionCandidate", **WRITE_DOC)
@blp.arguments(ExclusionSchema)
@blp.response(200, SelectionSchema)
def exclude_candidate(body: dict[str, Any], selection_id: int, item_id: int) -> ViewResult:
    """Eliminate a candidate by hand, with the reason; the result lists it with the reason."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.exclude_candidate(session, principal(), chosen, item_id, body["reason"])
    return write_response(chosen)


@blp.route(f"{ONE}/candidates/<int:item_id>/exclusion", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(operationId="reinstateSelectionCandidate", **WRITE_DOC)
@blp.response(200, SelectionSchema)
def reinstate_candidate(selection_id: int, item_id: int) -> ViewResult:
    """Take back an exclusion made by hand (the audit trail keeps it)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.reinstate_candidate(session, principal(), chosen, item_id)
    return write_response(chosen)


@blp.route(f"{ONE}/criteria", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="addSelectionCriterion", **WRITE_DOC)
@blp.arguments(CriterionCreateSchema)
@blp.response(201, SelectionSchema)
def add_criterion(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Add a requirement, MoSCoW: a `should` or `could` (group, weight within the group,
    scoring) or a `must` (a required capability, a minimum maturity level or a maximum
    whole-life cost) that eliminates a candidate failing it."""
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
@requires(*READERS)
@blp.doc(operationId="listSelectionScores", **NOT_FOUND_DOC)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SelectionScoreSchema))
def list_scores(args: dict[str, Any], selection_id: int) -> dict[str, Any]:
    """The scores entered so far (automatic scores are in the result's breakdown)."""
    scores = selections.get_selection(get_session(), principal(), selection_id).scores
    return page_of_list(args, scores)


@blp.route(f"{ONE}/scores", methods=["PUT"])
@requires(*READERS)
@blp.doc(operationId="enterSelectionScores", **WRITE_DOC)
@blp.arguments(ScoresEnterSchema)
@blp.response(200, SelectionScoreSchema(many=True))
def enter_scores(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Enter or replace the agreed scores, whole numbers 1 to 5, each with its reason; an agreed
    score overrides the automatic one. With no evaluators named, the commissioner scores here
    directly; once evaluators are named, this is moderation, after scoring has closed (409
    before). The practice moderates too when the selection's moderation is joint. All or
    nothing: one bad score stores none."""
    session = writing_session()
    chosen = _for_change(selection_id)
    entries = [selections.ScoreEntry(**entry) for entry in body["scores"]]
    selections.enter_scores(session, principal(), chosen, entries)
    return write_response(chosen, 200, _scores)


@blp.route(f"{ONE}/scores/<int:criterion_id>/<int:item_id>", methods=["DELETE"])
@requires(*READERS)
@blp.doc(operationId="removeSelectionScore", **WRITE_DOC)
@blp.response(200, SelectionScoreSchema(many=True))
def remove_score(selection_id: int, criterion_id: int, item_id: int) -> ViewResult:
    """Withdraw an entered score; the automatic score, if there is one, applies again."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.remove_score(session, principal(), chosen, criterion_id, item_id)
    return write_response(chosen, 200, _scores)


@blp.route(f"{ONE}/result", methods=["GET"])
@requires(*READERS)
@blp.doc(operationId="getSelectionResult", **NOT_FOUND_DOC)
@blp.response(200, SelectionResultSchema)
def get_result(selection_id: int) -> dict[str, Any]:
    """Ranked candidates with the per-criterion breakdown, eliminated candidates with reasons,
    ties, and the leader's sensitivity to the price weight. A locked selection is scored from
    its snapshot, so later catalogue changes do not alter it."""
    return _report(selection_id)[1]


@blp.route(f"{ONE}/lock", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="lockSelection", deprecated=True, **WRITE_DOC)
@blp.response(200, SelectionResultSchema)
def lock_selection(selection_id: int) -> ViewResult:
    """Refused (403) for everyone: nobody locks a selection by hand. It locks, with a snapshot
    of the scored listing versions and prices, when the commissioner and the practice have
    both signed the result off (`POST .../sign-off`), a direct award too."""
    session = writing_session()
    chosen = _for_change(selection_id)
    result = selections.lock_selection(session, principal(), chosen)
    cells = selections.evaluations_by_cell(session, chosen)
    return write_response(chosen, 200, partial(result_report, result=result, cells=cells))


@blp.route(f"{ONE}/export.csv", methods=["GET"])
@requires(*READERS)
@blp.doc(operationId="exportSelectionCsv", **NOT_FOUND_DOC)
@blp.response(200, BINARY, content_type=CSV)
def export_csv(selection_id: int) -> Response:
    """The result as CSV: summary, criteria, ranking, scores with justifications, costs and
    eliminations, one section after another."""
    chosen, report = _report(selection_id)
    return download(to_csv(chosen, report), CSV, f"selection-{chosen.id}.csv")


@blp.route(f"{ONE}/export.xlsx", methods=["GET"])
@requires(*READERS)
@blp.doc(operationId="exportSelectionXlsx", **NOT_FOUND_DOC)
@blp.response(200, BINARY, content_type=XLSX)
def export_xlsx(selection_id: int) -> Response:
    """The result as a workbook: Summary, Criteria, Ranking, Scores, Costs and Eliminated."""
    chosen, report = _report(selection_id)
    return download(to_xlsx(chosen, report), XLSX, f"selection-{chosen.id}.xlsx")


@blp.route(f"{ONE}/report.pdf", methods=["GET"])
@requires(*READERS)
@blp.doc(operationId="exportSelectionPdf", **NOT_FOUND_DOC)
@blp.response(200, BINARY, content_type=PDF)
def export_pdf(selection_id: int) -> Response:
    """The record a CCG files: the need, candidates and exclusions with reasons, requirements
    and weights, each evaluator's and the agreed scores with justifications, whole-life costs,
    the ranking with ties and sensitivity, who signed and when, and the versions scored."""
    chosen, report = _report(selection_id)
    return download(to_pdf(chosen, report), PDF, f"selection-{chosen.id}.pdf")


# ------------------------------------------------------------------ evaluators, sign-off


@blp.route(f"{ONE}/evaluators", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="nameSelectionEvaluator", **WRITE_DOC)
@blp.arguments(EvaluatorNameSchema)
@blp.response(201, SelectionSchema)
def name_evaluator(body: dict[str, Any], selection_id: int) -> ViewResult:
    """Name an evaluator: one of the commissioner's or the practice's principals (a token).
    Evaluators score apart until scoring closes."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.name_evaluator(session, principal(), chosen, body["token_id"], body.get("name"))
    return write_response(chosen, 201)


@blp.route(f"{ONE}/evaluators/<int:evaluator_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(operationId="removeSelectionEvaluator", **WRITE_DOC)
@blp.response(200, SelectionSchema)
def remove_evaluator(selection_id: int, evaluator_id: int) -> ViewResult:
    """Take an evaluator off, with their scores, while scoring is open."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.remove_evaluator(session, principal(), chosen, evaluator_id)
    return write_response(chosen)


def _sheet(selection_id: int, evaluator_id: int, for_update: bool = False) -> Any:
    session = writing_session() if for_update else get_session()
    chosen = selections.get_selection(session, principal(), selection_id, for_update=for_update)
    return selections.get_sheet(principal(), chosen, evaluator_id), chosen


@blp.route(f"{ONE}/evaluators/<int:evaluator_id>/scores", methods=["GET"])
@requires(*READERS)
@blp.doc(operationId="getEvaluatorScores", **NOT_FOUND_DOC)
@blp.etag
@blp.response(200, EvaluatorSheetSchema)
def get_evaluator_scores(selection_id: int, evaluator_id: int) -> SelectionEvaluator:
    """An evaluator's own scores, with their ETag: only the evaluator sees them until the
    commissioner closes scoring (403 before), then everyone who sees the selection."""
    sheet, _ = _sheet(selection_id, evaluator_id)
    set_etag(blp, sheet)
    return sheet


@blp.route(f"{ONE}/evaluators/<int:evaluator_id>/scores", methods=["PUT"])
@requires(Role.COMMISSIONER, Role.PRACTICE)
@blp.doc(operationId="enterEvaluatorScores", **WRITE_DOC)
@blp.arguments(ScoresEnterSchema)
@blp.response(200, EvaluatorSheetSchema)
def enter_evaluator_scores(
    body: dict[str, Any], selection_id: int, evaluator_id: int
) -> ViewResult:
    """Enter or replace your own scores as an evaluator (whole numbers 1 to 5, each
    justified); If-Match is your score sheet's ETag, so evaluators never block each other.
    Refused once scoring has closed (409)."""
    session = writing_session()
    sheet, chosen = _sheet(selection_id, evaluator_id, for_update=True)
    check_if_match(sheet)
    entries = [selections.ScoreEntry(**entry) for entry in body["scores"]]
    selections.enter_evaluations(session, principal(), chosen, sheet, entries)
    return write_response(sheet)


@blp.route(f"{ONE}/close-scoring", methods=["POST"])
@requires(*ROLES)
@blp.doc(operationId="closeSelectionScoring", **WRITE_DOC)
@blp.arguments(CloseScoringSchema)
@blp.response(200, SelectionSchema)
def close_scoring(body: dict[str, Any], selection_id: int) -> ViewResult:
    """End scoring apart: every evaluator's scores become visible, and moderation begins.
    The selection's owner closes it (403 for one of its evaluators, and for the practice);
    while an evaluator has entered no scores, only with a `reason` (422 without), which is
    recorded on the selection and audited."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.close_scoring(session, principal(), chosen, body.get("reason"))
    return write_response(chosen)


@blp.route(f"{ONE}/sign-off", methods=["POST"])
@requires(Role.COMMISSIONER, Role.PRACTICE)
@blp.doc(operationId="signOffSelection", **WRITE_DOC)
@blp.response(200, SelectionSchema)
def sign_off(selection_id: int) -> ViewResult:
    """Sign the complete result off, as the commissioner or as the practice. From the first
    signature the result no longer changes; with both, the selection locks (its snapshot)."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.sign_off(session, principal(), chosen)
    return write_response(chosen)


@blp.route(f"{ONE}/sign-off", methods=["DELETE"])
@requires(Role.COMMISSIONER, Role.PRACTICE)
@blp.doc(operationId="withdrawSelectionSignOff", **WRITE_DOC)
@blp.response(200, SelectionSchema)
def withdraw_sign_off(selection_id: int) -> ViewResult:
    """Withdraw your own signature, until the selection has locked."""
    session = writing_session()
    chosen = _for_change(selection_id)
    selections.withdraw_signature(session, principal(), chosen)
    return write_response(chosen)
