"""Every setting's unusable value stops `gpsoc serve`, `gpsoc seed` and `gpsoc search-check`
before they do anything: one line on stderr naming the variable and the reason, exit code 2,
never a traceback. Real processes, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from catalogue.config import Settings
from tests.api.servers import GPSOC, free_port

COMMANDS = [["serve", "--port", "0"], ["seed"], ["search-check"]]


def _bad_values(tmp_path: Path) -> list[tuple[str, str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    return [
        ("GPSOC_DATA_DIR", str(a_file)),
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "postgresql+nosuch://gpsoc:s3cret@db/gpsoc"),
        # Unreachable: nothing listens on the port (and the password is never printed).
        ("DATABASE_URL", f"postgresql+psycopg://gpsoc:s3cret@127.0.0.1:{free_port()}/gpsoc"),
        ("ELASTICSEARCH_URL", "search:9200"),
        ("GPSOC_SEARCH_CACHE", "-1"),
        ("GPSOC_THROTTLE_STORAGE", "bogus://"),
        ("GPSOC_TRUSTED_PROXIES", "one"),
        ("GPSOC_MAX_REQUEST_BYTES", "1MB"),
        ("GPSOC_AUDIT_ANCHOR_KEY", " "),
        ("GPSOC_SEARCH_DRAIN_INTERVAL", "inf"),
        ("GPSOC_OUTBOX_LAG_LIMIT", "-5"),
        ("GPSOC_SECRET_KEY", "short"),
        ("GPSOC_SECURE_COOKIES", "maybe"),
        ("GPSOC_BASE_URL", "gpsoc.example.org"),
        ("GPSOC_SMTP_HOST", "smtp://mail.example.org"),
        ("GPSOC_SMTP_PORT", "70000"),
        ("GPSOC_SMTP_STARTTLS", "perhaps"),
        ("GPSOC_SMTP_USER", "gpsoc\nRCPT TO:<x@example.org>"),
        ("GPSOC_SMTP_PASSWORD", "s3cret\r\n"),
        ("GPSOC_MAIL_FROM", "nobody"),
        ("GPSOC_WEBHOOKS_ALLOW_LOOPBACK", "2"),
        ("GPSOC_NOTIFY_INTERVAL", "-1"),
        ("GPSOC_BODY_READ_TIMEOUT", "nan"),
        ("GPSOC_MAX_CONNECTIONS_PER_CLIENT", "-3"),
        ("GPSOC_HSTS_SECONDS", "a year"),
        ("GPSOC_AUDIT_ANCHOR_INTERVAL", "90000"),
    ]


def test_every_setting_has_a_bad_value_tried(tmp_path):
    assert {name for name, _ in _bad_values(tmp_path)} == set(Settings.variables())


@pytest.fixture
def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in Settings.variables()}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return {**env, "GPSOC_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_a_bad_setting_stops_the_command_in_one_line_with_exit_code_2(
    tmp_path, environment, command
):
    for variable, value in _bad_values(tmp_path):
        done = subprocess.run(
            [GPSOC, *command],
            env={**environment, variable: value},
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (variable, value, done.stderr)
        assert len(lines) == 1 and variable in lines[0], (variable, value, done.stderr)
        assert "s3cret" not in done.stderr and done.stdout == ""
        assert not (tmp_path / "data" / "gpsoc.sqlite3").exists()  # nothing was done
