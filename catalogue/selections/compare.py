"""Comparing published catalogue items side by side, with the whole-life cost for a practice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import InvalidInput, NotFound
from catalogue.listings.queries import get_item, services_for_system
from catalogue.models import (
    CatalogueItem,
    ItemKind,
    Organisation,
    OrganisationKind,
    ServiceCategory,
)
from catalogue.pricing import cost_report, whole_life_cost

MAX_COMPARED = 10
ALL_KINDS = frozenset(ItemKind)
MIGRATION_SERVICES = frozenset(
    {ServiceCategory.DEPLOYMENT, ServiceCategory.MIGRATION, ServiceCategory.DATA_EXTRACT}
)
AUDIT_TRAIL_SERVICES = frozenset(
    {ServiceCategory.AUDIT_TRAIL_RETRIEVAL, ServiceCategory.SINGLE_USER_RETENTION}
)


@dataclass(frozen=True)
class Comparison:
    items: list[CatalogueItem]
    practice: Organisation | None
    term_months: int
    priced_on: date
    # capability code -> (name, category) for every capability any compared item holds
    capabilities: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


def _service_ref(service: CatalogueItem) -> dict[str, Any]:
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
    items = [get_item(session, item_id, ALL_KINDS) for item_id in ids]  # published only
    day = on or date.today()

    capabilities = _capabilities_held(items)
    rows = []
    for item in items:
        codes = item.capability_codes
        services = services_for_system(session, item) if item.kind is not ItemKind.SERVICE else []
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
                "whole_life_cost": cost_report(whole_life_cost(item, practice, term_months, on=day))
                if practice is not None
                else None,
            }
        )
    return Comparison(
        items=items,
        practice=practice,
        term_months=term_months,
        priced_on=day,
        capabilities=capabilities,
        rows=rows,
    )


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
