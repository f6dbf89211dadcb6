"""MkDocs hook: the configuration page's table, generated from the settings object
(catalogue.config.Settings) when the site is built, so that it cannot drift from the code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

MARKER = "<!-- settings-table -->"
ROOT = Path(__file__).resolve().parent.parent


def settings_table() -> str:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from catalogue.config import Settings

    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if name == "database_url":
            shown = "`sqlite:///<data dir>/gpsoc.sqlite3`"
        elif default is None:
            shown = "unset"
        elif isinstance(default, bool):
            shown = f"`{str(default).lower()}`"
        elif isinstance(default, Path):
            shown = f"`./{default}`"
        else:
            shown = f"`{default}`"
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{field.validation_alias}` | {shown} | {meaning} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, settings_table())
    return markdown
