"""JSON for list pages, built straight from catalogue.listings.pages records.

It must equal what CatalogueItemSchema dumps for the same item (a test holds the two
together); it exists because marshmallow costs more than the whole SQL of a 50-item page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from catalogue import listings
from catalogue.listings.pages import ItemRecord, PriceRecord, item_records
from service.fields import format_scaled_money
from service.pagination import page_response


def _value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def price_json(price: PriceRecord) -> dict[str, Any]:
    fields = price.fields
    tiers = [
        {
            "lower_bound": tier["lower_bound"],
            "upper_bound": tier["upper_bound"],
            "amount": format_scaled_money(tier["amount"]),
        }
        for tier in price.tiers
    ]
    flat = len(tiers) == 1 and tiers[0]["lower_bound"] == 1 and tiers[0]["upper_bound"] is None
    return {
        "id": fields["id"],
        "name": fields["name"],
        "description": fields["description"],
        "currency": fields["currency"],
        "unit": _value(fields["unit"]),
        "period": _value(fields["period"]),
        "model": "flat" if flat else "tiered",
        "amount": tiers[0]["amount"] if flat else None,
        "tier_calculation": _value(fields["tier_calculation"]),
        "charge_type": _value(fields["charge_type"]),
        "tiers": tiers,
        "funding": _value(fields["funding"]),
        "effective_from": _value(fields["effective_from"]),
        "effective_to": _value(fields["effective_to"]),
        "illustrative": fields["illustrative"],
        "source": fields["source"],
    }


def item_json(record: ItemRecord) -> dict[str, Any]:
    item = record.fields
    return {
        "id": item["id"],
        "slug": item["slug"],
        "kind": _value(item["kind"]),
        "name": item["name"],
        "summary": item["summary"],
        "description": item["description"],
        "supplier": {
            "id": item["supplier_id"],
            "slug": item["supplier_slug"],
            "name": item["supplier_name"],
        },
        "framework": {
            "slug": item["framework_slug"],
            "name": item["framework_name"],
            "status": _value(item["framework_status"]),
        },
        "lot": {"number": item["lot_number"], "name": item["lot_name"]},
        "parent": (
            {
                "id": item["parent_id"],
                "kind": _value(item["parent_kind"]),
                "name": item["parent_name"],
            }
            if item["parent_id"] is not None
            else None
        ),
        "category": _value(item["category"]),
        "hosting": _value(item["hosting"]),
        "infrastructure_category": _value(item["infrastructure_category"]),
        "infrastructure_class": _value(item["infrastructure_class"]),
        "rfa_version": item["rfa_version"],
        "status": _value(item["status"]),
        "rejection_reason": item["rejection_reason"],
        "maturity_level": item["maturity_level"] or None,
        "capabilities": record.capabilities,
        "prices": [price_json(price) for price in record.prices],
        "roadmap": [
            {**entry, **{k: _value(entry[k]) for k in ("target_date", "accredited_on")}}
            for entry in record.roadmap
        ],
        "planned_levels": [
            {"level": level, "by": by.isoformat()} for level, by in record.planned_levels
        ],
        "accredited_on": _value(item["accredited_on"]),
        "version": item["version"],
        "published_at": _value(item["published_at"]),
        "updated_at": _value(item["updated_at"]),
    }


def item_page_response(
    session: Session, filters: listings.ItemFilters, args: Mapping[str, Any]
) -> Response:
    """A list page as a ready response: flask-smorest passes a Response through undumped."""

    def fetch(page: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        item_ids, total = listings.page_item_ids(session, filters, page, page_size)
        return [item_json(record) for record in item_records(session, item_ids)], total

    return jsonify(page_response(args, fetch))
