"""Files to save: CSV and XLSX exports, documented as binary bodies of their media type."""

from __future__ import annotations

from typing import Any

from flask import Response

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# For @blp.response(200, BINARY, content_type=...): the body is a file, not JSON.
BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def download(content: str | bytes, mimetype: str, filename: str) -> Response:
    """A file the browser saves under `filename` rather than shows."""
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
