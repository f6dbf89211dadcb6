"""The seed catalogue (seed_data/*.yaml) and the synthetic catalogue, on real SQLite files."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from catalogue import estate
from catalogue.db import make_session_factory
from catalogue.maturity import derive_level, load_requirements
from catalogue.models import (
    Base,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    ItemKind,
    ItemStatus,
    Organisation,
    OrganisationKind,
    Price,
    ServiceCategory,
    TierCalculation,
)
from catalogue.pricing import validate_tiers
from catalogue.seeding import SEED_DIR, SeedDataError, seed_catalogue, seed_synthetic
from catalogue.seeding.read import SEED_FILES
from seed_data.synthetic import generate
from tests import factories
from tests.databases import fresh_database

TIMESTAMPS = frozenset({"created_at", "updated_at", "published_at"})


def _count(session: Session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# The tables the seed writes, in dependency order.
SEED_TABLES = (
    "framework",
    "lot",
    "capability",
    "maturity_level",
    "maturity_level_capability",
    "supplier",
    "catalogue_item",
    "item_capability",
    "price",
    "price_tier",
    "organisation",
)


def dump(session: Session, *, skip_columns: frozenset[str] = frozenset()) -> dict[str, list]:
    """Every row of the seeded tables, in primary-key order."""
    tables = Base.metadata.tables
    result = {}
    for name in SEED_TABLES:
        table = tables[name]
        columns = [column for column in table.columns if column.name not in skip_columns]
        rows = session.execute(select(*columns).order_by(*table.primary_key.columns))
        result[name] = [tuple(row) for row in rows]
    return result


# --------------------------------------------------------------------------- seed catalogue


def test_seed_loads_the_catalogue(empty_session_factory):
    with empty_session_factory.begin() as session:
        report = seed_catalogue(session)
    assert report.created["framework"] == 2
    assert report.created["lot"] == 4
    assert report.created["maturity_level"] == 3
    assert report.created["item"] >= 30
    assert sum(report.updated.values()) == 0
    assert "item" in str(report)
    with empty_session_factory() as session:
        assert _count(session, CatalogueItem) == report.created["item"]
        assert _count(session, Organisation) == report.created["organisation"]


def test_frameworks_and_lots(session_factory):
    with session_factory() as session:
        frameworks = {f.slug: f for f in session.scalars(select(Framework))}
        gpsoc, refresh = frameworks["gpsoc"], frameworks["gpsoc-r"]
        assert (gpsoc.start_date, gpsoc.end_date) == (date(2007, 4, 1), date(2014, 3, 31))
        assert gpsoc.max_term_months == 96
        assert gpsoc.status is FrameworkStatus.EXPIRED
        assert [lot.number for lot in gpsoc.lots] == [1]
        assert (refresh.start_date, refresh.end_date) == (date(2014, 4, 1), date(2018, 3, 31))
        assert refresh.continuity_end_date == date(2019, 12, 31)
        assert refresh.status is FrameworkStatus.LIVE
        assert [(lot.number, lot.default_funding.value) for lot in refresh.lots] == [
            (1, "central"),
            (2, "commissioner"),
            (3, "commissioner"),
        ]


def test_seeding_twice_changes_nothing(session_factory):
    with session_factory() as session:
        before = dump(session)
    with session_factory.begin() as session:
        report = seed_catalogue(session)
        assert not session.dirty and not session.new and not session.deleted
    assert report.changed == 0, str(report)
    with session_factory() as session:
        assert dump(session) == before
        versions = session.scalars(select(CatalogueItem.version)).all()
    assert set(versions) == {1}


@pytest.mark.parametrize(
    ("slug", "level"),
    [
        ("emis-web", 3),
        ("systmone", 3),
        ("vision-3", 3),
        ("emis-lv", 3),
        ("emis-pcs", 2),
        ("synergy", 2),
        ("premiere", 2),
        ("evolution", 2),
        ("practice-manager-ii", 2),
    ],
)
def test_principal_system_levels_are_derived(session_factory, slug, level):
    with session_factory() as session:
        item = factories.item(session, slug)
        assert item.kind is ItemKind.SYSTEM
        assert item.maturity_level == level
        assert item.maturity_level == derive_level(
            item.capability_codes, load_requirements(session)
        )


def test_isoft_and_microtest_systems_lack_gp2gp(session_factory):
    with session_factory() as session:
        for slug in ("synergy", "premiere", "evolution", "practice-manager-ii"):
            assert "gp2gp" not in factories.item(session, slug).capability_codes
            assert "eps" in factories.item(session, slug).capability_codes


@pytest.mark.parametrize(
    ("slug", "amount"),
    [
        ("emis-web", "3427.72"),
        ("emis-lv", "3427.72"),
        ("emis-pcs", "3427.72"),
        ("vision-3", "4681.00"),
        ("synergy", "4997.31"),
        ("premiere", "4997.31"),
        ("evolution", "5592.81"),
        ("practice-manager-ii", "5592.81"),
    ],
)
def test_hansard_licence_prices_are_exact(session_factory, slug, amount):
    with session_factory() as session:
        price = factories.price(session, slug, "Annual practice licence")
        assert price.is_flat
        assert price.flat_amount == Decimal(amount)
        assert isinstance(price.flat_amount, Decimal)
        assert price.funding.value == "central"
        assert not price.illustrative
        assert "Hansard" in price.source


def test_other_hansard_figures_and_illustrative_tpp(session_factory):
    with session_factory() as session:
        support = factories.price(session, "emis-web", "System support")
        assert support.flat_amount == Decimal("665.08")
        assert support.funding.value == "commissioner"
        increment = factories.price(session, "vision-3", "Level 3 increment")
        assert increment.flat_amount == Decimal("204")
        assert increment.funding.value == "central"
        tpp = factories.price(session, "systmone", "Annual practice licence")
        assert tpp.illustrative
        # Level 2 systems have no Level 3 increment to pay.
        assert "Level 3 increment" not in {
            p.name for p in factories.item(session, "synergy").prices
        }


def test_every_seeded_item_is_published_and_accredited(session_factory):
    with session_factory() as session:
        items = session.scalars(select(CatalogueItem)).all()
        assert items
        for item in items:
            assert item.status is ItemStatus.PUBLISHED, item.slug
            assert item.published_at is not None, item.slug
            assert item.accredited_on is not None, item.slug
            assert item.version == 1


def test_every_price_has_valid_tiers(session_factory):
    with session_factory() as session:
        prices = session.scalars(select(Price).options(selectinload(Price.tiers))).all()
        for price in prices:
            validate_tiers([(t.lower_bound, t.upper_bound) for t in price.tiers])
        tiered = [price for price in prices if len(price.tiers) > 1]
        calculations = {price.tier_calculation for price in tiered}
        assert {TierCalculation.VOLUME, TierCalculation.CUMULATIVE} <= calculations
        assert all(price.unit.value == "patient" for price in tiered)


def test_migration_services_of_the_main_suppliers(session_factory):
    wanted = {
        ServiceCategory.MIGRATION,
        ServiceCategory.TRAINING,
        ServiceCategory.AUDIT_TRAIL_RETRIEVAL,
        ServiceCategory.SINGLE_USER_RETENTION,
    }
    with session_factory() as session:
        services = session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.kind == ItemKind.SERVICE)
            .options(selectinload(CatalogueItem.supplier), selectinload(CatalogueItem.parent))
        ).all()
        for supplier in ("emis", "tpp", "inps"):
            categories = {s.category for s in services if s.supplier.slug == supplier}
            assert wanted <= categories, supplier
        for service in services:
            assert service.category is not None
            if service.parent is not None:
                assert service.parent.supplier_id == service.supplier_id


def test_organisations(session_factory):
    with session_factory() as session:
        organisations = session.scalars(
            select(Organisation).options(selectinload(Organisation.estate))
        ).all()
        commissioners = [o for o in organisations if o.kind is OrganisationKind.COMMISSIONER]
        practices = [o for o in organisations if o.kind is OrganisationKind.PRACTICE]
        assert {o.ods_code for o in commissioners} >= {"05X", "13T"}
        assert {o.commissioner_type for o in commissioners} == {"PCT", "CCG", "ICB"}
        assert len(practices) >= 10
        assert all(2000 <= p.list_size <= 20000 for p in practices)
        assert all(p.commissioner_id is not None for p in practices)
        runs = [estate.runs_now(p) for p in practices]
        assert "emis-lv" in {r.system.slug for r in runs if r is not None}


def _copy_seed(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    target.mkdir()
    for name in SEED_FILES:
        shutil.copy(SEED_DIR / name, target / name)
    return target


def _edit_items(seed_dir: Path, edit) -> None:
    path = seed_dir / "items.yaml"
    data = yaml.safe_load(path.read_text())
    edit({item["slug"]: item for item in data["items"]})
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_changed_seed_updates_rows_and_bumps_versions(session_factory, tmp_path):
    seed_dir = _copy_seed(tmp_path)

    def edit(items):
        item = items["emis-web"]
        item["description"] = "Changed."
        item["prices"] = [dict(price) for price in item["prices"]]
        item["prices"][0]["tiers"] = [
            {"lower_bound": 1, "upper_bound": 5, "amount": "3500.00"},
            {"lower_bound": 6, "upper_bound": None, "amount": "3400.00"},
        ]
        items["synergy"]["capabilities"] = [*items["synergy"]["capabilities"], "gp2gp"]

    _edit_items(seed_dir, edit)
    with session_factory.begin() as session:
        report = seed_catalogue(session, seed_dir)
    assert report.updated["item"] == 2
    assert report.updated["price"] == 1
    assert report.created["item"] == 0
    with session_factory() as session:
        web = factories.item(session, "emis-web")
        assert web.description == "Changed."
        assert web.version == 2
        tiers = factories.price(session, "emis-web", "Annual practice licence").tiers
        assert [(t.lower_bound, t.upper_bound, t.amount) for t in tiers] == [
            (1, 5, Decimal("3500.00")),
            (6, None, Decimal("3400.00")),
        ]
        synergy = factories.item(session, "synergy")
        assert synergy.maturity_level == 3
        assert synergy.version == 2
    with session_factory.begin() as session:
        assert seed_catalogue(session, seed_dir).changed == 0


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"lower_bound": 2, "upper_bound": None, "amount": "1.00"}], "start at 1"),
        (
            [
                {"lower_bound": 1, "upper_bound": 10, "amount": "1.00"},
                {"lower_bound": 12, "upper_bound": None, "amount": "1.00"},
            ],
            "must start at 11",
        ),
        ([{"lower_bound": 1, "upper_bound": 100, "amount": "1.00"}], "open-ended"),
        (
            [
                {"lower_bound": 1, "upper_bound": None, "amount": "1.00"},
                {"lower_bound": 2, "upper_bound": None, "amount": "1.00"},
            ],
            "only the last tier",
        ),
        ([], "at least one tier"),
        ([{"lower_bound": 1, "upper_bound": None, "amount": 3427.72}], "quoted string"),
        ([{"lower_bound": 1, "upper_bound": None, "amount": "1.00001"}], "decimal places"),
        ([{"lower_bound": 1, "upper_bound": None, "amount": "-1"}], "non-negative"),
    ],
)
def test_bad_tier_data_raises_a_clear_error(empty_session_factory, tmp_path, tiers, message):
    seed_dir = _copy_seed(tmp_path)

    def edit(items):
        items["emis-web"]["prices"] = [dict(items["emis-web"]["prices"][0], tiers=tiers)]

    _edit_items(seed_dir, edit)
    with empty_session_factory() as session:
        with pytest.raises(SeedDataError) as raised:
            seed_catalogue(session, seed_dir)
        text = str(raised.value)
        assert "items.yaml" in text
        assert "'emis-web'" in text
        assert "'Annual practice licence'" in text
        assert message in text
        # Validation comes before writing: nothing was added.
        assert _count(session, Framework) == 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda items: items["emis-web"].update(capabilities=["teleportation"]), "unknown capab"),
        (lambda items: items["emis-web"].update(supplier="nobody"), "unknown supplier"),
        (lambda items: items["emis-web"].update(lot=9), "unknown lot 9"),
        (lambda items: items["emis-web"].update(parent="systmone"), "has no parent"),
        (lambda items: items["emis-training"].update(category=None), "needs a category"),
        (lambda items: items["emis-training"].update(parent="nothing"), "unknown parent"),
        (lambda items: items["emis-web"].update(hosting="cloud"), "'hosting' must be one of"),
    ],
)
def test_bad_item_data_raises_a_clear_error(empty_session_factory, tmp_path, edit, message):
    seed_dir = _copy_seed(tmp_path)
    _edit_items(seed_dir, edit)
    with empty_session_factory() as session, pytest.raises(SeedDataError, match=message) as raised:
        seed_catalogue(session, seed_dir)
    assert "items.yaml" in str(raised.value)


def test_validate_tiers_accepts_contiguous_open_ended_tiers():
    validate_tiers([(1, None)])
    validate_tiers([(1, 5000), (5001, 10000), (10001, None)])
    validate_tiers([(1, 1), (2, None)])
    with pytest.raises(ValueError, match="ends"):
        validate_tiers([(1, 5), (6, 3), (4, None)])


# --------------------------------------------------------------------------- synthetic


def test_generator_is_deterministic_and_a_prefix_of_longer_runs():
    kwargs = {
        "suppliers": ["a", "b", "c"],
        "lots": [("gpsoc-r", 1), ("gpsoc-r", 2)],
        "capability_codes": ["choose-and-book", "spine-connection", "pds", "eps", "gp2gp", "x"],
        "ladder": [["choose-and-book", "pds", "spine-connection"], ["eps"], ["gp2gp"]],
    }
    first = list(generate(50, 3, **kwargs))
    assert first == list(generate(50, 3, **kwargs))
    assert list(generate(80, 3, **kwargs))[:50] == first
    assert first != list(generate(50, 4, **kwargs))
    assert first[7]["slug"] == "synthetic-3-000007"
    for item in first:
        assert 2 <= len(item["prices"]) <= 3
        assert 3 <= len(item["capabilities"]) <= 8
        for price in item["prices"]:
            validate_tiers([(t["lower_bound"], t["upper_bound"]) for t in price["tiers"]])
            assert all(isinstance(t["amount"], Decimal) for t in price["tiers"])
        if item["kind"] == "system":
            assert item["lot"][1] == 1
            assert item["parent"] is None


def test_synthetic_is_deterministic_across_databases(tmp_path):
    # Two databases of their own: the dumps compare primary keys, and PostgreSQL's sequences
    # do not roll back with the test's transaction.
    dumps = []
    for _ in range(2):
        with fresh_database(tmp_path, seed=False) as engine:
            dumps.append(_seed_and_dump_synthetic(make_session_factory(engine)))
    assert dumps[0] == dumps[1]


def _seed_and_dump_synthetic(factory: sessionmaker[Session]) -> tuple:
    with factory.begin() as session:
        seed_catalogue(session)
        assert seed_synthetic(session, 200, random_seed=5) == 200
    with factory() as session:
        # The real seed's timestamps are "now"; the synthetic ones are derived.
        rows = dump(session, skip_columns=TIMESTAMPS)
        stamps = session.execute(
            select(CatalogueItem.slug, CatalogueItem.created_at, CatalogueItem.published_at)
            .where(CatalogueItem.slug.startswith("synthetic-"))
            .order_by(CatalogueItem.id)
        ).all()
        return rows, stamps


def test_synthetic_is_idempotent_and_reports_progress(session_factory):
    done: list[int] = []
    with session_factory.begin() as session:
        added = seed_synthetic(session, 250, random_seed=1, progress=done.append, batch_size=100)
    assert added == 250
    assert done == [100, 100, 50]
    with session_factory() as session:
        before = dump(session)
    with session_factory.begin() as session:
        assert seed_synthetic(session, 250, random_seed=1) == 0
        # A longer run with the same seed adds only the new tail.
        assert seed_synthetic(session, 260, random_seed=1) == 10
    with session_factory() as session:
        after = dump(session)
        assert len(after["catalogue_item"]) == len(before["catalogue_item"]) + 10
        assert (
            after["catalogue_item"][: len(before["catalogue_item"])] == (before["catalogue_item"])
        )


def test_synthetic_items_are_consistent(session_factory):
    with session_factory.begin() as session:
        seed_synthetic(session, 300, random_seed=2)
    with session_factory() as session:
        requirements = load_requirements(session)
        items = session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.slug.startswith("synthetic-2-"))
            .options(
                selectinload(CatalogueItem.capabilities),
                selectinload(CatalogueItem.prices).selectinload(Price.tiers),
                selectinload(CatalogueItem.parent),
                selectinload(CatalogueItem.lot),
            )
        ).all()
        assert len(items) == 300
        published = [item for item in items if item.status is ItemStatus.PUBLISHED]
        assert len(published) >= 0.85 * len(items)
        kinds = {kind: sum(item.kind is kind for item in items) for kind in ItemKind}
        assert all(count > 0 for count in kinds.values())
        assert {item.maturity_level for item in items if item.kind is ItemKind.SYSTEM} >= {2, 3}
        for item in items:
            assert item.version == 1
            assert item.maturity_level == derive_level(item.capability_codes, requirements)
            assert 3 <= len(item.capabilities) <= 8
            assert 2 <= len(item.prices) <= 3
            assert (item.category is not None) == (item.kind is ItemKind.SERVICE)
            if item.parent is not None:
                assert item.parent.kind is ItemKind.SYSTEM
                assert item.parent.supplier_id == item.supplier_id
            if item.status is ItemStatus.PUBLISHED:
                assert item.published_at is not None
            for price in item.prices:
                validate_tiers([(t.lower_bound, t.upper_bound) for t in price.tiers])


def test_synthetic_loads_the_seed_catalogue_when_it_is_missing(empty_session_factory):
    with empty_session_factory.begin() as session:
        assert seed_synthetic(session, 20, random_seed=0) == 20
    with empty_session_factory() as session:
        assert session.scalar(select(Framework).where(Framework.slug == "gpsoc-r")) is not None
        assert factories.item(session, "emis-web").maturity_level == 3
