"""The search engine's query from parsed /search arguments: shared by /search itself and by
whatever else searches the same way (a selection's candidates from a search)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from search import SearchQuery


def search_query(args: Mapping[str, Any], **overrides: Any) -> SearchQuery:
    kind, hosting = args.get("kind"), args.get("hosting")
    return SearchQuery(
        text=args.get("q") or "",
        framework=args.get("framework"),
        lot=args.get("lot"),
        kind=kind.value if kind else None,
        supplier_id=args.get("supplier"),
        capabilities=tuple(args.get("capability") or ()),
        min_maturity_level=args.get("maturity_level"),
        hosting=hosting.value if hosting else None,
        price_max=args.get("price_max"),
        **overrides,
    )
