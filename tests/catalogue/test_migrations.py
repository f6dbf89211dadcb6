"""The migration chain builds exactly the schema the models describe, and unwinds cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from catalogue.migrate import alembic_config
from catalogue.models import Base
from tests.databases import fresh_database


def test_one_linear_chain_from_the_first_table():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_upgraded_database_matches_the_models(tmp_path):
    with fresh_database(tmp_path, seed=False) as engine, engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_downgrade_to_base_and_back(tmp_path):
    with fresh_database(tmp_path, seed=False) as engine, engine.begin() as connection:
        config = alembic_config(connection=connection)
        command.downgrade(config, "base")
        command.upgrade(config, "head")
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_selections_scored_before_0008_keep_their_result(tmp_path):
    """Downgraded below 0008 and upgraded again, a scored selection keeps its criteria (as
    must and should), and its scores become the agreed scores of one evaluator."""
    from sqlalchemy import select, text
    from sqlalchemy.orm import Session

    from catalogue import selections
    from catalogue.models import (
        CriterionGroup,
        CriterionKind,
        Requirement,
        Selection,
        SelectionEvaluation,
    )
    from tests.factories import commissioner_principal, item_id

    with fresh_database(tmp_path) as engine:
        with Session(engine) as session:
            owner = commissioner_principal(session)
            chosen = selections.create_selection(
                session, owner, name="Before", practice="A81001", framework="gpsoc-r"
            )
            items = [item_id(session, "emis-web"), item_id(session, "systmone")]
            selections.add_candidates(session, owner, chosen, items)
            should = selections.add_criterion(
                session,
                owner,
                chosen,
                selections.CriterionInput(
                    CriterionKind.SHOULD, "Training", group=CriterionGroup.FEATURES, weight=1
                ),
            )
            selections.add_criterion(
                session,
                owner,
                chosen,
                selections.CriterionInput(
                    CriterionKind.MUST,
                    "Level 3",
                    requirement=Requirement.MIN_MATURITY_LEVEL,
                    min_maturity_level=3,
                ),
            )
            selections.update_selection(
                session,
                owner,
                chosen,
                {
                    "non_price_weights": {
                        g: 100 if g is CriterionGroup.FEATURES else 0 for g in CriterionGroup
                    }
                },
            )
            entries = [
                selections.ScoreEntry(i, should.id, s, "Seen")
                for i, s in zip(items, (5, 3), strict=True)
            ]
            selections.enter_scores(session, owner, chosen, entries)
            before = selections.result_of(session, chosen)
            selection_id = chosen.id
            session.commit()

        with engine.begin() as connection:
            config = alembic_config(connection=connection)
            command.downgrade(config, "0005")
            kinds = connection.execute(text("SELECT kind FROM selection_criterion")).scalars()
            assert sorted(kinds) == ["mandatory", "scored"]
            command.upgrade(config, "head")

        with Session(engine) as session:
            chosen = session.get(Selection, selection_id)
            assert sorted(c.kind.value for c in chosen.criteria) == ["must", "should"]
            (evaluator,) = chosen.evaluators
            assert evaluator.token_id is None and chosen.scoring_closed
            sheet = session.scalars(
                select(SelectionEvaluation.score).where(
                    SelectionEvaluation.evaluator_id == evaluator.id
                )
            )
            assert sorted(sheet) == [3, 5]
            after = selections.result_of(session, chosen)
            assert [(c.item_id, c.total, c.rank) for c in after.ranked] == [
                (c.item_id, c.total, c.rank) for c in before.ranked
            ]
            assert after.complete


def test_0012_unwinds_and_returns_with_roadmaps_and_upgrades_in_use(tmp_path):
    """Down to 0011 with a roadmap entry and a practice's level recorded, and back up: the
    tables and the column come back empty, and the rest of the catalogue is untouched."""
    from datetime import date

    from sqlalchemy import func, inspect, select
    from sqlalchemy.orm import Session

    from catalogue.models import Capability, Organisation, PracticeEstate, RoadmapEntry
    from tests.factories import item

    with fresh_database(tmp_path) as engine:
        with Session(engine) as session:
            synergy = item(session, "synergy")
            gp2gp = session.scalars(select(Capability).where(Capability.code == "gp2gp")).one()
            synergy.roadmap.append(RoadmapEntry(capability=gp2gp, target_date=date(2027, 9, 30)))
            riverside = session.scalars(
                select(Organisation).where(Organisation.ods_code == "A81001")
            ).one()
            assert riverside.estate is not None
            riverside.estate.level = 2
            session.commit()
            organisations = session.scalar(select(func.count(Organisation.id)))
        with engine.begin() as connection:
            config = alembic_config(connection=connection)
            command.downgrade(config, "0011")
            schema = inspect(connection)
            assert {"roadmap_entry", "call_off_upgrade"}.isdisjoint(schema.get_table_names())
            assert "current_level" not in {c["name"] for c in schema.get_columns("organisation")}
            command.upgrade(config, "head")
        with Session(engine) as session:
            assert session.scalar(select(func.count(RoadmapEntry.id))) == 0
            assert session.scalar(select(func.count(Organisation.id))) == organisations
            estate = session.scalars(
                select(PracticeEstate).join(Organisation).where(Organisation.ods_code == "A81001")
            ).one()
            assert (estate.system.slug, estate.level) == ("emis-lv", None)


def test_0013_moves_each_practices_system_into_its_estate_and_back(tmp_path):
    """At 0012 a practice's system and level are columns of the organisation; 0013 makes them
    its estate (with a first history row), and the downgrade puts them back."""
    from sqlalchemy import inspect, select, text
    from sqlalchemy.orm import Session

    from catalogue import estate
    from catalogue.models import EstateChange, Organisation

    with fresh_database(tmp_path) as engine:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection=connection), "0012")
            columns = {c["name"] for c in inspect(connection).get_columns("organisation")}
            assert {"current_system_id", "current_level"} <= columns
            assert "practice_estate" not in inspect(connection).get_table_names()
            level = "UPDATE organisation SET current_level = 2 WHERE ods_code = 'M82004'"
            connection.execute(text(level))
            seeded = dict(
                connection.execute(
                    text(
                        "SELECT ods_code, current_system_id FROM organisation"
                        " WHERE current_system_id IS NOT NULL"
                    )
                ).all()
            )
            assert seeded["A81002"] is not None
            command.upgrade(alembic_config(connection=connection), "head")
            columns = {c["name"] for c in inspect(connection).get_columns("organisation")}
            assert {"current_system_id", "current_level"}.isdisjoint(columns)
        with Session(engine) as session:
            practices = {
                p.ods_code: p
                for p in session.scalars(
                    select(Organisation).where(Organisation.ods_code.in_(seeded))
                )
            }
            runs = {code: estate.runs_now(p) for code, p in practices.items()}
            assert {code: r.system.id for code, r in runs.items() if r} == seeded
            assert runs["M82004"] is not None and runs["M82004"].recorded_level == 2
            history = session.scalars(select(EstateChange)).all()
            assert len(history) == len(seeded)
            assert {change.recorded_by for change in history} == {"migration 0013"}
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection=connection), "0012")
            back = dict(
                connection.execute(
                    text(
                        "SELECT ods_code, current_system_id FROM organisation"
                        " WHERE current_system_id IS NOT NULL"
                    )
                ).all()
            )
            assert back == seeded
            assert (
                connection.execute(
                    text("SELECT current_level FROM organisation WHERE ods_code = 'M82004'")
                ).scalar_one()
                == 2
            )
            command.upgrade(alembic_config(connection=connection), "head")


def test_0015_unwinds_and_returns_with_session_versions(tmp_path):
    """Down to 0012 the session version goes; back up, every account starts again at 0."""
    from sqlalchemy import inspect, text

    with fresh_database(tmp_path, seed=False) as engine, engine.begin() as connection:
        config = alembic_config(connection=connection)
        command.downgrade(config, "0012")
        columns = {c["name"] for c in inspect(connection).get_columns("user_account")}
        assert "session_version" not in columns
        connection.execute(
            text(
                "INSERT INTO user_account (email, name, role, created_at, created_by) "
                "VALUES ('a@example.nhs.uk', 'A', 'authority', CURRENT_TIMESTAMP, 'test')"
            )
        )
        command.upgrade(config, "head")
        versions = connection.execute(text("SELECT session_version FROM user_account"))
        assert list(versions.scalars()) == [0]
