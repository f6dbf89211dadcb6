"""Catalogue listings: a supplier's items and prices, their writes, pending revisions, the status
lifecycle, accreditation, and the queries and list pages that read them.

Find a rule by its module: `rules` (who may change what, field and price validation, how a
change is recorded), `writes`, `revisions`, `roadmaps` and `roadmap_writes`, `lifecycle`,
`accreditation`, `queries` (visibility and filters), `pages` (list pages in a fixed number of
queries)."""

from . import (
    accreditation,
    lifecycle,
    pages,
    queries,
    revisions,
    roadmap_writes,
    roadmaps,
    rules,
    writes,
)
from .pages import ItemRecord, PriceRecord, item_records
from .queries import (
    ALL_STATUSES,
    PUBLIC,
    PUBLIC_STATUSES,
    SERVICE_KINDS,
    SYSTEM_KINDS,
    ItemFilters,
    Visibility,
    get_item,
    list_items,
    page_item_ids,
    services_for_system,
    visibility_for,
)
from .writes import create_item, create_price, delete_price, find_price, update_item, update_price

__all__ = [
    "ALL_STATUSES",
    "ItemFilters",
    "ItemRecord",
    "PUBLIC",
    "PUBLIC_STATUSES",
    "PriceRecord",
    "SERVICE_KINDS",
    "SYSTEM_KINDS",
    "Visibility",
    "accreditation",
    "create_item",
    "create_price",
    "delete_price",
    "find_price",
    "get_item",
    "item_records",
    "lifecycle",
    "list_items",
    "page_item_ids",
    "pages",
    "queries",
    "revisions",
    "roadmap_writes",
    "roadmaps",
    "rules",
    "services_for_system",
    "update_item",
    "update_price",
    "visibility_for",
    "writes",
]
