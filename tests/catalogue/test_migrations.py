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
