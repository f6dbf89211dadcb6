"""Keeps every schema property of /openapi.json valid OpenAPI 3.1, once for all fields.

apispec converts each marshmallow field through a chain of attribute functions; `install` adds
one at the end of that chain which tidies what the others leave:

- a field that declares `"type": [..., "null"]` itself and also sets `allow_none` comes out
  with "null" twice, which is not a valid JSON Schema type list: each type is kept once;
- an enum (`fields.Enum`, `OneOf`, an `"enum"` in metadata) comes out without a `type`: the
  type is inferred from its values (and includes "null" when None is one of them);
- an enum narrowed by a `OneOf` (a `Payer` of some payers) lists only the values it allows;
- text (`fields.String` and its kinds) without a pattern of its own says the service's text
  rule (catalogue.validation: no control characters but tab and line breaks) as a `pattern`.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Api
from marshmallow import fields, validate

# catalogue.validation.CONTROL_CHARACTERS, as a JSON Schema (ECMA-262) pattern for a whole text.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: a bool is an int in Python
    (int, "integer"),
    (float, "number"),
    (str, "string"),
)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "string")


def _unique(types: list[str]) -> str | list[str]:
    kept = list(dict.fromkeys(types))
    return kept[0] if len(kept) == 1 else kept


def tidy_property(_converter: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    """An apispec attribute function: the corrections to `ret`, the property built so far."""
    changes: dict[str, Any] = {}
    declared = ret.get("type")
    if isinstance(declared, list):
        changes["type"] = _unique(declared)
    enum = ret.get("enum")
    if enum and declared is None:
        types = [_json_type(value) for value in enum]
        if field.allow_none:
            types.append("null")
        changes["type"] = _unique(sorted(set(types), key=types.index))
    choices = [set(v.choices) for v in field.validators if isinstance(v, validate.OneOf)]
    if enum and choices:
        allowed = set.intersection(*choices)
        narrowed = [value for value in enum if value is None or value in allowed]
        if narrowed != enum:
            changes["enum"] = narrowed
    if isinstance(field, fields.String) and not (enum or "pattern" in ret):
        changes["pattern"] = TEXT_PATTERN
    return changes


def install(api: Api) -> None:
    """Register the tidying with the API's marshmallow plugin (before any schema is used)."""
    api.ma_plugin.converter.add_attribute_function(tidy_property)
