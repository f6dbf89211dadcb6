"""Maturity levels are derived from accredited capabilities, never typed in.

An item is at level N when it holds every capability required by levels 1..N; its level is the
highest such N (0 when it reaches none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import CatalogueItem, MaturityLevel

LevelRequirements = Mapping[int, frozenset[str]]


def derive_level(capability_codes: Iterable[str], requirements: LevelRequirements) -> int:
    held = set(capability_codes)
    reached = 0
    for level in sorted(requirements):
        if not requirements[level] <= held:
            break
        reached = level
    return reached


def load_requirements(session: Session) -> dict[int, frozenset[str]]:
    levels = session.scalars(
        select(MaturityLevel).options(selectinload(MaturityLevel.required_capabilities))
    )
    return {level.level: frozenset(c.code for c in level.required_capabilities) for level in levels}


def refresh_maturity_levels(session: Session, items: Iterable[CatalogueItem] | None = None) -> None:
    """Recompute the stored level of the given items (all items when None)."""
    requirements = load_requirements(session)
    if items is None:
        items = session.scalars(
            select(CatalogueItem).options(selectinload(CatalogueItem.capabilities))
        )
    for item in items:
        level = derive_level(item.capability_codes, requirements)
        if item.maturity_level != level:
            item.maturity_level = level
