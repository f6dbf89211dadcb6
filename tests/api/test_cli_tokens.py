"""`gpsoc create-token`: the bootstrap credential. The token is printed alone on the last line;
it authenticates as the role asked for; bad bindings fail with a message and store nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api.cli import main
from catalogue import accounts
from catalogue.db import make_session_factory
from catalogue.models import ApiToken, AuditEvent
from catalogue.principal import Role
from tests.databases import fresh_database


@pytest.fixture
def database(tmp_path, monkeypatch):
    with fresh_database(tmp_path, seed=False) as engine:
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("GPSOC_DATA_DIR", str(tmp_path / "data"))
        yield engine


def test_the_token_is_printed_alone_on_the_last_line_and_works(database):
    result = CliRunner().invoke(
        main, ["create-token", "--role", "authority", "--name", "ops", "--expires-in-days", "30"]
    )
    assert result.exit_code == 0, result.output
    last = result.output.rstrip("\n").splitlines()[-1]
    assert last == last.strip() and " " not in last and last.startswith("gpsoc_")
    with make_session_factory(database)() as session:
        principal = accounts.authenticate(session, last)
        assert principal.role is Role.AUTHORITY and principal.name == "ops"
        token = session.get(ApiToken, principal.token_id)
        assert token.expires_at is not None and token.created_by == "authority:console"
        event = session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor) == ("token.issue", "authority:console")


@pytest.mark.parametrize(
    "arguments",
    [
        ["--role", "supplier"],
        ["--role", "supplier", "--supplier", "999"],
        ["--role", "commissioner", "--organisation", "999"],
        ["--role", "authority", "--supplier", "1"],
        ["--role", "emperor"],
        ["--role", "authority", "--expires-in-days", "0"],
    ],
)
def test_bad_arguments_fail_with_a_message_and_store_nothing(database, arguments):
    result = CliRunner().invoke(main, ["create-token", *arguments])
    assert result.exit_code != 0
    assert "gpsoc_" not in result.output
    assert result.output.strip()
    with make_session_factory(database)() as session:
        assert session.scalar(select(func.count(ApiToken.id))) == 0
