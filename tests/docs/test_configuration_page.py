"""The configuration page's table is generated from the settings object when the site is built
(docs/hooks.py): every variable is in it, with its meaning, and nothing else."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from catalogue.config import Settings

ROOT = Path(__file__).resolve().parent.parent.parent


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_has_a_row_for_every_setting_and_no_other():
    hooks = _hooks()
    rows = [line for line in hooks.settings_table().splitlines()[2:] if line.startswith("| `")]
    variables = [row.split("`")[1] for row in rows]
    assert variables == list(Settings.variables())
    for row, field in zip(rows, Settings.model_fields.values(), strict=True):
        assert field.description and field.description.split()[0] in row


def test_the_configuration_page_is_filled_in_by_the_hook():
    hooks = _hooks()
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page.count(hooks.MARKER) == 1
    built = hooks.on_page_markdown(page, page=None)
    assert hooks.MARKER not in built and "`GPSOC_SECURE_COOKIES`" in built
