"""A selection's result as plain, rounded values: the one presentation that the JSON response,
the CSV and the XLSX workbook all print, so that they hold the same numbers.

Money is rounded to pennies and scores to 4 places, half up, here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from catalogue.models import Selection
from catalogue.pricing import cost_report
from catalogue.selections.evaluation import SPREAD_THRESHOLD, EvaluatorScore, spread
from catalogue.selections.scoring import (
    SCORE_MEANINGS,
    CandidateResult,
    SelectionResult,
    as_decimal,
    ratio_as_decimal,
)

SCORE_PLACES = 4


def _score(value: Fraction | int | None) -> Decimal | None:
    if value is None:
        return None
    return as_decimal(Fraction(value), SCORE_PLACES)


Cells = Mapping[tuple[int, int], Sequence[EvaluatorScore]]


def _evaluations(cells: Cells, criterion_id: int, item_id: int) -> dict[str, Any]:
    scores = cells.get((criterion_id, item_id), ())
    gap = spread(scores)
    return {
        "evaluations": [
            {
                "evaluator_id": s.evaluator_id,
                "evaluator": s.evaluator,
                "side": s.side,
                "score": s.score,
                "justification": s.justification,
            }
            for s in scores
        ],
        "spread": gap,
        "flagged": gap is not None and gap >= SPREAD_THRESHOLD,
    }


def _candidate(result: CandidateResult, cells: Cells) -> dict[str, Any]:
    return {
        "item_id": result.item_id,
        "name": result.name,
        "supplier": result.supplier,
        "version": result.version,
        "maturity_level": result.maturity_level,
        "rank": result.rank,
        "tied": result.tied,
        "eliminated_because": list(result.eliminated_because),
        "whole_life_cost": cost_report(result.cost),
        "price_score": result.price_score,
        "price_points": _score(result.price_points) if result.price_score is not None else None,
        "non_price_points": _score(result.non_price_points)
        if result.price_score is not None
        else None,
        "total_score": _score(result.total) if result.price_score is not None else None,
        "breakdown": [
            {
                "criterion_id": line.criterion_id,
                "name": line.name,
                "group": line.group.value,
                "weight_percent": ratio_as_decimal(line.weight_units * 100, line.denominator, 2),
                "score": line.score,
                "meaning": SCORE_MEANINGS.get(line.score) if line.score else None,
                "source": line.source,
                "justification": line.justification,
                "automatic_score": line.automatic.score if line.automatic else None,
                "automatic_explanation": line.automatic.explanation if line.automatic else None,
                "points": ratio_as_decimal(line.points_units, line.denominator, SCORE_PLACES),
                **_evaluations(cells, line.criterion_id, result.item_id),
            }
            for line in result.breakdown
        ],
    }


def result_report(
    selection: Selection, result: SelectionResult, cells: Cells | None = None
) -> dict[str, Any]:
    """The result; `cells` holds the evaluators' scores per (criterion, item) once scoring
    has closed, shown beside each agreed score with their spread."""
    cells = cells or {}
    sensitivity = result.sensitivity
    return {
        "selection_id": selection.id,
        "status": selection.status.value,
        "mode": result.mode,
        "complete": result.complete,
        "problems": list(result.problems),
        "priced_on": result.priced_on,
        "term_months": selection.term_months,
        "price_weight": selection.price_weight,
        "non_price_weights": {g.value: w for g, w in selection.group_weights.items()},
        "leader_item_ids": list(result.leader_item_ids),
        "spread_threshold": SPREAD_THRESHOLD,
        "scoring_closed": selection.scoring_closed,
        "ranked": [_candidate(candidate, cells) for candidate in result.ranked],
        "eliminated": [_candidate(candidate, cells) for candidate in result.eliminated],
        "sensitivity": None
        if sensitivity is None
        else {
            "leader_item_id": sensitivity.leader_item_id,
            "price_weight": sensitivity.price_weight,
            "smallest_change": sensitivity.smallest_change,
            "at_price_weight": sensitivity.at_price_weight,
            "new_leader_item_ids": list(sensitivity.new_leader_item_ids),
            "outcome": sensitivity.outcome,
            "break_even_price_weight": sensitivity.break_even_price_weight,
            "break_even_item_id": sensitivity.break_even_item_id,
            "explanation": sensitivity.explanation,
        },
    }
