from flask import Response


def download(content: str | bytes, mimetype: str, filename: str) -> Response:
    """A file the browser saves under `filename` rather than shows."""
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
