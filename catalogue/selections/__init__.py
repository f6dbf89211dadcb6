"""The GPSoC selection process: a commissioner shortlists catalogue items for one of its
practices, weighs and scores them, reads a ranked and explained result, and locks it; and the
side-by-side comparison that comes before it.

Modules: `access` (who sees and changes, recording), `settings`, `candidates`, `criteria`,
`scores` (the agreed scores), `evaluation` (evaluators scoring apart, closing scoring,
moderation), `signoff`, `snapshot` (what is scored, locking), `facts` (catalogue facts of a
candidate), `scoring` (the pure scoring rules), `report`, `export`, `pdf`, `compare`."""

from . import (
    access,
    candidates,
    compare,
    criteria,
    evaluation,
    export,
    facts,
    report,
    scores,
    scoring,
    settings,
    signoff,
    snapshot,
)
from .access import get_selection, list_selections, summary
from .candidates import (
    add_candidates,
    add_candidates_from_matches,
    add_candidates_from_search,
    candidate_ids_matching,
    exclude_candidate,
    reinstate_candidate,
    remove_candidate,
)
from .compare import MAX_COMPARED, Comparison, compare_items
from .criteria import (
    MAX_CRITERIA,
    CriterionInput,
    add_criterion,
    remove_criterion,
    update_criterion,
)
from .evaluation import (
    SPREAD_THRESHOLD,
    close_scoring,
    enter_evaluations,
    evaluations_by_cell,
    get_sheet,
    name_evaluator,
    remove_evaluator,
)
from .export import to_csv, to_xlsx
from .facts import load_candidate_facts
from .report import result_report
from .scores import ScoreEntry, enter_scores, remove_score
from .scoring import (
    MAX_CANDIDATES,
    MAX_SCORE,
    MIN_COMPETITION,
    MIN_SCORE,
    PRICE_WEIGHT_RANGE,
    SCORE_MEANINGS,
    WEIGHT_STEP,
    CandidateFacts,
    CriterionSpec,
    EnteredScore,
    ScoringInput,
    SelectionResult,
    score_selection,
)
from .settings import DEFAULT_TERM_MONTHS, check_weights, create_selection, update_selection
from .signoff import sign_off, signatures, withdraw_signature
from .snapshot import CatalogueFacts, entered_scores, facts_for, lock_selection, result_of

__all__ = [
    "withdraw_signature",
    "signatures",
    "sign_off",
    "signoff",
    "evaluation",
    "remove_evaluator",
    "name_evaluator",
    "get_sheet",
    "evaluations_by_cell",
    "enter_evaluations",
    "close_scoring",
    "SPREAD_THRESHOLD",
    "CandidateFacts",
    "CatalogueFacts",
    "Comparison",
    "CriterionInput",
    "CriterionSpec",
    "DEFAULT_TERM_MONTHS",
    "EnteredScore",
    "MAX_CANDIDATES",
    "MAX_COMPARED",
    "MAX_CRITERIA",
    "MAX_SCORE",
    "MIN_COMPETITION",
    "MIN_SCORE",
    "PRICE_WEIGHT_RANGE",
    "SCORE_MEANINGS",
    "ScoreEntry",
    "ScoringInput",
    "SelectionResult",
    "WEIGHT_STEP",
    "access",
    "add_candidates",
    "add_candidates_from_matches",
    "add_candidates_from_search",
    "add_criterion",
    "candidate_ids_matching",
    "candidates",
    "check_weights",
    "compare",
    "compare_items",
    "create_selection",
    "criteria",
    "enter_scores",
    "entered_scores",
    "exclude_candidate",
    "export",
    "facts",
    "facts_for",
    "get_selection",
    "list_selections",
    "load_candidate_facts",
    "lock_selection",
    "reinstate_candidate",
    "remove_candidate",
    "remove_criterion",
    "remove_score",
    "report",
    "result_of",
    "result_report",
    "score_selection",
    "scores",
    "scoring",
    "settings",
    "snapshot",
    "summary",
    "to_csv",
    "to_xlsx",
    "update_criterion",
    "update_selection",
]
