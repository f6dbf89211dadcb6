"""The levels a roadmap plans: a level is planned when every capability it still needs has an
entry, by the latest of their target dates; and the increment a price buys."""

from __future__ import annotations

from datetime import date

import pytest

from catalogue.listings.roadmaps import planned_levels
from catalogue.maturity import increment_level

L1 = frozenset({"choose-and-book", "spine-connection", "pds"})
GPSOC = {1: L1, 2: L1 | {"eps"}, 3: L1 | {"eps", "gp2gp"}}
INCREMENTS = {1: L1, 2: frozenset({"eps"}), 3: frozenset({"gp2gp"})}


@pytest.mark.parametrize("requirements", [GPSOC, INCREMENTS], ids=["cumulative", "increments"])
def test_a_level_is_planned_by_the_latest_date_of_what_it_still_needs(requirements):
    plans = [("gp2gp", date(2027, 3, 31)), ("eps", date(2027, 6, 30))]
    assert planned_levels(L1, plans, requirements) == [
        (2, date(2027, 6, 30)),
        (3, date(2027, 6, 30)),  # GP2GP comes sooner, but Level 3 needs EPS too
    ]


def test_a_gap_in_the_plan_stops_the_ladder():
    assert planned_levels(L1, [("gp2gp", date(2027, 3, 31))], GPSOC) == []
    held_level_2 = L1 | {"eps"}
    assert planned_levels(held_level_2, [("gp2gp", date(2028, 1, 1))], GPSOC) == [
        (3, date(2028, 1, 1))
    ]


def test_what_is_held_or_reached_is_not_planned():
    held = L1 | {"eps", "gp2gp"}
    assert planned_levels(held, [("eps", date(2027, 1, 1))], GPSOC) == []
    # Nothing above Level 1 is planned for a system with no plans.
    assert planned_levels(L1, [], GPSOC) == []


def test_a_price_is_a_levels_increment_by_its_name():
    assert increment_level("Level 3 increment") == 3
    assert increment_level("level 4 Increment (per practice)") == 4
    assert increment_level("Annual practice licence") is None
    assert increment_level("Level 3 support") is None
