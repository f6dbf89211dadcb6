"""The `gpsoc` command on a database of its own: schema, idempotent seed, synthetic items."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api.cli import main
from catalogue.db import make_session_factory
from catalogue.models import CatalogueItem, Price, SearchOutbox
from tests.databases import fresh_database


@pytest.fixture
def empty_database(tmp_path, monkeypatch):
    with fresh_database(tmp_path, seed=False, migrate=False) as engine:
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("GPSOC_DATA_DIR", str(tmp_path / "data"))
        # The seed builds the search index: the embedded one of this test, never a shared
        # cluster's default index.
        monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
        yield engine


def _snapshot(engine) -> list[tuple]:
    with make_session_factory(engine)() as session:
        items = session.execute(
            select(
                CatalogueItem.slug, CatalogueItem.version, CatalogueItem.maturity_level
            ).order_by(CatalogueItem.slug)
        ).all()
        prices = session.scalar(select(func.count(Price.id)))
    return [*items, ("prices", prices)]


def test_init_db_then_seed_twice_changes_nothing_the_second_time(empty_database):
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    assert runner.invoke(main, ["init-db"]).exit_code == 0  # already at head: harmless

    first = runner.invoke(main, ["seed"])
    assert first.exit_code == 0, first.output
    after_first = _snapshot(empty_database)
    assert len(after_first) > 30

    second = runner.invoke(main, ["seed"])
    assert second.exit_code == 0, second.output
    assert "0 created" in second.output and " 1 created" not in second.output
    assert _snapshot(empty_database) == after_first


def test_synthetic_seed_adds_exactly_n_items_once(empty_database):
    runner = CliRunner()
    runner.invoke(main, ["init-db"])
    runner.invoke(main, ["seed"])
    before = len(_snapshot(empty_database))

    added = runner.invoke(main, ["seed", "--synthetic", "40", "--random-seed", "3"])
    assert added.exit_code == 0, added.output
    assert "Added 40 synthetic items" in added.output
    assert len(_snapshot(empty_database)) == before + 40

    again = runner.invoke(main, ["seed", "--synthetic", "40", "--random-seed", "3"])
    assert again.exit_code == 0
    assert len(_snapshot(empty_database)) == before + 40


def test_bad_arguments_are_refused_with_a_message(empty_database):
    result = CliRunner().invoke(main, ["seed", "--synthetic", "0"])
    assert result.exit_code == 2
    assert "synthetic" in result.output


def test_create_token_issues_a_practice_token_bound_to_a_practice(empty_database):
    from catalogue import accounts
    from catalogue.models import Organisation

    runner = CliRunner()
    runner.invoke(main, ["init-db"])
    runner.invoke(main, ["seed"])
    with make_session_factory(empty_database)() as session:
        practice, ccg = (
            session.scalars(select(Organisation.id).where(Organisation.ods_code == ods)).one()
            for ods in ("A81001", "13T")
        )
    issued = runner.invoke(
        main, ["create-token", "--role", "practice", "--organisation", str(practice)]
    )
    assert issued.exit_code == 0, issued.output
    with make_session_factory(empty_database)() as session:
        principal = accounts.authenticate(session, issued.output.strip().splitlines()[-1])
    assert principal.role.value == "practice" and principal.organisation_id == practice

    refused = runner.invoke(
        main, ["create-token", "--role", "practice", "--organisation", str(ccg)]
    )
    assert refused.exit_code != 0
    assert "practice organisation" in refused.output


COMMANDS = [
    ["init-db"],
    ["seed"],
    ["create-token", "--role", "authority"],
    ["reindex"],
    ["index-worker", "--once"],
    ["notify-worker", "--once"],
    ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GPSOC_SEARCH_CACHE", "abc"),
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "foo://x"),
        ("GPSOC_SMTP_PORT", "70000"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it_and_exit_code_2(
    tmp_path, monkeypatch, command, variable, value
):
    monkeypatch.setenv("GPSOC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.output
    assert "Traceback" not in result.output


def test_seed_leaves_search_in_step_and_search_check_finds_and_repairs_drift(empty_database):
    from search import SearchQuery
    from search.embedded import EmbeddedEngine

    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    seeded = runner.invoke(main, ["seed"])
    assert seeded.exit_code == 0, seeded.output
    engine = EmbeddedEngine(Path(os.environ["GPSOC_DATA_DIR"]) / "search")
    assert engine.search(SearchQuery("sistmone")).hits[0].document["name"] == "SystmOne"
    with make_session_factory(empty_database)() as session:
        assert session.scalar(select(func.count(SearchOutbox.id))) == 0

    clean = runner.invoke(main, ["search-check"])
    assert clean.exit_code == 0, clean.output
    assert "in step" in clean.output

    with make_session_factory(empty_database)() as session:
        systmone = session.scalars(
            select(CatalogueItem.id).where(CatalogueItem.slug == "systmone")
        ).one()
    engine.apply([], [systmone])  # a document lost by hand
    found = runner.invoke(main, ["search-check"])
    assert found.exit_code == 1
    assert f"missing: 1 ({systmone})" in found.output

    repaired = runner.invoke(main, ["search-check", "--repair"])
    assert repaired.exit_code == 1 and "Repaired: 1" in repaired.output
    assert runner.invoke(main, ["search-check"]).exit_code == 0
    assert engine.search(SearchQuery("sistmone")).hits[0].document["name"] == "SystmOne"
