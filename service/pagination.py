"""Page-number pagination with the total in the body: {"total", "page", "page_size", "items"}."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate

MAX_PAGE_SIZE = 100


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Items per page, at most {MAX_PAGE_SIZE}."},
    )


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The envelope schema for a page of `item_schema`."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return Schema.from_dict(
        {
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "items": fields.List(fields.Nested(item_schema), required=True),
        },
        name=name,
    )


def page_response(
    args: Mapping[str, Any],
    fetch: Callable[[int, int], tuple[Sequence[Any], int]],
    present: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """The page `args` ask for (parsed by a PageArgsSchema): `fetch(page, page_size)` gives its
    items and the total; `present`, if given, shapes each item."""
    page, page_size = args["page"], args["page_size"]
    items, total = fetch(page, page_size)
    shown = list(items) if present is None else [present(item) for item in items]
    return {"total": total, "page": page, "page_size": page_size, "items": shown}


def page_of_list(args: Mapping[str, Any], items: Sequence[Any]) -> dict[str, Any]:
    """The page `args` ask for of a list already in hand (reference data, an item's prices):
    short lists, so the same envelope as every other list without a query per page."""

    def fetch(page: int, page_size: int) -> tuple[Sequence[Any], int]:
        start = (page - 1) * page_size
        return items[start : start + page_size], len(items)

    return page_response(args, fetch)
