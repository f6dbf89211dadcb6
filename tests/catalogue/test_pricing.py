"""Whole-life cost on hand-worked examples: tier boundaries, periods, terms, funding split."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from catalogue.errors import InvalidInput
from catalogue.models import (
    Funding,
    PricePeriod,
    PriceUnit,
    TierCalculation,
)
from catalogue.pricing import (
    PriceTerms,
    Tier,
    charge_for_units,
    default_quantity,
    price_cost,
    to_pennies,
    whole_life_cost,
    whole_life_cost_of,
)
from tests import factories

D = Decimal

# 1-5000 at 0.32, 5001-10000 at 0.28, 10001+ at 0.24 (the seed's document management price).
BANDS = (Tier(1, 5000, D("0.32")), Tier(5001, 10000, D("0.28")), Tier(10001, None, D("0.24")))


def terms(
    *,
    tiers=BANDS,
    calculation=TierCalculation.VOLUME,
    unit=PriceUnit.PATIENT,
    period=PricePeriod.YEAR,
    price_id=1,
    funding=Funding.COMMISSIONER,
    effective_from=date(2010, 1, 1),
    effective_to=None,
) -> PriceTerms:
    return PriceTerms(
        price_id=price_id,
        name=f"price {price_id}",
        unit=unit,
        period=period,
        tier_calculation=calculation,
        tiers=tuple(tiers),
        funding=funding,
        funding_reason="test",
        effective_from=effective_from,
        effective_to=effective_to,
    )


# ------------------------------------------------------------------------- charge_for_units


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, "0"),
        (1, "0.32"),
        (5000, "1600.00"),  # 5000 x 0.32: the last unit of the first band
        (5001, "1400.28"),  # 5001 x 0.28: one more patient makes every patient cheaper
        (10000, "2800.00"),  # 10000 x 0.28
        (10001, "2400.24"),  # 10001 x 0.24
        (20000, "4800.00"),
    ],
)
def test_volume_tiers_charge_every_unit_at_the_band_reached(quantity, expected):
    assert charge_for_units(terms(), quantity) == D(expected)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, "0"),
        (1, "0.32"),
        (5000, "1600.00"),  # 5000 x 0.32
        (5001, "1600.28"),  # 1600 + 1 x 0.28
        (10000, "3000.00"),  # 1600 + 5000 x 0.28
        (10001, "3000.24"),  # 3000 + 1 x 0.24
        (20000, "5400.00"),  # 3000 + 10000 x 0.24 (patients 10001 to 20000)
    ],
)
def test_cumulative_tiers_charge_each_band_at_its_own_price(quantity, expected):
    assert charge_for_units(terms(calculation=TierCalculation.CUMULATIVE), quantity) == D(expected)


def test_a_flat_price_is_the_amount_times_the_quantity():
    flat = terms(tiers=[Tier(1, None, D("575.00"))], unit=PriceUnit.DAY)
    assert charge_for_units(flat, 3) == D("1725.00")
    assert charge_for_units(flat, 0) == 0


def test_a_negative_quantity_is_refused():
    with pytest.raises(InvalidInput):
        charge_for_units(terms(), -1)


def test_charges_are_exact_decimals_with_no_float_drift():
    tenth_of_a_penny = terms(tiers=[Tier(1, None, D("0.0001"))])
    assert charge_for_units(tenth_of_a_penny, 3) == D("0.0003")


# ------------------------------------------------------------------------------ price_cost


def test_a_one_off_charge_is_paid_once_whatever_the_term():
    one_off = terms(tiers=[Tier(1, None, D("6500"))], period=PricePeriod.ONE_OFF)
    assert price_cost(one_off, 1, 60).one_off == D("6500")
    assert price_cost(one_off, 1, 60).recurring_total == 0
    assert price_cost(one_off, 1, 60).total == D("6500")


def test_a_monthly_charge_is_paid_every_month_of_the_term():
    monthly = terms(tiers=[Tier(1, None, D("99.99"))], period=PricePeriod.MONTH)
    cost = price_cost(monthly, 2, 7)
    assert cost.one_off == 0
    assert cost.recurring_per_year == D("2399.76")  # 199.98 x 12
    assert cost.recurring_total == D("1399.86")  # 199.98 x 7


def test_a_yearly_charge_is_pro_rata_over_part_years_and_rounded_only_to_present():
    yearly = terms(tiers=[Tier(1, None, D("3427.72"))], unit=PriceUnit.PRACTICE)
    assert price_cost(yearly, 1, 36).recurring_total == D("10283.16")
    seven_months = price_cost(yearly, 1, 7).recurring_total
    # 3427.72 x 7 / 12 = 1999.50333...: kept exact, rounded half up only for display.
    assert abs(seven_months - D("1999.5033333333")) < D("0.0000000001")
    assert to_pennies(seven_months) == D("1999.50")
    assert to_pennies(D("0.125")) == D("0.13")


def test_a_term_under_one_month_is_refused():
    with pytest.raises(InvalidInput) as raised:
        price_cost(terms(), 1, 0)
    assert "term_months" in raised.value.errors


# ------------------------------------------------------------------------- whole-life cost


def test_whole_life_cost_adds_lines_and_splits_central_from_local():
    licence = terms(
        price_id=1,
        tiers=[Tier(1, None, D("3427.72"))],
        unit=PriceUnit.PRACTICE,
        funding=Funding.CENTRAL,
    )
    per_patient = terms(price_id=2, calculation=TierCalculation.CUMULATIVE)
    training = terms(
        price_id=3,
        tiers=[Tier(1, None, D("575"))],
        unit=PriceUnit.DAY,
        period=PricePeriod.ONE_OFF,
    )
    cost = whole_life_cost_of(
        [licence, per_patient, training], list_size=8432, term_months=24, quantities={3: 4}
    )
    # licence: 3427.72 x 2 years = 6855.44 (central)
    # per patient, cumulative at 8432: 1600 + 3432 x 0.28 = 2560.96 a year, x 2 = 5121.92
    # training: 4 days x 575 = 2300 one-off
    assert [line.quantity for line in cost.lines] == [1, 8432, 4]
    assert cost.one_off == D("2300")
    assert cost.recurring_per_year == D("3427.72") + D("2560.96")
    assert cost.recurring == D("6855.44") + D("5121.92")
    assert cost.total == D("14277.36")
    assert cost.central == D("6855.44")
    assert cost.local == D("7421.92")
    assert cost.central + cost.local == cost.total


def test_only_prices_effective_on_the_day_count():
    old = terms(price_id=1, effective_from=date(2009, 4, 1), effective_to=date(2014, 3, 31))
    new = terms(price_id=2, effective_from=date(2014, 4, 1))
    assert [
        line.price_id
        for line in whole_life_cost_of([old, new], 100, 12, on=date(2014, 3, 31)).lines
    ] == [1]
    assert [
        line.price_id for line in whole_life_cost_of([old, new], 100, 12, on=date(2014, 4, 1)).lines
    ] == [2]


def test_snapshot_terms_round_trip_through_json():
    price = terms(calculation=TierCalculation.CUMULATIVE, effective_to=date(2020, 1, 1))
    assert PriceTerms.from_json(price.to_json()) == price


# ---------------------------------------------------------------- on the seeded catalogue


def test_emis_web_for_a_practice_over_three_years(db):
    cost = whole_life_cost(
        factories.item(db, "emis-web"),
        factories.organisation(db, "A81001"),
        36,
        on=date(2016, 4, 1),
    )
    by_name = {line.price_name: line for line in cost.lines}
    # Hansard 2009: licence 3427.72, Level 3 increment ~204, support 665.08 a year.
    assert by_name["Annual practice licence"].total == D("10283.16")
    assert by_name["Annual practice licence"].funding is Funding.CENTRAL
    assert by_name["Level 3 increment"].total == D("612.00")
    assert by_name["System support"].funding is Funding.COMMISSIONER
    assert cost.central == D("10895.16")
    assert cost.local == D("1995.24")
    assert cost.total == D("12890.40")


def test_per_patient_prices_take_the_practice_list_size(db):
    practice = factories.organisation(db, "A81003")  # 19,860 patients
    docflow = factories.item(db, "scanwise-docflow")
    licence = next(price for price in docflow.prices if price.unit is PriceUnit.PATIENT)
    assert default_quantity(licence, practice) == 19860
    cost = whole_life_cost(docflow, practice, 12, on=date(2016, 1, 1))
    # volume: 19860 x 0.24 = 4766.40; plus a one-off installation of 950. Document management
    # is additional IT: the practice pays it (unless its commissioner agrees, on an order).
    assert cost.recurring == D("4766.40")
    assert cost.one_off == D("950.00")
    assert cost.practice == cost.total
    assert cost.central == cost.commissioner == 0
