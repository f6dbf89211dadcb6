"""Security headers outside the web pages (which set their own, web/setup.py), once:

- every response says `X-Content-Type-Options: nosniff`: a JSON body is never read as HTML or
  script, whatever a browser guesses;
- the interactive documentation (/docs and its assets) gets a Content-Security-Policy that
  allows its own scripts only (the page's one inline script by its hash), no framing and no
  referrer, as the pages do;
- with GPSOC_HSTS_SECONDS set (0, the default: off), every response says
  `Strict-Transport-Security: max-age=N; includeSubDomains`. Set it only where the service is
  reached over HTTPS alone: browsers then refuse plain HTTP to it for N seconds.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, request
from werkzeug.wrappers import Response

DOCS_PREFIX = "/docs"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: str) -> str:
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )


def _docs_policy(response: Response) -> str:
    scripts = "'self'"
    if response.mimetype == "text/html" and not response.direct_passthrough:
        hashes = _script_hashes(response.get_data(as_text=True))
        scripts = f"'self' {hashes}".strip()
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'; form-action 'self'"
    )


def init_app(app: Flask, hsts_seconds: int) -> None:
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path == DOCS_PREFIX or request.path.startswith(DOCS_PREFIX + "/"):
            response.headers.setdefault("Content-Security-Policy", _docs_policy(response))
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts_seconds:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains"
            )
        return response

    app.after_request(add_headers)
