"""The order rules that need no HTTP: calendar months, the migration dates, the lifecycle
table, and the cost estimate over part years and migration windows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.orders import presenters
from api.orders.estimate_schemas import CostEstimateSchema
from catalogue import orders
from catalogue.errors import InvalidInput
from catalogue.models import (
    ChargeType,
    Funding,
    OrderStatus,
    Price,
    PricePeriod,
    PriceTier,
    PriceUnit,
)
from catalogue.orders.dates import add_months, period_end, whole_months_between
from catalogue.orders.lifecycle import Transition
from catalogue.principal import Principal
from tests import factories


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 5, 31), -3, date(2026, 2, 28)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_whole_months_between_counts_only_completed_months():
    assert whole_months_between(date(2026, 1, 15), date(2026, 4, 14)) == 2
    assert whole_months_between(date(2026, 1, 15), date(2026, 4, 15)) == 3
    assert whole_months_between(date(2026, 4, 15), date(2026, 1, 15)) == 0


def test_bedding_in_and_notice_run_three_months_from_business_go_live():
    dates = orders.migration_dates(date(2026, 11, 30), actual=True)
    assert dates.bedding_in_end == date(2027, 2, 28)
    assert dates.service_end == dates.bedding_in_end
    assert dates.notice_to_be_given_by == date(2026, 11, 30)
    assert dates.earliest_notice_end >= add_months(dates.go_live, 3)


def test_cancelled_before_live_and_terminated_after():
    assert orders.allowed_from(OrderStatus.DRAFT) == [Transition.SUBMIT, Transition.CANCEL]
    assert orders.allowed_from(OrderStatus.ACCEPTED) == [Transition.GO_LIVE, Transition.CANCEL]
    assert orders.allowed_from(OrderStatus.LIVE) == [Transition.COMPLETE, Transition.TERMINATE]
    assert orders.allowed_from(OrderStatus.COMPLETED) == []


def _price(db, slug: str, name: str) -> tuple[int, int]:
    price = factories.price(db, slug, name)
    return price.item_id, price.id


@pytest.fixture
def ccg(db) -> Principal:
    return factories.commissioner_principal(db, "13T")


def _order(db, ccg, **overrides):
    if "migration" not in overrides and "migrations" not in overrides:
        # Both practices already run SystmOne: the order renews it (no change of system).
        factories.runs(db, "A81001", "systmone")
        factories.runs(db, "A81002", "systmone")
    start = date.today().replace(day=1)
    licence = _price(db, "systmone", "Annual practice licence")
    support = _price(db, "systmone", "System support")
    training = _price(db, "systmone-training", "Trainer day")
    data = {
        "framework": "gpsoc-r",
        "supplier_id": factories.supplier_id(db, "tpp"),
        "commencement_date": start,
        "term_months": 18,
        "recipients": ["A81001", "A81002"],
        "items": [
            {"catalogue_item_id": licence[0], "price_id": licence[1], "quantities": {}},
            {"catalogue_item_id": support[0], "price_id": support[1], "quantities": {}},
            {
                "catalogue_item_id": training[0],
                "price_id": training[1],
                "quantities": {"A81002": 3},
            },
        ],
    }
    data.update(overrides)
    return orders.create_order(db, ccg, data).order


def test_a_part_year_is_pro_rata_and_one_offs_fall_in_the_first_year(db, ccg):
    estimate = orders.estimate_order(db, _order(db, ccg))
    assert [(span.year, span.months) for span in estimate.years] == [(1, 12), (2, 6)]
    riverside, jesmond = estimate.recipients
    # Licence 4250 central, support 650 the commissioner's: 12 months then 6.
    assert riverside.summary.years[0].recurring.central == Decimal("4250")
    assert riverside.summary.years[1].recurring.central == Decimal("2125")
    assert riverside.summary.years[1].recurring.commissioner == Decimal("325")
    # Training: 1 day by default, 3 days for Jesmond Road, one-off and the commissioner's.
    assert riverside.summary.one_off.commissioner == Decimal("550")
    assert jesmond.summary.one_off.commissioner == Decimal("1650")
    totals = estimate.totals
    assert totals.central == 2 * Decimal("6375")
    assert totals.commissioner == 2 * Decimal("975") + Decimal("550") + Decimal("1650")
    assert totals.practice == 0
    assert totals.total == totals.central + totals.commissioner


def test_the_business_case_splits_every_year_three_ways_to_the_exact_penny(db, ccg):
    """A price the practice pays beside SystmOne's central licence and the commissioner's
    support: every part of the estimate is split three ways, and the parts add up exactly
    (Decimals, unrounded), per practice, per year, one-off and recurring, and in total."""
    systmone = factories.item(db, "systmone")
    extra = Price(
        name="Practice-requested archive",
        charge_type=ChargeType.OTHER,
        unit=PriceUnit.PATIENT,
        period=PricePeriod.YEAR,
        funding=Funding.PRACTICE,
        effective_from=date(2014, 4, 1),
        tiers=[PriceTier(lower_bound=1, upper_bound=None, amount=Decimal("0.0123"))],
    )
    systmone.prices.append(extra)
    db.flush()
    order = _order(db, ccg)
    order = orders.update_order(
        db,
        ccg,
        order,
        {
            "items": [
                *(
                    {"catalogue_item_id": line.catalogue_item_id, "price_id": line.price_id}
                    for line in order.items
                ),
                {"catalogue_item_id": systmone.id, "price_id": extra.id},
            ]
        },
    )
    estimate = orders.estimate_order(db, order)
    riverside, jesmond = estimate.recipients
    # 8432 patients at 0.0123 a year: 103.7136 in year 1, half of it in the 6 months of year 2.
    assert riverside.summary.years[0].recurring.practice == Decimal("103.7136")
    assert riverside.summary.years[1].recurring.practice == Decimal("51.8568")
    totals = estimate.totals
    assert totals.central > 0 and totals.commissioner > 0 and totals.practice > 0
    for summary in (riverside.summary, jesmond.summary, totals, estimate.baseline):
        for split in (
            summary.one_off,
            summary.recurring,
            *(year.one_off for year in summary.years),
            *(year.recurring for year in summary.years),
        ):
            assert split.total == split.central + split.commissioner + split.practice
        assert summary.total == summary.central + summary.commissioner + summary.practice
        assert summary.practice == sum(
            (year.one_off.practice + year.recurring.practice for year in summary.years), Decimal(0)
        )
    for payer in ("central", "commissioner", "practice"):
        assert getattr(totals, payer) == sum(
            getattr(recipient.summary, payer) for recipient in estimate.recipients
        )
    # The change from the baseline, payer by payer, is the order less the baseline.
    assert estimate.change.practice == totals.practice - estimate.baseline.practice
    assert estimate.change.total == (
        estimate.change.central + estimate.change.commissioner + estimate.change.practice
    )


def test_full_support_keeps_the_previous_system_after_bedding_in_at_local_cost(db, ccg):
    start = date.today().replace(day=1)
    emis_lv = factories.item(db, "emis-lv")
    order = _order(
        db,
        ccg,
        term_months=12,
        recipients=["A81001"],
        items=[],
        migration={
            "previous_system_id": emis_lv.id,
            # The last day of month 3: bedding-in is months 4 to 6.
            "planned_go_live": period_end(start, 3),
            "audit_trail_option": "full_support",
        },
    )
    lines = orders.estimate_order(db, order).recipients[0].lines
    bedding_in = [line for line in lines if line.kind.value == "bedding_in"]
    after = [line for line in lines if line.kind.value == "audit_trail"]
    licence = next(line for line in bedding_in if line.price_name == "Annual practice licence")
    assert licence.funding is Funding.CENTRAL
    assert licence.recurring_total == Decimal("3427.72") * 3 / 12  # months 4 to 6
    # After bedding-in (months 7 to 12) the whole previous service is the commissioner's.
    assert {line.funding for line in after} == {Funding.COMMISSIONER}
    kept = next(line for line in after if line.price_name == "Annual practice licence")
    assert kept.recurring_total == Decimal("3427.72") * 6 / 12


def test_single_user_retention_is_priced_per_user_from_the_previous_suppliers_catalogue(db, ccg):
    start = date.today().replace(day=1)
    emis_lv = factories.item(db, "emis-lv")
    order = _order(
        db,
        ccg,
        term_months=24,
        recipients=["A81001"],
        items=[],
        migration={
            "previous_system_id": emis_lv.id,
            # The last day of month 1: bedding-in is months 2 to 4.
            "planned_go_live": period_end(start, 1),
            "audit_trail_option": "single_user_retention",
            "audit_trail_quantity": 2,
        },
    )
    after = [
        line
        for line in orders.estimate_order(db, order).recipients[0].lines
        if line.kind.value == "audit_trail"
    ]
    assert [(line.item_name, line.quantity) for line in after] == [
        ("EMIS single user retention of the previous system", 2)
    ]
    # 1150 per user per year, 2 users, months 5 to 24 (20 months).
    assert after[0].recurring_total == Decimal("1150") * 2 * 20 / 12


def test_the_fast_estimate_body_is_exactly_what_the_schema_documents(db, ccg):
    # Riverside leaves EMIS LV and Jesmond Road EMIS Web, each from the system it runs.
    order = _order(
        db,
        ccg,
        migration={
            "planned_go_live": date.today().replace(day=1),
            "audit_trail_option": "audit_trail_retrieval",
        },
    )
    estimate = orders.estimate_order(db, order)
    assert presenters.estimate(estimate) == CostEstimateSchema().dump(estimate)


@pytest.mark.parametrize(("day", "months"), [(date(9999, 12, 1), 1), (date(1, 1, 31), -1)])
def test_months_beyond_the_calendar_are_invalid_input_not_a_crash(day, months):
    with pytest.raises(InvalidInput):
        add_months(day, months)
