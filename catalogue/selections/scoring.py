"""Scoring a selection: pure functions over plain data, so the same code scores a draft from the
live catalogue and a locked selection from its snapshot, and does it fast.

The weighting:
- The price weight P (30-90 %) applies to the price score; the non-price weight (100 - P) is
  split over the four groups by their weights (summing to 100), and within a group over its
  criteria in proportion to their relative weights.
- Final score (out of 5) = P/100 x price score + sum over criteria of (effective weight x score).
  The published NHS tool adds the raw price score instead of weighting it; we do not.
- Price score from the whole-life cost over the term: cheapest 5; up to 25 % dearer 4; up to
  50 % 3; up to 100 % 2; more 1.
- Arithmetic is exact (fractions), so equal totals are reported as ties, never split by
  rounding noise. Decimals are produced only for presentation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from catalogue.models import CriterionGroup, CriterionKind, Requirement, Scoring
from catalogue.pricing import PriceTerms, WholeLifeCost, to_pennies, whole_life_cost_of

MAX_SCORE = 5
MIN_SCORE = 1
PRICE_WEIGHT_RANGE = (30, 90)
WEIGHT_STEP = 5
MIN_COMPETITION = 2
MAX_CANDIDATES = 8

SCORE_MEANINGS = {
    1: "No requirements met",
    2: "Few requirements met",
    3: "Some requirements met",
    4: "Most requirements met",
    5: "All requirements covered well",
}


# ------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class CandidateFacts:
    """What the catalogue says about a candidate (live, or frozen in a snapshot)."""

    item_id: int
    name: str
    supplier: str
    version: int
    maturity_level: int
    capabilities: frozenset[str]
    prices: tuple[PriceTerms, ...]


@dataclass(frozen=True)
class CriterionSpec:
    id: int
    name: str
    kind: CriterionKind
    group: CriterionGroup | None = None
    weight: int | None = None
    scoring: Scoring | None = None
    capabilities: tuple[str, ...] = ()
    requirement: Requirement | None = None
    min_maturity_level: int | None = None
    max_whole_life_cost: Decimal | None = None


@dataclass(frozen=True)
class EnteredScore:
    score: int
    justification: str


@dataclass(frozen=True)
class ScoringInput:
    price_weight: int
    group_weights: Mapping[CriterionGroup, int]
    list_size: int
    term_months: int
    priced_on: date
    candidates: Sequence[CandidateFacts]
    criteria: Sequence[CriterionSpec]
    entered: Mapping[tuple[int, int], EnteredScore]  # (criterion id, item id) -> score
    interoperability_capabilities: frozenset[str]
    capability_names: Mapping[str, str] = field(default_factory=dict)
    excluded: Mapping[int, str] = field(default_factory=dict)  # item id -> reason, by hand


# ----------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class AutomaticScore:
    score: int
    explanation: str


@dataclass(frozen=True)
class CriterionScore:
    criterion_id: int
    name: str
    group: CriterionGroup
    weight: Fraction  # effective share of the whole score, 0..1
    score: int | None  # None: not scored yet
    source: str  # "entered", "automatic" or "missing"
    justification: str
    automatic: AutomaticScore | None
    # The weight as an integer over a denominator shared by the whole result, so that summing
    # points is integer arithmetic (fast) and still exact.
    weight_units: int = 0
    denominator: int = 1

    @property
    def points_units(self) -> int:
        return self.weight_units * (self.score or 0)

    @property
    def points(self) -> Fraction:
        return Fraction(self.points_units, self.denominator)


@dataclass
class CandidateResult:
    item_id: int
    name: str
    supplier: str
    version: int
    maturity_level: int
    cost: WholeLifeCost
    eliminated_because: list[str] = field(default_factory=list)
    price_score: int | None = None
    price_points: Fraction = Fraction(0)
    non_price_score: Fraction = Fraction(0)  # the non-price criteria alone, out of 5
    non_price_points: Fraction = Fraction(0)
    # non_price_score = non_price_units / non_price_denominator (integers, for sensitivity)
    non_price_units: int = 0
    non_price_denominator: int = 1
    breakdown: list[CriterionScore] = field(default_factory=list)
    rank: int | None = None
    tied: bool = False

    @property
    def eliminated(self) -> bool:
        return bool(self.eliminated_because)

    @property
    def total(self) -> Fraction:
        return self.price_points + self.non_price_points


@dataclass(frozen=True)
class Sensitivity:
    leader_item_id: int
    price_weight: int
    # The nearest allowed price weight (30-90 in steps of 5) at which the leader is caught.
    smallest_change: int | None
    at_price_weight: int | None
    new_leader_item_ids: tuple[int, ...]
    outcome: str | None  # "overtaken" or "tied"
    # The exact price weight at which the closest challenger draws level (within 0-100).
    break_even_price_weight: Decimal | None
    break_even_item_id: int | None
    explanation: str


@dataclass(frozen=True)
class SelectionResult:
    mode: str  # "competition" or "direct_award"
    complete: bool
    problems: list[str]
    priced_on: date
    ranked: list[CandidateResult]
    eliminated: list[CandidateResult]
    leader_item_ids: tuple[int, ...]
    sensitivity: Sensitivity | None


# ------------------------------------------------------------------------------ pieces


def price_score(cost: Decimal, cheapest: Decimal) -> int:
    """5 for the cheapest; up to 25 % dearer 4; up to 50 % 3; up to 100 % 2; more 1."""
    if cost <= cheapest:
        return 5
    if cheapest == 0:
        return 1
    # cost / cheapest <= 5/4, 3/2, 2, compared without dividing (exact for Decimals).
    for score, numerator, denominator in ((4, 5, 4), (3, 3, 2), (2, 2, 1)):
        if cost * denominator <= cheapest * numerator:
            return score
    return 1


def coverage_score(held: int, wanted: int) -> int:
    """All held 5; at least 3/4 4; at least half 3; some 2; none 1."""
    if wanted == 0 or held >= wanted:
        return 5
    if 4 * held >= 3 * wanted:
        return 4
    if 2 * held >= wanted:
        return 3
    return 2 if held else 1


def _names(codes: Iterable[str], capability_names: Mapping[str, str]) -> str:
    return ", ".join(capability_names.get(code, code) for code in sorted(codes))


def automatic_score(
    criterion: CriterionSpec,
    candidate: CandidateFacts,
    interoperability: frozenset[str],
    capability_names: Mapping[str, str],
) -> AutomaticScore | None:
    """The score the catalogue can give on its own, explained; None for manual criteria."""
    if criterion.scoring is Scoring.CAPABILITY_COVERAGE:
        wanted, what = frozenset(criterion.capabilities), "named capabilities"
    elif criterion.scoring is Scoring.INTEROPERABILITY:
        wanted, what = interoperability, "accredited interoperability capabilities"
    else:
        return None
    held = wanted & candidate.capabilities
    score = coverage_score(len(held), len(wanted))
    explanation = f"Holds {len(held)} of the {len(wanted)} {what}"
    missing = wanted - held
    explanation += f"; missing: {_names(missing, capability_names)}." if missing else "."
    return AutomaticScore(score, f"{explanation} Automatic score {score}.")


def elimination_reasons(
    criteria: Sequence[CriterionSpec],
    candidate: CandidateFacts,
    cost: WholeLifeCost,
    term_months: int,
    capability_names: Mapping[str, str],
) -> list[str]:
    reasons = []
    for criterion in criteria:
        if criterion.kind is not CriterionKind.MUST:
            continue
        if criterion.requirement is Requirement.CAPABILITY:
            missing = set(criterion.capabilities) - candidate.capabilities
            if missing:
                reasons.append(
                    f"{criterion.name}: does not hold the required capability "
                    f"{_names(missing, capability_names)}."
                )
        elif criterion.requirement is Requirement.MIN_MATURITY_LEVEL:
            needed = criterion.min_maturity_level or 0
            if candidate.maturity_level < needed:
                reasons.append(
                    f"{criterion.name}: is at Level {candidate.maturity_level}; "
                    f"Level {needed} or above is required."
                )
        elif criterion.requirement is Requirement.MAX_WHOLE_LIFE_COST:
            limit = criterion.max_whole_life_cost
            if limit is not None and cost.total > limit:
                reasons.append(
                    f"{criterion.name}: its whole-life cost of {to_pennies(cost.total)} over "
                    f"{term_months} months exceeds the maximum of {to_pennies(limit)}."
                )
    return reasons


def criterion_weights(
    price_weight: int,
    group_weights: Mapping[CriterionGroup, int],
    criteria: Sequence[CriterionSpec],
) -> tuple[dict[int, Fraction], list[str]]:
    """Each scored criterion's share of the whole score (0..1), and any problems (a weighted
    group without criteria)."""
    non_price = Fraction(100 - price_weight, 100)
    by_group: dict[CriterionGroup, list[CriterionSpec]] = {group: [] for group in CriterionGroup}
    for criterion in criteria:
        if criterion.kind.is_scored and criterion.group is not None:
            by_group[criterion.group].append(criterion)
    shares: dict[int, Fraction] = {}
    problems = []
    for group, members in by_group.items():
        group_weight = group_weights.get(group, 0)
        if group_weight and not members:
            problems.append(
                f"The {group.value.replace('_', ' ')} group carries {group_weight} % of the "
                "non-price weight but has no criteria: add one or set its weight to 0."
            )
        total = sum(member.weight or 0 for member in members)
        for member in members:
            share = Fraction(group_weight, 100) * Fraction(member.weight or 0, total or 1)
            shares[member.id] = non_price * share
    return shares, problems


def _leaders(totals: Mapping[int, Fraction | int]) -> tuple[int, ...]:
    best = max(totals.values())
    return tuple(item_id for item_id, total in totals.items() if total == best)


def sensitivity(ranked: Sequence[CandidateResult], price_weight: int) -> Sensitivity | None:
    """For the leader: the smallest change of the price weight that would change the leader.

    Each candidate's total is linear in the price weight w: (w/100) x price score +
    (1 - w/100) x non-price score, so the change is found exactly."""
    if len(ranked) < 2:
        return None
    totals = {c.item_id: c.total for c in ranked}
    leaders = _leaders(totals)
    if len(leaders) > 1:
        return None
    leader = next(c for c in ranked if c.item_id == leaders[0])
    found = _nearest_weight_changing_leader(ranked, leader, price_weight)
    best_even = _break_even(ranked, leader, price_weight)

    low, high = PRICE_WEIGHT_RANGE
    smallest_change: int | None
    at_weight: int | None
    outcome: str | None
    new_leaders: tuple[int, ...]
    if found is None:
        explanation = (
            f"No price weight from {low} % to {high} % changes the leader: the result is robust."
        )
        smallest_change = at_weight = outcome = None
        new_leaders = ()
    else:
        at_weight, new_leaders, outcome = found
        smallest_change = at_weight - price_weight
        names = {c.item_id: c.name for c in ranked}
        challengers = " and ".join(names[item_id] for item_id in new_leaders)
        explanation = (
            f"Changing the price weight by {smallest_change:+d} points to {at_weight} % would "
            f"leave {leader.name} {outcome} by {challengers}."
        )
    break_even = as_decimal(best_even[0], 2) if best_even is not None else None
    return Sensitivity(
        leader_item_id=leader.item_id,
        price_weight=price_weight,
        smallest_change=smallest_change,
        at_price_weight=at_weight,
        new_leader_item_ids=new_leaders,
        outcome=outcome,
        break_even_price_weight=break_even,
        break_even_item_id=best_even[1] if best_even else None,
        explanation=explanation,
    )


def _nearest_weight_changing_leader(
    ranked: Sequence[CandidateResult], leader: CandidateResult, price_weight: int
) -> tuple[int, tuple[int, ...], str] | None:
    """The allowed price weight nearest the current one at which the leader is tied or
    overtaken: (weight, the other leaders, "tied" or "overtaken"); None when there is none."""

    # Scaled by 100 x the non-price denominator, a total at price weight w is an integer:
    # w x price score x NP + (100 - w) x non-price units.
    def scaled_at(candidate: CandidateResult, weight: int) -> int:
        return (
            weight * (candidate.price_score or 0) * candidate.non_price_denominator
            + (100 - weight) * candidate.non_price_units
        )

    low, high = PRICE_WEIGHT_RANGE
    allowed = sorted(range(low, high + 1, WEIGHT_STEP), key=lambda w: (abs(w - price_weight), w))
    for weight in allowed:
        if weight == price_weight:
            continue
        new_leaders = _leaders({c.item_id: scaled_at(c, weight) for c in ranked})
        if new_leaders != (leader.item_id,):
            others = tuple(i for i in new_leaders if i != leader.item_id)
            return (weight, others, "tied" if leader.item_id in new_leaders else "overtaken")
    return None


def _break_even(
    ranked: Sequence[CandidateResult], leader: CandidateResult, price_weight: int
) -> tuple[Fraction, int] | None:
    """The exact break-even weight against the closest challenger: where
    100 b + w (a NP - b) = 0, with a the price score gap and b the non-price units gap."""
    best_even: tuple[Fraction, int] | None = None
    shared = leader.non_price_denominator
    for challenger in ranked:
        if challenger.item_id == leader.item_id:
            continue
        a = (leader.price_score or 0) - (challenger.price_score or 0)
        b = leader.non_price_units - challenger.non_price_units
        if b == a * shared:
            continue  # parallel: never meet
        weight = Fraction(100 * b, b - a * shared)
        if 0 <= weight <= 100 and (
            best_even is None or abs(weight - price_weight) < abs(best_even[0] - price_weight)
        ):
            best_even = (weight, challenger.item_id)
    return best_even


# ------------------------------------------------------------------------------- score


def score_selection(data: ScoringInput) -> SelectionResult:
    problems: list[str] = []
    results = _costed_results(data)
    standing = [r for r in results if not r.eliminated]
    eliminated = [r for r in results if r.eliminated]

    if not data.candidates:
        problems.append("Add candidates: one for a direct award, 2 to 8 for a competition.")
    if len(data.candidates) == 1:
        return _direct_award(data, standing, eliminated, problems)

    shares, weight_problems = criterion_weights(
        data.price_weight, data.group_weights, data.criteria
    )
    problems.extend(weight_problems)
    if data.candidates and not standing:
        problems.append("Every candidate is eliminated (by a must or by hand).")
    weights = _WeightUnits.of(data.price_weight, shares)
    cheapest = min((r.cost.total for r in standing), default=Decimal(0))
    facts_by_id = {c.item_id: c for c in data.candidates}
    scored = [c for c in data.criteria if c.kind.is_scored]
    missing = 0
    for result in standing:
        facts = facts_by_id[result.item_id]
        missing += _score_candidate(data, weights, scored, facts, result, cheapest)
    if missing:
        problems.append(f"{missing} score(s) are still to be entered.")
    if len(data.candidates) > MAX_CANDIDATES:
        problems.append(f"A competition takes at most {MAX_CANDIDATES} candidates.")

    _rank(standing)
    leaders = tuple(r.item_id for r in standing if r.rank == 1)
    return SelectionResult(
        mode="competition",
        complete=not problems,
        problems=problems,
        priced_on=data.priced_on,
        ranked=standing,
        eliminated=eliminated,
        leader_item_ids=leaders,
        sensitivity=sensitivity(standing, data.price_weight),
    )


def _costed_results(data: ScoringInput) -> list[CandidateResult]:
    """Each candidate's whole-life cost and why it is eliminated (a failed must, or by hand)."""
    results = [
        CandidateResult(
            item_id=c.item_id,
            name=c.name,
            supplier=c.supplier,
            version=c.version,
            maturity_level=c.maturity_level,
            cost=whole_life_cost_of(c.prices, data.list_size, data.term_months, on=data.priced_on),
        )
        for c in data.candidates
    ]
    for facts, result in zip(data.candidates, results, strict=True):
        result.eliminated_because = elimination_reasons(
            data.criteria, facts, result.cost, data.term_months, data.capability_names
        )
        if facts.item_id in data.excluded:
            result.eliminated_because.append(f"Excluded by hand: {data.excluded[facts.item_id]}")
    return results


def _direct_award(
    data: ScoringInput,
    standing: list[CandidateResult],
    eliminated: list[CandidateResult],
    problems: list[str],
) -> SelectionResult:
    """One candidate: awarded unless eliminated; nothing is scored."""
    if standing:
        standing[0].rank = 1
    else:
        problems.append("The only candidate is eliminated: there is nothing to award.")
    return SelectionResult(
        mode="direct_award",
        complete=not problems,
        problems=problems,
        priced_on=data.priced_on,
        ranked=standing,
        eliminated=eliminated,
        leader_item_ids=tuple(r.item_id for r in standing),
        sensitivity=None,
    )


@dataclass(frozen=True)
class _WeightUnits:
    """Every weight over one common denominator, so that totals are sums of integers."""

    shares: Mapping[int, Fraction]  # criterion id -> its share of the whole score
    units: Mapping[int, int]  # criterion id -> its share in units of the denominator
    price_units: int
    denominator: int
    non_price_share: Fraction

    @classmethod
    def of(cls, price_weight: int, shares: Mapping[int, Fraction]) -> _WeightUnits:
        price_share = Fraction(price_weight, 100)
        denominator = math.lcm(price_share.denominator, *(w.denominator for w in shares.values()))
        return cls(
            shares=shares,
            units={criterion_id: int(w * denominator) for criterion_id, w in shares.items()},
            price_units=int(price_share * denominator),
            denominator=denominator,
            non_price_share=1 - price_share,
        )


def _score_candidate(
    data: ScoringInput,
    weights: _WeightUnits,
    scored: Sequence[CriterionSpec],
    facts: CandidateFacts,
    result: CandidateResult,
    cheapest: Decimal,
) -> int:
    """Fill in a standing candidate's price and non-price points; returns how many of its
    weighted scores are still missing."""
    result.price_score = price_score(result.cost.total, cheapest)
    result.price_points = Fraction(weights.price_units * result.price_score, weights.denominator)
    missing = 0
    non_price_units = 0
    for criterion in scored:
        line = _criterion_score(data, weights, criterion, facts, result.item_id)
        if line.source == "missing" and weights.shares.get(criterion.id):
            missing += 1
        result.breakdown.append(line)
        non_price_units += line.points_units
    result.non_price_points = Fraction(non_price_units, weights.denominator)
    result.non_price_units = non_price_units
    result.non_price_denominator = weights.denominator - weights.price_units
    if weights.non_price_share:
        result.non_price_score = result.non_price_points / weights.non_price_share
    return missing


def _criterion_score(
    data: ScoringInput,
    weights: _WeightUnits,
    criterion: CriterionSpec,
    facts: CandidateFacts,
    item_id: int,
) -> CriterionScore:
    """One criterion's score of one candidate: the entered score overrides the automatic one."""
    automatic = automatic_score(
        criterion, facts, data.interoperability_capabilities, data.capability_names
    )
    entered = data.entered.get((criterion.id, item_id))
    if entered is not None:
        score, source, why = entered.score, "entered", entered.justification
    elif automatic is not None:
        score, source, why = automatic.score, "automatic", automatic.explanation
    else:
        score, source, why = None, "missing", ""
    return CriterionScore(
        criterion_id=criterion.id,
        name=criterion.name,
        group=criterion.group or CriterionGroup.FEATURES,
        weight=weights.shares.get(criterion.id, Fraction(0)),
        score=score,
        source=source,
        justification=why,
        automatic=automatic,
        weight_units=weights.units.get(criterion.id, 0),
        denominator=weights.denominator,
    )


def _rank(standing: list[CandidateResult]) -> None:
    """Sort by total (then name, id) and number the places; equal totals share a place."""
    standing.sort(key=lambda r: (-r.total, r.name, r.item_id))
    position = 0
    previous: Fraction | None = None
    for index, result in enumerate(standing, start=1):
        if result.total != previous:
            position, previous = index, result.total
        result.rank = position
    for result in standing:
        result.tied = sum(1 for other in standing if other.rank == result.rank) > 1


def ratio_as_decimal(numerator: int, denominator: int, places: int = 4) -> Decimal:
    """numerator / denominator for presentation, rounded half up (away from zero) to `places`
    decimal places. Integer arithmetic: exact, and much faster than dividing Decimals."""
    quotient, remainder = divmod(abs(numerator) * 10**places, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return Decimal(-quotient if numerator < 0 else quotient).scaleb(-places)


def as_decimal(value: Fraction, places: int = 4) -> Decimal:
    return ratio_as_decimal(value.numerator, value.denominator, places)
