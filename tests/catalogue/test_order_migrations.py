"""Migrations as they happen to a practice: exact dates and money on unaligned dates, each
practice leaving the system it runs, never to the same system, the three audit-trail options
for every seeded system, and Level 2 enforced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalogue import orders
from catalogue.errors import InvalidInput
from catalogue.models import (
    AuditTrailOption,
    CatalogueItem,
    ItemKind,
    ItemStatus,
    Organisation,
    Price,
    Supplier,
)
from catalogue.orders.costs import LineKind, recurring_cost
from catalogue.orders.dates import ONE_DAY, months_after, months_in, period_end
from catalogue.pricing import PriceTerms
from catalogue.principal import Principal, Role

# The issue's example: go-live 2027-01-31, commencement 2026-12-01, 36 months.
TODAY = date(2026, 12, 1)
COMMENCEMENT = date(2026, 12, 1)
GO_LIVE = date(2027, 1, 31)


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        (date(2027, 2, 1), date(2027, 4, 30), Decimal(3)),  # after a go-live on 31 January
        (date(2027, 5, 1), date(2029, 11, 30), Decimal(31)),
        (date(2027, 3, 1), date(2028, 2, 29), Decimal(12)),  # a year ending on a leap day
        (date(2028, 3, 1), date(2028, 5, 31), Decimal(3)),  # after a go-live on 29 February
        (date(2027, 1, 16), date(2027, 4, 15), Decimal(3)),
        (date(2027, 3, 1), date(2027, 3, 31), Decimal(1)),
        (date(2028, 2, 1), date(2028, 2, 14), Decimal(14) / Decimal(29)),  # leap February
        (date(2027, 2, 1), date(2027, 2, 14), Decimal(14) / Decimal(28)),
        (date(2027, 1, 31), date(2027, 2, 27), Decimal(28) / Decimal(29)),
        (date(2027, 5, 1), date(2027, 4, 30), Decimal(0)),
    ],
)
def test_a_period_is_whole_months_by_corresponding_dates_then_days_of_that_month(
    first, last, months
):
    assert months_in(first, last) == months


@pytest.mark.parametrize(
    ("go_live", "bedding_in_end"),
    [
        (date(2027, 1, 31), date(2027, 4, 30)),
        (date(2027, 1, 29), date(2027, 4, 29)),
        (date(2027, 1, 30), date(2027, 4, 30)),
        (date(2028, 2, 29), date(2028, 5, 31)),
        (date(2027, 2, 28), date(2027, 5, 31)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2027, 12, 31), date(2028, 3, 31)),
    ],
)
def test_bedding_in_is_the_three_months_after_go_live(go_live, bedding_in_end):
    dates = orders.migration_dates(go_live)
    assert dates.bedding_in_end == bedding_in_end == months_after(go_live, 3)
    # Exactly 3 months long, counted from the day after go-live.
    assert (
        months_in(
            go_live.replace(day=go_live.day) + (dates.option_starts - dates.service_end),
            dates.bedding_in_end,
        )
        == 3
    )
    assert dates.earliest_notice_end == bedding_in_end
    assert dates.option_starts > bedding_in_end


def test_a_term_ends_on_the_day_before_its_corresponding_date():
    assert period_end(date(2026, 12, 1), 36) == date(2029, 11, 30)
    assert period_end(date(2027, 3, 1), 12) == date(2028, 2, 29)
    assert period_end(date(2027, 1, 31), 1) == date(2027, 2, 28)


def _exactly(amount: Decimal, expected: Decimal) -> bool:
    """Equal to far below a penny (the estimate works to 34 significant digits)."""
    return abs(amount - expected) < Decimal("1e-20")


def _one(db, model, **where):
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalars(query).one()


def _lines(db, slug: str) -> list[dict]:
    item = _one(db, CatalogueItem, slug=slug)
    return [
        {"catalogue_item_id": item.id, "price_id": price.id}
        for price in db.scalars(select(Price).where(Price.item_id == item.id).order_by(Price.id))
    ]


def _commissioner(db, ods: str = "13T") -> Principal:
    organisation = _one(db, Organisation, ods_code=ods)
    return Principal(Role.COMMISSIONER, "test", token_id=1, organisation_id=organisation.id)


def _place(db, actor: Principal | None = None, **overrides):
    data = {
        "framework": "gpsoc-r",
        "supplier_id": _one(db, Supplier, slug="tpp").id,
        "commencement_date": COMMENCEMENT,
        "term_months": 36,
        "recipients": ["A81001"],
        "items": _lines(db, "systmone"),
        "migration": {
            "planned_go_live": GO_LIVE,
            "audit_trail_option": "single_user_retention",
        },
    }
    data.update(overrides)
    return orders.create_order(db, actor or _commissioner(db), data, today=TODAY).order


def _by_kind(lines, kind: LineKind, price_name: str | None = None):
    return [
        line
        for line in lines
        if line.kind is kind and (price_name is None or line.price_name == price_name)
    ]


def test_the_issues_order_charges_31_months_of_retention_and_bedding_in_february_to_april(db):
    estimate = orders.estimate_order(db, _place(db))
    lines = estimate.recipients[0].lines

    (retention,) = _by_kind(lines, LineKind.AUDIT_TRAIL)
    assert (retention.first_day, retention.last_day) == (date(2027, 5, 1), date(2029, 11, 30))
    assert _exactly(retention.recurring_total, Decimal("1150") * 31 / 12)
    assert str(retention.recurring_total.quantize(Decimal("0.01"))) == "2970.83"
    assert _exactly(retention.per_year[0], Decimal("1150") * 7 / 12)
    assert retention.per_year[1:] == (Decimal("1150"), Decimal("1150"))

    licence = _by_kind(lines, LineKind.BEDDING_IN, "Annual practice licence")[0]
    assert (licence.first_day, licence.last_day) == (date(2027, 2, 1), date(2027, 4, 30))
    assert _exactly(licence.recurring_total, Decimal("3427.72") * 3 / 12)

    # EMIS LV until go-live: December and January, under its current call-off.
    before = _by_kind(lines, LineKind.PREVIOUS_SYSTEM, "Annual practice licence")[0]
    assert (before.first_day, before.last_day) == (date(2026, 12, 1), date(2027, 1, 31))
    assert _exactly(before.recurring_total, Decimal("3427.72") * 2 / 12)

    # SystmOne from the day after go-live to the end of the term: 34 months.
    systmone = next(
        line for line in _by_kind(lines, LineKind.ITEM) if line.price_name.startswith("Annual")
    )
    assert (systmone.first_day, systmone.last_day) == (date(2027, 2, 1), date(2029, 11, 30))
    assert _exactly(systmone.recurring_total, Decimal("4250") * 34 / 12)
    assert _exactly(systmone.per_year[0], Decimal("4250") * 10 / 12)


def test_a_go_live_on_a_leap_day_keeps_three_whole_months_of_bedding_in(db):
    order = _place(
        db,
        commencement_date=date(2027, 12, 1),
        term_months=24,
        migration={"planned_go_live": date(2028, 2, 29), "audit_trail_option": "full_support"},
    )
    lines = orders.estimate_order(db, order).recipients[0].lines
    licence = _by_kind(lines, LineKind.BEDDING_IN, "Annual practice licence")[0]
    assert (licence.first_day, licence.last_day) == (date(2028, 3, 1), date(2028, 5, 31))
    assert _exactly(licence.recurring_total, Decimal("3427.72") * 3 / 12)
    kept = _by_kind(lines, LineKind.AUDIT_TRAIL, "Annual practice licence")[0]
    assert kept.first_day == date(2028, 6, 1)
    assert _exactly(kept.recurring_total, Decimal("3427.72") * 18 / 12)


@pytest.mark.parametrize("day", [29, 30, 31])
def test_a_go_live_late_in_the_month_is_pro_rated_to_the_day(db, day):
    go_live = date(2027, 3, day)
    order = _place(
        db, migration={"planned_go_live": go_live, "audit_trail_option": "single_user_retention"}
    )
    lines = orders.estimate_order(db, order).recipients[0].lines
    systmone = next(
        line for line in _by_kind(lines, LineKind.ITEM) if line.price_name.startswith("Annual")
    )
    assert systmone.first_day == (date(2027, 3, day + 1) if day < 31 else date(2027, 4, 1))
    # To 30 November 2029: whole months by corresponding dates from go-live, then the days left
    # as a fraction of that month: from 29 March, 32 months reach 29 November 2029 and 1 day of
    # a 30-day month is left; from 30 or 31 March, 32 months reach 30 November exactly.
    months = {29: Decimal(32) + Decimal(1) / 30, 30: Decimal(32), 31: Decimal(32)}[day]
    assert _exactly(systmone.recurring_total, Decimal("4250") * months / 12)
    (retention,) = _by_kind(lines, LineKind.AUDIT_TRAIL)
    assert retention.first_day == months_after(go_live, 3) + ONE_DAY


def test_a_part_month_is_charged_by_the_days_of_that_month():
    terms = PriceTerms.from_json(
        {
            "price_id": None,
            "name": "Licence",
            "unit": "practice",
            "period": "year",
            "tier_calculation": "volume",
            "tiers": [{"lower_bound": 1, "upper_bound": None, "amount": "1200.00"}],
            "funding": "commissioner",
            "funding_reason": "",
            "effective_from": "2020-01-01",
            "effective_to": None,
        }
    )
    # 100 a month: 14 days of February 2028 (29 days) and of February 2027 (28 days).
    assert recurring_cost(terms, 1, date(2028, 2, 1), date(2028, 2, 14)) * 29 == 1400
    assert recurring_cost(terms, 1, date(2027, 2, 1), date(2027, 2, 14)) == 50


def test_a_migration_to_the_same_system_is_refused(db):
    # Gateshead Quays runs SystmOne: an order of SystmOne is no change of system for it.
    systmone = _one(db, CatalogueItem, slug="systmone")
    with pytest.raises(InvalidInput) as refused:
        _place(
            db,
            recipients=["A81003"],
            migration={"previous_system_id": systmone.id, "planned_go_live": GO_LIVE},
        )
    assert "already runs SystmOne" in str(refused.value.errors["migration.previous_system_id"])


def test_the_previous_system_must_be_the_one_the_practice_runs(db):
    emis_web = _one(db, CatalogueItem, slug="emis-web")
    with pytest.raises(InvalidInput) as refused:
        _place(db, migration={"previous_system_id": emis_web.id, "planned_go_live": GO_LIVE})
    message = str(refused.value.errors["migration.previous_system_id"])
    assert "A81001" in message and "runs EMIS LV, not EMIS Web" in message


def test_one_migration_naming_a_system_cannot_cover_practices_on_different_systems(db):
    emis_lv = _one(db, CatalogueItem, slug="emis-lv")
    with pytest.raises(InvalidInput) as refused:
        _place(
            db,
            recipients=["A81001", "A81002", "A81004"],
            migration={"previous_system_id": emis_lv.id, "planned_go_live": GO_LIVE},
        )
    message = str(refused.value.errors["migration.previous_system_id"])
    assert "A81002" in message and "A81004" in message and "A81001" not in message


def test_each_practice_leaves_the_system_it_runs(db):
    # Riverside (EMIS LV), Jesmond Road (EMIS Web), Gateshead Quays (already SystmOne) and
    # Heaton Park (Vision 3): three migrations, each from its own system.
    order = _place(
        db,
        recipients=["A81001", "A81002", "A81003", "A81004"],
        migration={"planned_go_live": GO_LIVE, "audit_trail_option": "audit_trail_retrieval"},
    )
    assert {m.organisation.ods_code: m.previous_system.slug for m in order.migrations} == {
        "A81001": "emis-lv",
        "A81002": "emis-web",
        "A81004": "vision-3",
    }
    estimate = orders.estimate_order(db, order)
    previous = {
        r.ods_code: {line.item_name for line in r.lines if line.kind is LineKind.BEDDING_IN}
        for r in estimate.recipients
    }
    assert previous == {
        "A81001": {"EMIS LV"},
        "A81002": {"EMIS Web"},
        "A81003": set(),
        "A81004": {"Vision 3"},
    }
    # Gateshead Quays keeps SystmOne: charged from commencement, no change from its baseline.
    quays = next(r for r in estimate.recipients if r.ods_code == "A81003")
    assert quays.change.total == 0


def test_per_recipient_migrations_carry_their_own_dates_and_options(db):
    order = _place(
        db,
        recipients=["A81001", "A81002"],
        migration=None,
        migrations=[
            {
                "ods_code": "A81001",
                "planned_go_live": GO_LIVE,
                "audit_trail_option": "full_support",
            },
            {
                "ods_code": "a81002",
                "planned_go_live": date(2027, 3, 31),
                "audit_trail_option": "single_user_retention",
                "audit_trail_quantity": 2,
            },
        ],
    )
    found = {m.organisation.ods_code: m for m in order.migrations}
    assert found["A81001"].audit_trail_option is AuditTrailOption.FULL_SUPPORT
    assert found["A81002"].planned_go_live == date(2027, 3, 31)
    assert found["A81002"].audit_trail_quantity == 2

    with pytest.raises(InvalidInput) as refused:
        _place(
            db,
            migration=None,
            migrations=[{"ods_code": "A81002", "planned_go_live": GO_LIVE}],
        )
    assert "migrations.0.ods_code" in refused.value.errors


def _seeded_systems(db) -> list[CatalogueItem]:
    return list(
        db.scalars(
            select(CatalogueItem)
            .where(
                CatalogueItem.kind == ItemKind.SYSTEM, CatalogueItem.status == ItemStatus.PUBLISHED
            )
            .order_by(CatalogueItem.slug)
        )
    )


def test_every_seeded_system_offers_all_three_options_priced_by_its_own_supplier(db):
    systems = _seeded_systems(db)
    assert len(systems) >= 9
    for system in systems:
        sources = orders.audit_trail_sources(db, system)
        for option, source in sources.items():
            assert source.available, f"{system.name}: {option.value}"
            assert source.item.supplier_id == system.supplier_id
            assert all(price.tiers for price in source.prices)


def test_options_are_listed_by_their_priced_cost_for_the_practice(db):
    order = _place(db)
    (migration,) = order.migrations
    priced = orders.option_costs(db, order, migration)
    costs = [p.cost for p in priced]
    assert None not in costs
    assert costs == sorted(costs, reverse=True)
    # Over 31 months: EMIS LV kept in full, then single-user retention, then one retrieval.
    assert [p.source.option for p in priced] == [
        AuditTrailOption.FULL_SUPPORT,
        AuditTrailOption.SINGLE_USER_RETENTION,
        AuditTrailOption.AUDIT_TRAIL_RETRIEVAL,
    ]
    assert _exactly(priced[1].cost, Decimal("1150") * 31 / 12)
    # Twenty retrieval requests cost more than one user kept for a few months: the order
    # follows the prices, not the source's list.
    short = _place(
        db,
        term_months=6,
        migration={
            "planned_go_live": GO_LIVE,
            "audit_trail_option": "audit_trail_retrieval",
            "audit_trail_quantity": 20,
        },
    )
    (migration,) = short.migrations
    ranked = [p.source.option for p in orders.option_costs(db, short, migration)]
    assert ranked.index(AuditTrailOption.AUDIT_TRAIL_RETRIEVAL) < ranked.index(
        AuditTrailOption.SINGLE_USER_RETENTION
    )


def test_a_system_below_level_2_cannot_be_ordered_or_submitted(db):
    order = _place(db)
    systmone = _one(db, CatalogueItem, slug="systmone")
    systmone.maturity_level = 1  # as if EPS were withdrawn (the API test removes it for real)
    db.flush()
    with pytest.raises(InvalidInput) as refused:
        _place(db)
    assert "Level 1" in str(refused.value.errors) and "Level 2" in str(refused.value.errors)
    assert orders.level_warnings(order)
    with pytest.raises(InvalidInput):
        orders.transition(db, _commissioner(db), order, orders.Transition.SUBMIT, today=TODAY)


def test_the_business_case_compares_with_keeping_the_current_system(db):
    estimate = orders.estimate_order(db, _place(db, recipients=["A81001", "A81003"]))
    riverside, quays = estimate.recipients
    # Riverside's baseline keeps EMIS LV for the 36 months at its current prices.
    assert riverside.current_system == "EMIS LV"
    assert {line.kind for line in riverside.baseline_lines} == {LineKind.BASELINE}
    assert _exactly(riverside.baseline.central, (Decimal("3427.72") + Decimal("204")) * 3)
    assert _exactly(riverside.baseline.local, Decimal("665.08") * 3)
    # The change, year by year, is the order less the baseline, central and local apart.
    change = riverside.change
    for year, ordered, kept in zip(
        change.years, riverside.summary.years, riverside.baseline.years, strict=True
    ):
        assert year.central == ordered.central - kept.central
        assert year.local == ordered.local - kept.local
    # Year 1: SystmOne for 10 months and EMIS LV for 5, against EMIS LV for 12.
    assert _exactly(
        change.years[0].central,
        Decimal("4454") * 10 / 12 + Decimal("3631.72") * 5 / 12 - Decimal("3631.72"),
    )
    # Gateshead Quays already runs SystmOne: no migration, no change.
    assert quays.current_system == "SystmOne"
    assert quays.change.total == 0
    # In total, the sum of the practices'.
    assert estimate.change.central == riverside.change.central + quays.change.central
    assert estimate.baseline.total == riverside.baseline.total + quays.baseline.total
