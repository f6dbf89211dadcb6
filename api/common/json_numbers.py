"""JSON numbers as JSON Schema counts them, for every operation's body: 32.0 is the integer 32.

The document types whole numbers `integer`, and JSON Schema counts 32.0 as one; marshmallow's
`Integer(strict=True)` (nested weights, say) refused it while a top-level field took it. So the
body is parsed, once for every operation, with a number that has a fraction or an exponent and
a whole value read as that integer (exactly, from its text; one beyond 64 bits stays a float),
and every field sees one spelling. A true fraction (32.5) stays a float, for the field to refuse.

`install` makes this the parser of every flask-smorest Blueprint; it runs when the `api`
package is first imported, before any route is declared (declaring binds the parser).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

_LARGEST = 2**63


def integral_or_float(text: str) -> int | float:
    """`parse_float` for json.loads: the integer a whole-valued number spells, else a float."""
    try:
        value = Decimal(text)
    except InvalidOperation:  # not reached for JSON's own grammar
        return float(text)
    if value.is_finite() and abs(value) < _LARGEST and value == value.to_integral_value():
        return int(value)
    return float(text)


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=integral_or_float)


class JsonNumbersParser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies with `loads`."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        body = req.get_data(cache=True)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:  # as webargs says it (a 400)
            raise json.JSONDecodeError(
                f"Bytes decoding error : {error.reason}", doc=str(error.object), pos=error.start
            ) from error
        return loads(text)


def install() -> None:
    flask_smorest.Blueprint.ARGUMENTS_PARSER = JsonNumbersParser()
