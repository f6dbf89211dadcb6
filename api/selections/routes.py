"""The GPSoC selection process over HTTP. Every write needs the selection's ETag in If-Match
and answers with the new one; sub-resource writes answer with the whole selection."""

from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from api.auth import principal, requires
from api.common.concurrency import IF_MATCH_DOC, check_if_match, etag_data, etag_header
from api.common.downloads import download
from api.common.pagination import page_body, page_of
from api.database import get_session, writing_session
from api.items.filters import item_filters
from api.search.extension import state as search_state
from api.search.routes import search_query
from catalogue import selections
from catalogue.models import CriterionGroup, ItemKind, Selection
from catalogue.principal import Role
from catalogue.selections.export import to_csv, to_xlsx
from catalogue.selections.report import result_report

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

KIND = "selection"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"type": "string", "format": "binary"}
ROLES = (Role.COMMISSIONER, Role.AUTHORITY)
NOT_FOUND = {"responses": {404: "DEFAULT_ERROR"}}
WRITE_DOC = {
    **IF_MATCH_DOC,
    "responses": {
        **IF_MATCH_DOC["responses"],
        404: "DEFAULT_ERROR",
        409: "DEFAULT_ERROR",
    },
}
ONE = "/selections/<int:selection_id>"


def _etag(selection: Selection) -> dict[str, str]:
    return etag_header(KIND, selection.id, selection.version)


def _for_change(session: Session, selection_id: int) -> Selection:
    chosen = selections.get_selection(session, principal(), selection_id, for_update=True)
    check_if_match(KIND, chosen.id, chosen.version)
    return chosen


def _done(session: Session, chosen: Selection, status: int = 200):
    session.commit()
    return chosen, status, _etag(chosen)


def _groups(weights: dict | None) -> dict[CriterionGroup, int] | None:
    return {CriterionGroup(k): v for k, v in weights.items()} if weights else None


@blp.route("/selections", methods=["POST"])
@requires(*ROLES)
@blp.arguments(SelectionCreateSchema)
@blp.response(201, SelectionSchema)
def create_selection(body):
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
    return _done(session, chosen, 201)


@blp.route("/selections", methods=["GET"])
@requires(*ROLES)
@blp.arguments(SelectionQueryArgsSchema, location="query")
@blp.response(200, page_of(SelectionSchema))
def list_selections(args):
    """Your selections, newest first (the authority sees all)."""
    found, total = selections.list_selections(
        get_session(), principal(), args["page"], args["page_size"]
    )
    return page_body(found, total, args["page"], args["page_size"])


@blp.route(ONE, methods=["GET"])
@requires(*ROLES)
@blp.etag
@blp.response(200, SelectionSchema)
@blp.doc(**NOT_FOUND)
def get_selection(selection_id):
    """One selection: practice, weights, candidates and criteria."""
    chosen = selections.get_selection(get_session(), principal(), selection_id)
    blp.set_etag(etag_data(KIND, chosen.id, chosen.version))
    return chosen


@blp.route(ONE, methods=["PATCH"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.arguments(SelectionUpdateSchema)
@blp.response(200, SelectionSchema)
def update_selection(body, selection_id):
    """Change the name, term or weights (price 30-90 % in steps of 5; groups sum to 100)."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    changes = dict(body)
    if "non_price_weights" in changes:
        changes["non_price_weights"] = _groups(changes["non_price_weights"])
    selections.update_selection(session, principal(), chosen, changes)
    return _done(session, chosen)


@blp.route(f"{ONE}/candidates", methods=["POST"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.arguments(CandidatesAddSchema)
@blp.response(200, SelectionSchema)
def add_candidates(body, selection_id):
    """Add candidates by id, or every published item of the framework matching the filters of
    /search. 2 to 8 make a competition; exactly one a direct award."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    if "filters" in body and (body["filters"].get("q") or "price_max" in body["filters"]):
        matched_ids, total = _search(chosen, body["filters"])
        selections.add_candidates_from_matches(session, principal(), chosen, matched_ids, total)
    elif "filters" in body:
        filters = item_filters(body["filters"], frozenset(ItemKind))
        selections.add_candidates_from_search(session, principal(), chosen, filters)
    else:
        selections.add_candidates(session, principal(), chosen, body["item_ids"])
    return _done(session, chosen)


def _search(chosen: Selection, filters: dict) -> tuple[list[int], int]:
    """Full-text candidates come from the search engine, exactly as /search would find them."""
    query = search_query(
        {**filters, "framework": chosen.framework.slug},
        page_size=selections.MAX_CANDIDATES + 1,
    )
    results = search_state().engine.search(query)
    return [hit.document["id"] for hit in results.hits], results.total


@blp.route(f"{ONE}/candidates/<int:item_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.response(200, SelectionSchema)
def remove_candidate(selection_id, item_id):
    """Take a candidate off the shortlist (with its scores)."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    selections.remove_candidate(session, principal(), chosen, item_id)
    return _done(session, chosen)


@blp.route(f"{ONE}/criteria", methods=["POST"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.arguments(CriterionCreateSchema)
@blp.response(201, SelectionSchema)
def add_criterion(body, selection_id):
    """Add a scored criterion (group, weight within the group, scoring) or a mandatory one
    (a required capability, a minimum maturity level or a maximum whole-life cost)."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
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
    return _done(session, chosen, 201)


@blp.route(f"{ONE}/criteria/<int:criterion_id>", methods=["PATCH"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.arguments(CriterionUpdateSchema)
@blp.response(200, SelectionSchema)
def update_criterion(body, selection_id, criterion_id):
    """Change a criterion (its kind stays)."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    selections.update_criterion(session, principal(), chosen, criterion_id, body)
    return _done(session, chosen)


@blp.route(f"{ONE}/criteria/<int:criterion_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.response(200, SelectionSchema)
def remove_criterion(selection_id, criterion_id):
    """Remove a criterion and its scores."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    selections.remove_criterion(session, principal(), chosen, criterion_id)
    return _done(session, chosen)


@blp.route(f"{ONE}/scores", methods=["GET"])
@requires(*ROLES)
@blp.response(200, SelectionScoreSchema(many=True))
@blp.doc(**NOT_FOUND)
def list_scores(selection_id):
    """The scores entered so far (automatic scores are in the result's breakdown)."""
    return selections.get_selection(get_session(), principal(), selection_id).scores


@blp.route(f"{ONE}/scores", methods=["PUT"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.arguments(ScoresEnterSchema)
@blp.response(200, SelectionScoreSchema(many=True))
def enter_scores(body, selection_id):
    """Enter or replace scores, 1 to 5, each with a justification; an entered score overrides
    the automatic one. All or nothing: one bad score stores none."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    entries = [selections.ScoreEntry(**entry) for entry in body["scores"]]
    selections.enter_scores(session, principal(), chosen, entries)
    session.commit()
    return chosen.scores, 200, _etag(chosen)


@blp.route(f"{ONE}/scores/<int:criterion_id>/<int:item_id>", methods=["DELETE"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.response(200, SelectionScoreSchema(many=True))
def remove_score(selection_id, criterion_id, item_id):
    """Withdraw an entered score; the automatic score, if there is one, applies again."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    selections.remove_score(session, principal(), chosen, criterion_id, item_id)
    session.commit()
    return chosen.scores, 200, _etag(chosen)


@blp.route(f"{ONE}/result", methods=["GET"])
@requires(*ROLES)
@blp.response(200, SelectionResultSchema)
@blp.doc(**NOT_FOUND)
def get_result(selection_id):
    """Ranked candidates with the per-criterion breakdown, eliminated candidates with reasons,
    ties, and the leader's sensitivity to the price weight. A locked selection is scored from
    its snapshot, so later catalogue changes do not alter it."""
    session = get_session()
    chosen = selections.get_selection(session, principal(), selection_id)
    return result_report(chosen, selections.result_of(session, chosen))


@blp.route(f"{ONE}/lock", methods=["POST"])
@requires(*ROLES)
@blp.doc(**WRITE_DOC)
@blp.response(200, SelectionResultSchema)
def lock_selection(selection_id):
    """Freeze the result: the scored listing versions and prices go into a snapshot and the
    selection becomes read-only. Only a complete result can be locked (409 lists what is
    missing)."""
    session = writing_session()
    chosen = _for_change(session, selection_id)
    result = selections.lock_selection(session, principal(), chosen)
    session.commit()
    return result_report(chosen, result), 200, _etag(chosen)


@blp.route(f"{ONE}/export.csv", methods=["GET"])
@requires(*ROLES)
@blp.response(200, BINARY, content_type="text/csv")
@blp.doc(**NOT_FOUND)
def export_csv(selection_id):
    """The result as CSV: summary, criteria, ranking, scores with justifications, costs and
    eliminations, one section after another."""
    session = get_session()
    chosen = selections.get_selection(session, principal(), selection_id)
    report = result_report(chosen, selections.result_of(session, chosen))
    return download(to_csv(chosen, report), "text/csv", f"selection-{chosen.id}.csv")


@blp.route(f"{ONE}/export.xlsx", methods=["GET"])
@requires(*ROLES)
@blp.response(200, BINARY, content_type=XLSX)
@blp.doc(**NOT_FOUND)
def export_xlsx(selection_id):
    """The result as a workbook: Summary, Criteria, Ranking, Scores, Costs and Eliminated."""
    session = get_session()
    chosen = selections.get_selection(session, principal(), selection_id)
    report = result_report(chosen, selections.result_of(session, chosen))
    return download(to_xlsx(chosen, report), XLSX, f"selection-{chosen.id}.xlsx")
