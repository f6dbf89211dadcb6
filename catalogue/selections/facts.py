"""What scoring needs to know about candidates, read from the catalogue as plain rows.

Five small Core queries instead of loading listings as ORM objects: scoring a selection is on
a latency budget (DESIGN.md: 20 ms), and these are the same facts a snapshot freezes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, aliased

from catalogue.funding import decide_funding
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    ItemKind,
    Lot,
    Price,
    PriceTier,
    Supplier,
    item_capability,
)
from catalogue.pricing import PriceTerms, Tier
from catalogue.selections.scoring import CandidateFacts

INTEROPERABILITY_CATEGORY = "interoperability"


def load_candidate_facts(session: Session, item_ids: Sequence[int]) -> list[CandidateFacts]:
    """Facts for each item, in the order given (unknown ids are left out)."""
    if not item_ids:
        return []
    by_id = _items(session, item_ids)
    capabilities = _capabilities(session, item_ids)
    tiers = _tiers(session, item_ids)
    terms = _price_terms(session, item_ids, by_id, tiers)
    return [
        CandidateFacts(
            item_id=item_id,
            name=by_id[item_id][1],
            supplier=by_id[item_id][6],
            version=by_id[item_id][2],
            maturity_level=by_id[item_id][3],
            capabilities=frozenset(capabilities[item_id]),
            prices=tuple(terms[item_id]),
        )
        for item_id in item_ids
        if item_id in by_id
    ]


# id, name, version, level, kind, parent's level, supplier name, lot number, lot's default
# funding, framework's funding types, infrastructure category
_ItemRow = Row[*tuple[Any, ...]]


def _items(session: Session, item_ids: Sequence[int]) -> dict[int, _ItemRow]:
    """Each item's row by id (an _ItemRow)."""
    parent = aliased(CatalogueItem)
    items = session.execute(
        select(
            CatalogueItem.id,
            CatalogueItem.name,
            CatalogueItem.version,
            CatalogueItem.maturity_level,
            CatalogueItem.kind,
            parent.maturity_level,
            Supplier.name,
            Lot.number,
            Lot.default_funding,
            Framework.funding_types,
            CatalogueItem.infrastructure_category,
        )
        .join(Supplier, Supplier.id == CatalogueItem.supplier_id)
        .join(Lot, Lot.id == CatalogueItem.lot_id)
        .join(Framework, Framework.id == Lot.framework_id)
        .outerjoin(parent, parent.id == CatalogueItem.parent_id)
        .where(CatalogueItem.id.in_(item_ids))
    ).all()
    return {row[0]: row for row in items}


def _capabilities(session: Session, item_ids: Sequence[int]) -> dict[int, set[str]]:
    capabilities: dict[int, set[str]] = defaultdict(set)
    for item_id, code in session.execute(
        select(item_capability.c.item_id, Capability.code)
        .join(Capability, Capability.id == item_capability.c.capability_id)
        .where(item_capability.c.item_id.in_(item_ids))
    ):
        capabilities[item_id].add(code)
    return capabilities


def _tiers(session: Session, item_ids: Sequence[int]) -> dict[int, list[Tier]]:
    """The tiers of every price of the items, by price id, lowest first."""
    tiers: dict[int, list[Tier]] = defaultdict(list)
    for price_id, lower, upper, amount in session.execute(
        select(PriceTier.price_id, PriceTier.lower_bound, PriceTier.upper_bound, PriceTier.amount)
        .join(Price, Price.id == PriceTier.price_id)
        .where(Price.item_id.in_(item_ids))
        .order_by(PriceTier.price_id, PriceTier.lower_bound)
    ):
        tiers[price_id].append(Tier(lower, upper, amount))
    return tiers


def _price_terms(
    session: Session,
    item_ids: Sequence[int],
    by_id: Mapping[int, _ItemRow],
    tiers: Mapping[int, list[Tier]],
) -> dict[int, list[PriceTerms]]:
    """Each item's prices with the funding decided for each."""
    prices = session.execute(
        select(
            Price.item_id,
            Price.id,
            Price.name,
            Price.unit,
            Price.period,
            Price.tier_calculation,
            Price.charge_type,
            Price.funding,
            Price.effective_from,
            Price.effective_to,
        )
        .where(Price.item_id.in_(item_ids))
        .order_by(Price.id)
    ).all()
    terms: dict[int, list[PriceTerms]] = defaultdict(list)
    for item_id, price_id, name, unit, period, calculation, charge, funding, start, end in prices:
        row = by_id[item_id]
        level, kind, parent_level = row[3], row[4], row[5]
        lot_number, lot_default, funding_types, category = row[7], row[8], row[9], row[10]
        price_tiers = tuple(tiers.get(price_id, ()))
        decision = decide_funding(
            kind=kind,
            lot_number=lot_number,
            lot_default=lot_default,
            # A module or service takes the level of the system it belongs to.
            maturity_level=parent_level
            if kind is not ItemKind.SYSTEM and parent_level is not None
            else level,
            charge_type=charge,
            price_funding=funding,
            costs_nothing=all(tier.amount == 0 for tier in price_tiers),
            framework_funding_types=funding_types,
            infrastructure_category=category,
        )
        terms[item_id].append(
            PriceTerms(
                price_id=price_id,
                name=name,
                unit=unit,
                period=period,
                tier_calculation=calculation,
                tiers=price_tiers,
                funding=decision.funding,
                funding_reason=decision.reason,
                effective_from=start,
                effective_to=end,
            )
        )
    return terms


def capability_reference(session: Session) -> tuple[dict[str, str], frozenset[str]]:
    """Every capability's name by code, and the codes of the interoperability capabilities."""
    names: dict[str, str] = {}
    interoperability = set()
    for code, name, category in session.execute(
        select(Capability.code, Capability.name, Capability.category)
    ):
        names[code] = name
        if category == INTEROPERABILITY_CATEGORY:
            interoperability.add(code)
    return names, frozenset(interoperability)
