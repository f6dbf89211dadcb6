"""Selection scoring on hand-worked examples (pure functions, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from catalogue.models import (
    CriterionGroup,
    CriterionKind,
    Funding,
    PricePeriod,
    PriceUnit,
    Requirement,
    Scoring,
    TierCalculation,
)
from catalogue.pricing import PriceTerms, Tier
from catalogue.selections.scoring import (
    CandidateFacts,
    CriterionSpec,
    EnteredScore,
    ScoringInput,
    coverage_score,
    price_score,
    score_selection,
)

D = Decimal
INTEROPERABILITY = frozenset({"w", "x", "y", "z"})
FEATURES = CriterionGroup.FEATURES
INTEROP = CriterionGroup.INTEROPERABILITY


def yearly(amount: str, price_id: int) -> PriceTerms:
    return PriceTerms(
        price_id=price_id,
        name="Annual licence",
        unit=PriceUnit.PRACTICE,
        period=PricePeriod.YEAR,
        tier_calculation=TierCalculation.VOLUME,
        tiers=(Tier(1, None, D(amount)),),
        funding=Funding.CENTRAL,
        funding_reason="test",
        effective_from=date(2010, 1, 1),
    )


def candidate(item_id: int, name: str, cost: str, capabilities=(), level: int = 2):
    return CandidateFacts(
        item_id=item_id,
        name=name,
        supplier=f"{name} Ltd",
        version=1,
        maturity_level=level,
        capabilities=frozenset(capabilities),
        prices=(yearly(cost, item_id),),
    )


A = candidate(1, "Alpha", "10000", {"w", "x"})
B = candidate(2, "Bravo", "12000", {"w", "x", "y", "z"})  # 20 % dearer than Alpha
C = candidate(3, "Charlie", "16000", {"w", "x", "y"}, level=3)  # 60 % dearer

F1 = CriterionSpec(1, "Clinical features", CriterionKind.SHOULD, FEATURES, 1, Scoring.MANUAL)
I1 = CriterionSpec(
    2, "Interoperability", CriterionKind.SHOULD, INTEROP, 1, Scoring.INTEROPERABILITY
)


def scoring(candidates=(A, B, C), criteria=(F1, I1), entered=None, price_weight=60, groups=None):
    return ScoringInput(
        price_weight=price_weight,
        group_weights=groups
        or {
            FEATURES: 50,
            INTEROP: 50,
            CriterionGroup.IMPLEMENTATION: 0,
            CriterionGroup.SERVICE_LEVELS: 0,
        },
        list_size=5000,
        term_months=12,
        priced_on=date(2020, 1, 1),
        candidates=list(candidates),
        criteria=list(criteria),
        entered=entered
        if entered is not None
        else {
            (1, 1): EnteredScore(2, "Few templates"),
            (1, 2): EnteredScore(4, "Most of what we need"),
            (1, 3): EnteredScore(5, "Everything, well"),
        },
        interoperability_capabilities=INTEROPERABILITY,
    )


@pytest.mark.parametrize(
    ("cost", "expected"),
    [("100", 5), ("125", 4), ("125.01", 3), ("150", 3), ("150.01", 2), ("200", 2), ("200.01", 1)],
)
def test_price_score_bands_relative_to_the_cheapest(cost, expected):
    assert price_score(D(cost), D("100")) == expected


def test_coverage_score_bands():
    assert [coverage_score(held, 4) for held in (4, 3, 2, 1, 0)] == [5, 4, 3, 2, 1]


def test_the_worked_example_ranks_weights_and_explains():
    result = score_selection(scoring())
    # Alpha: 0.6 x 5 + 0.2 x 2 + 0.2 x 3 (2 of 4 interoperability) = 4.0
    # Bravo: 0.6 x 4 + 0.2 x 4 + 0.2 x 5 (4 of 4)                 = 4.2
    # Charlie: 0.6 x 2 + 0.2 x 5 + 0.2 x 4 (3 of 4)               = 3.0
    assert [(r.name, r.total, r.rank) for r in result.ranked] == [
        ("Bravo", Fraction(21, 5), 1),
        ("Alpha", Fraction(4), 2),
        ("Charlie", Fraction(3), 3),
    ]
    assert result.complete and result.mode == "competition"
    assert result.leader_item_ids == (2,)
    alpha = result.ranked[1]
    assert alpha.price_score == 5
    assert alpha.price_points == 3  # the price weight applies to the price score
    interop = next(line for line in alpha.breakdown if line.criterion_id == 2)
    assert (interop.score, interop.source, interop.weight) == (3, "automatic", Fraction(1, 5))
    assert "2 of the 4" in interop.justification and "missing: y, z" in interop.justification


def test_sensitivity_finds_the_smallest_price_weight_change_that_changes_the_leader():
    # Bravo 4.5 - 0.5w against Alpha 2.5 + 2.5w: level at w = 2/3 (66.67 %).
    sensitivity = score_selection(scoring()).sensitivity
    assert sensitivity.leader_item_id == 2
    assert sensitivity.smallest_change == 10
    assert sensitivity.at_price_weight == 70
    assert sensitivity.new_leader_item_ids == (1,)
    assert sensitivity.outcome == "overtaken"
    assert sensitivity.break_even_price_weight == D("66.67")
    assert sensitivity.break_even_item_id == 1
    assert "Alpha" in sensitivity.explanation


def test_the_price_score_is_weighted_not_added_raw():
    result = score_selection(scoring(price_weight=30))
    alpha = next(r for r in result.ranked if r.item_id == 1)
    assert alpha.price_points == Fraction(3, 2)  # 0.3 x 5, not 5
    assert alpha.total <= 5


def test_equal_totals_are_reported_as_ties():
    twin = candidate(4, "Alpha twin", "10000", {"w", "x"})
    entered = {(1, 1): EnteredScore(3, "ok"), (1, 4): EnteredScore(3, "ok")}
    result = score_selection(scoring(candidates=(A, twin), entered=entered))
    assert [r.rank for r in result.ranked] == [1, 1]
    assert all(r.tied for r in result.ranked)
    assert result.leader_item_ids == (1, 4)
    assert result.sensitivity is None


def test_failed_musts_eliminate_with_a_reason():
    level_1_alpha = candidate(1, "Alpha", "10000", {"w", "x"}, level=1)
    criteria = (
        F1,
        I1,
        CriterionSpec(
            3,
            "GP2GP",
            CriterionKind.MUST,
            requirement=Requirement.CAPABILITY,
            capabilities=("z",),
        ),
        CriterionSpec(
            4,
            "Level 2",
            CriterionKind.MUST,
            requirement=Requirement.MIN_MATURITY_LEVEL,
            min_maturity_level=2,
        ),
        CriterionSpec(
            5,
            "Affordable",
            CriterionKind.MUST,
            requirement=Requirement.MAX_WHOLE_LIFE_COST,
            max_whole_life_cost=D("15000"),
        ),
    )
    result = score_selection(scoring(candidates=(level_1_alpha, B, C), criteria=criteria))
    assert [r.name for r in result.ranked] == ["Bravo"]
    assert result.ranked[0].price_score == 5  # the cheapest of those still standing
    reasons = {r.name: r.eliminated_because for r in result.eliminated}
    assert reasons["Alpha"] == [
        "GP2GP: does not hold the required capability z.",
        "Level 2: is at Level 1; Level 2 or above is required.",
    ]
    assert reasons["Charlie"] == [
        "GP2GP: does not hold the required capability z.",
        "Affordable: its whole-life cost of 16000.00 over 12 months exceeds the maximum of "
        "15000.00.",
    ]


def test_missing_scores_make_the_result_incomplete():
    result = score_selection(scoring(entered={}))
    assert not result.complete
    assert any("still to be entered" in problem for problem in result.problems)


def test_a_weighted_group_without_criteria_is_a_problem():
    groups = {
        FEATURES: 40,
        INTEROP: 40,
        CriterionGroup.IMPLEMENTATION: 20,
        CriterionGroup.SERVICE_LEVELS: 0,
    }
    result = score_selection(scoring(groups=groups))
    assert any("implementation group" in problem for problem in result.problems)


def test_one_candidate_is_a_direct_award_without_scoring():
    result = score_selection(scoring(candidates=(B,), entered={}))
    assert result.mode == "direct_award"
    assert result.complete
    assert result.ranked[0].breakdown == []
    assert result.ranked[0].price_score is None
