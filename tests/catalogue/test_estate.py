"""The estate in the domain: the rules that read it and the recorded events that change it."""

from __future__ import annotations

from datetime import date

import pytest

from catalogue import estate, orders
from catalogue.errors import InvalidInput
from catalogue.orders.dates import add_months, period_end
from catalogue.principal import Principal, Role
from tests import factories


@pytest.fixture
def ccg(db) -> Principal:
    return factories.commissioner_principal(db, "13T")


def _lines(db, slug: str, *names: str) -> list[dict]:
    by_name = factories.price_ids(db, slug)
    return [
        {
            "catalogue_item_id": factories.item_id(db, slug),
            "price_id": by_name[name],
            "quantities": {},
        }
        for name in (names or by_name)
    ]


def _migration_order(db, ccg, start: date, term: int, go_live: date, **migration):
    data = {
        "framework": "gpsoc-r",
        "supplier_id": factories.supplier_id(db, "tpp"),
        "commencement_date": start,
        "term_months": term,
        "recipients": ["A81001"],
        "items": _lines(db, "systmone"),
        "migration": {
            "planned_go_live": go_live,
            "audit_trail_option": "audit_trail_retrieval",
            **migration,
        },
    }
    return orders.create_order(db, ccg, data).order


def _through(db, ccg, order, *steps: str, go_live: date | None = None, supplier: str = "tpp"):
    tpp = factories.supplier_principal(db, supplier)
    for step in steps:
        actor = tpp if step in {"accept", "go-live"} else ccg
        orders.transition(db, actor, order, orders.Transition(step), go_live_date=go_live)
    db.flush()
    return order


def test_a_two_month_term_live_on_its_last_day_has_no_line_ending_before_it_starts(db, ccg):
    start = add_months(date.today().replace(day=1), -2)
    last_day = period_end(start, 2)
    order = _migration_order(db, ccg, start, 2, last_day)
    estimate = orders.estimate_order(db, order)
    for recipient in estimate.recipients:
        for line in recipient.lines + recipient.baseline_lines:
            assert line.first_day <= line.last_day, line
    _through(db, ccg, order, "submit", "accept", "go-live", go_live=last_day)
    for recipient in orders.estimate_order(db, order).recipients:
        assert all(line.first_day <= line.last_day for line in recipient.lines)


def test_an_actual_go_live_that_moves_bedding_in_asks_for_a_new_acknowledgement(db, ccg):
    start = add_months(date.today().replace(day=1), -2)
    planned = period_end(start, 2)
    order = _migration_order(db, ccg, start, 36, planned)
    _through(db, ccg, order, "submit")
    (migration,) = order.migrations
    orders.acknowledge(db, factories.supplier_principal(db, "emis"), migration)
    assert migration.acknowledged_at is not None
    _through(db, ccg, order, "accept", "go-live", go_live=planned - (planned - start) // 2)
    assert migration.acknowledged_at is None and migration.acknowledged_by is None


def test_an_actual_go_live_on_the_planned_day_keeps_the_acknowledgement(db, ccg):
    start = add_months(date.today().replace(day=1), -2)
    planned = period_end(start, 2)
    order = _migration_order(db, ccg, start, 36, planned)
    _through(db, ccg, order, "submit")
    (migration,) = order.migrations
    orders.acknowledge(db, factories.supplier_principal(db, "emis"), migration)
    _through(db, ccg, order, "accept", "go-live", go_live=planned)
    assert migration.acknowledged_at is not None


def test_go_live_in_the_future_is_refused_and_the_level_is_not_applied(db, ccg):
    factories.runs(db, "A81001", "emis-lv", level=2)
    start = date.today().replace(day=1)
    data = {
        "framework": "gpsoc-r",
        "supplier_id": factories.supplier_id(db, "emis"),
        "commencement_date": start,
        "term_months": 36,
        "recipients": ["A81001"],
        "items": _lines(db, "emis-lv", "Level 3 increment"),
        "upgrades": [{"ods_code": "A81001", "to_level": 3}],
    }
    order = orders.create_order(db, ccg, data).order
    _through(db, ccg, order, "submit", "accept", supplier="emis")
    tomorrow = date.fromordinal(date.today().toordinal() + 1)
    with pytest.raises(InvalidInput) as refused:
        _through(db, ccg, order, "go-live", go_live=tomorrow, supplier="emis")
    assert "go_live_date" in refused.value.errors
    running = estate.runs_now(factories.organisation(db, "A81001"))
    assert running is not None and running.level == 2


def test_a_level_increment_without_an_upgrade_is_incomplete(db, ccg):
    factories.runs(db, "A81001", "emis-lv", level=2)
    data = {
        "framework": "gpsoc-r",
        "supplier_id": factories.supplier_id(db, "emis"),
        "commencement_date": date.today().replace(day=1),
        "term_months": 36,
        "recipients": ["A81001"],
        "items": _lines(db, "emis-lv", "Level 3 increment"),
    }
    order = orders.create_order(db, ccg, data).order
    missing = orders.completeness(db, order)
    assert any(
        m.field == "items.0"
        and "Level 3 increment is ordered for A81001" in m.message
        and "without an upgrade" in m.message
        for m in missing
    ), missing


def test_a_draft_whose_practice_has_since_moved_is_incomplete(db, ccg):
    """A draft migrating from EMIS LV; the practice is then recorded on SystmOne: the draft's
    migration is from a system it no longer runs."""
    start = date.today().replace(day=1)
    order = _migration_order(db, ccg, start, 36, period_end(start, 2))
    factories.runs(db, "A81001", "vision-3")
    missing = orders.completeness(db, order)
    assert any("no longer runs EMIS LV" in m.message for m in missing), missing


def test_the_authority_records_a_practice_s_system_in_its_history(db):
    practice = factories.organisation(db, "A81004")
    factories.runs(db, "A81004", "emis-web", level=2)
    running = estate.runs_now(practice)
    assert running is not None
    assert (running.system.slug, running.level, running.recorded_level) == ("emis-web", 2, 2)
    history = estate.history_of(db, practice)
    assert [change.event.value for change in history] == ["seeded", "recorded"]
    assert history[-1].previous_system is not None
    assert history[-1].previous_system.slug == "vision-3"
    assert Role.AUTHORITY.value in history[-1].recorded_by
