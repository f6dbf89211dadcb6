"""Comparing published catalogue items side by side, with the whole-life cost for a practice:
moving to each of them, against staying on the practice's current system at the level it runs
and upgrading that system in place (shared/seeds: a practice may "retain their existing system
and implement upgrades over time"), with the roadmaps their suppliers publish."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import InvalidInput, NotFound
from catalogue.estate import runs_now
from catalogue.listings.queries import ServiceRef, get_items, service_refs_for_systems
from catalogue.listings.roadmaps import planned_levels_of
from catalogue.maturity import increment_level, paid_at_level
from catalogue.models import (
    CatalogueItem,
    ItemKind,
    Organisation,
    OrganisationKind,
    PricePeriod,
    ServiceCategory,
)
from catalogue.pricing import (
    PriceTerms,
    WholeLifeCost,
    cost_report,
    price_terms,
    to_pennies,
    whole_life_cost,
    whole_life_cost_of,
)

MAX_COMPARED = 10
ALL_KINDS = frozenset(ItemKind)
MIGRATION_SERVICES = frozenset(
    {ServiceCategory.DEPLOYMENT, ServiceCategory.MIGRATION, ServiceCategory.DATA_EXTRACT}
)
AUDIT_TRAIL_SERVICES = frozenset(
    {ServiceCategory.AUDIT_TRAIL_RETRIEVAL, ServiceCategory.SINGLE_USER_RETENTION}
)


@dataclass(frozen=True)
class Upgrade:
    to_level: int
    increments: list[str]  # the increment prices bought, by name
    cost: dict[str, Any]  # staying plus the increments (pricing.cost_report)


@dataclass(frozen=True)
class StayOrUpgrade:
    """What keeping the practice's current system costs over the term, at the level it runs,
    and moving up the ladder on it (each level the system is accredited to and prices)."""

    system: CatalogueItem
    running_level: int
    staying_cost: WholeLifeCost  # exact, for the differences
    upgrades: list[Upgrade]
    planned_levels: list[dict[str, Any]]  # [{level, by}]: where its supplier's roadmap goes

    @property
    def staying(self) -> dict[str, Any]:
        return cost_report(self.staying_cost)


@dataclass(frozen=True)
class Comparison:
    items: list[CatalogueItem]
    practice: Organisation | None
    term_months: int
    priced_on: date
    # capability code -> (name, category) for every capability any compared item holds
    capabilities: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    current_system: StayOrUpgrade | None = None


def _service_ref(service: ServiceRef) -> dict[str, Any]:
    return {"id": service.id, "name": service.name, "category": service.category}


def compare_items(
    session: Session,
    item_ids: Sequence[int],
    practice_ods: str | None = None,
    term_months: int = 36,
    on: date | None = None,
) -> Comparison:
    """Published items side by side: supplier, lot, level, capability matrix, hosting, the
    services offered for migration and audit-trail access and, with a practice, each item's
    whole-life cost over the term."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise InvalidInput("Name the items to compare.", {"ids": ["Give 1 or more item ids."]})
    if len(ids) > MAX_COMPARED:
        raise InvalidInput(
            "Too many items to compare.", {"ids": [f"Compare at most {MAX_COMPARED} items."]}
        )
    practice = _practice(session, practice_ods) if practice_ods is not None else None
    items = get_items(session, ids, ALL_KINDS)  # published only
    # Only the services compare shows (their id, name and category), for every item at once.
    offered = service_refs_for_systems(
        session,
        [item for item in items if item.kind is not ItemKind.SERVICE],
        MIGRATION_SERVICES | AUDIT_TRAIL_SERVICES,
    )
    day = on or date.today()

    capabilities = _capabilities_held(items)
    current = stay_or_upgrade(practice, term_months, day) if practice is not None else None
    rows = []
    for item in items:
        codes = item.capability_codes
        services = offered.get(item.id, [])
        cost = whole_life_cost(item, practice, term_months, on=day) if practice else None
        rows.append(
            {
                "item": item,
                "capability_matrix": {c["code"]: c["code"] in codes for c in capabilities},
                "migration_services": [
                    _service_ref(s) for s in services if s.category in MIGRATION_SERVICES
                ],
                "audit_trail_services": [
                    _service_ref(s) for s in services if s.category in AUDIT_TRAIL_SERVICES
                ],
                "whole_life_cost": cost_report(cost) if cost is not None else None,
                # Moving to the item against staying as the practice is (negative: cheaper).
                "against_staying": (
                    to_pennies(cost.total - current.staying_cost.total)
                    if cost is not None and current is not None
                    else None
                ),
                "planned_levels": _planned(item),
            }
        )
    return Comparison(
        items=items,
        practice=practice,
        term_months=term_months,
        priced_on=day,
        capabilities=capabilities,
        rows=rows,
        current_system=current,
    )


def stay_or_upgrade(practice: Organisation, term_months: int, on: date) -> StayOrUpgrade | None:
    """Staying on the practice's current system at the level it runs, and upgrading it in place
    level by level (its increments, priced and funded as ordering them would be); None when its
    current system is not recorded."""
    now = runs_now(practice)
    if now is None:
        return None
    system, running = now.system, now.level
    recurring = [terms for terms in price_terms(system) if terms.period is not PricePeriod.ONE_OFF]
    increments = {
        level: terms for terms in recurring if (level := increment_level(terms.name)) is not None
    }
    kept = [terms for terms in recurring if paid_at_level(terms.name, running)]
    list_size = practice.list_size or 0

    def costed(terms: list[PriceTerms]) -> WholeLifeCost:
        return whole_life_cost_of(terms, list_size, term_months, on=on)

    upgrades, bought = [], list(kept)
    for level in range(running + 1, system.maturity_level + 1):
        increment = increments.get(level)
        if increment is None:
            break  # the supplier prices no increment to this level: nothing to order
        bought.append(increment)
        names = [terms.name for terms in bought if terms not in kept]
        upgrades.append(Upgrade(level, names, cost_report(costed(bought))))
    return StayOrUpgrade(
        system=system,
        running_level=running,
        staying_cost=costed(kept),
        upgrades=upgrades,
        planned_levels=_planned(system),
    )


def _planned(item: CatalogueItem) -> list[dict[str, Any]]:
    return [{"level": level, "by": by} for level, by in planned_levels_of(item)]


def _practice(session: Session, ods_code: str) -> Organisation:
    practice = session.scalars(
        select(Organisation).where(
            Organisation.ods_code == ods_code,
            Organisation.kind == OrganisationKind.PRACTICE,
        )
    ).first()
    if practice is None:
        raise NotFound(f"No practice has the ODS code {ods_code!r}.")
    return practice


def _capabilities_held(items: Sequence[CatalogueItem]) -> list[dict[str, Any]]:
    """Every capability any of the items holds, by category and code."""
    held: dict[str, dict[str, Any]] = {}
    for item in items:
        for capability in item.capabilities:
            held.setdefault(
                capability.code,
                {"code": capability.code, "name": capability.name, "category": capability.category},
            )
    return sorted(held.values(), key=lambda c: (c["category"], c["code"]))
