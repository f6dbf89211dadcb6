"""A system, module or service: what it does, its level in words, its supplier's roadmap, its
prices and the services around it."""

from __future__ import annotations

from flask import request

from catalogue import reference
from catalogue.funding import CENTRAL_FUNDING_MIN_LEVEL, funding_for
from catalogue.listings import (
    SERVICE_KINDS,
    SYSTEM_KINDS,
    get_item,
    roadmaps,
    services_for_system,
    visibility_for,
)
from catalogue.models import CatalogueItem, ItemKind, ItemStatus
from service.database import get_session

from . import presenting
from .pages import Page, blueprint, compared_ids, render
from .signing_in import current_principal


def _prices(item: CatalogueItem) -> list[dict]:
    rows = []
    for price in item.prices:
        decision = funding_for(item, price)
        rows.append(
            {
                "price": price,
                "funding": decision.funding,
                "funding_reason": decision.reason,
                "tiers": [
                    {
                        "band": presenting.tier_band(t.lower_bound, t.upper_bound, price.unit),
                        "amount": t.amount,
                    }
                    for t in price.tiers
                ],
                "tiered": not price.is_flat,
                "tier_words": presenting.TIER_WORDS[price.tier_calculation],
            }
        )
    return rows


def _item_page(item_id: int, kinds: frozenset[ItemKind], api_path: str) -> Page:
    session = get_session()
    visibility = visibility_for(current_principal())
    item = get_item(session, item_id, kinds, visibility)
    services = (
        services_for_system(session, item, visibility) if item.kind is not ItemKind.SERVICE else []
    )
    levels = reference.list_maturity_levels(session)
    lot = item.lot
    return render(
        "item.html",
        title=item.name,
        breadcrumbs=[
            ("Home", "/"),
            ("Frameworks", "/frameworks"),
            (lot.framework.name, f"/frameworks/{lot.framework.slug}"),
            (f"Lot {lot.number}", f"/frameworks/{lot.framework.slug}/lots/{lot.number}"),
        ],
        api_url=f"/api/v1/{api_path}/{item.id}",
        item=item,
        published=item.status is ItemStatus.PUBLISHED,
        services=services,
        levels=levels,
        level_meaning=presenting.level_meaning(item.maturity_level),
        central_level=CENTRAL_FUNDING_MIN_LEVEL,
        prices=_prices(item),
        compared=item.id in compared_ids(),
        here=request.path,
        hosting_words=presenting.HOSTING_WORDS[item.hosting],
        roadmap=item.roadmap,
        planned_levels=roadmaps.planned_levels_of(item),
    )


@blueprint.get("/systems/<int:item_id>")
def system(item_id: int) -> Page:
    return _item_page(item_id, SYSTEM_KINDS, "systems")


@blueprint.get("/services/<int:item_id>")
def service(item_id: int) -> Page:
    return _item_page(item_id, SERVICE_KINDS, "services")
