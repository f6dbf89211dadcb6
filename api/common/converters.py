"""Path converters. Ids fit a 32-bit integer column on every database; a larger or smaller
number in a path is simply not found (404) rather than an overflow, and so is a number in
another script's digits."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.routing import IntegerConverter, Map

from service.fields import MAX_ID


class IdConverter(IntegerConverter):
    # ASCII digits only: `\d` also matches other scripts' digits, which int() reads, so that
    # /systems/١ (ARABIC-INDIC ONE) was item 1 under a second address.
    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app: Flask) -> None:
    """Make `<int:...>` in every route an id converter (call before routes are added)."""
    app.url_map.converters["int"] = IdConverter


def document(api: Api) -> None:
    api.register_converter(IdConverter, integerconverter2paramschema)
