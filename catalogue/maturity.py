"""What is derived from an item's accredited capabilities, never typed in.

- Its maturity level: an item is at level N when it holds every capability required by levels
  1..N; its level is the highest such N (0 when it reaches none).
- Its capability bits: bit n is set when it holds the capability of id n (for ids below
  BITMAP_IDS), so that listings can filter on capabilities inside an index.

Both are stored on the item row for listings to filter on, and refreshed whenever the item's
accreditations or the level definitions change.
"""

from __future__ import annotations

import re
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


BITMAP_IDS = 63  # a signed 64-bit column holds bits 0..62


def capability_bits(capability_ids: Iterable[int]) -> int:
    return sum(
        {1 << capability_id for capability_id in capability_ids if capability_id < BITMAP_IDS}
    )


def refresh_derived_fields(session: Session, items: Iterable[CatalogueItem] | None = None) -> None:
    """Recompute the stored level and capability bits of the given items (all when None)."""
    requirements = load_requirements(session)
    if items is None:
        items = session.scalars(
            select(CatalogueItem).options(selectinload(CatalogueItem.capabilities))
        )
    for item in items:
        level = derive_level(item.capability_codes, requirements)
        if item.maturity_level != level:
            item.maturity_level = level
        bits = capability_bits(capability.id for capability in item.capabilities)
        if item.capability_bits != bits:
            item.capability_bits = bits


# A price that buys a maturity level's increment for a system is named for it ("Level 3
# increment", as GPSoC's price lists have it): how orders find the increment of a level.
_INCREMENT = re.compile(r"\blevel\s+(\d+)\s+increment\b", re.IGNORECASE)


def increment_level(price_name: str) -> int | None:
    """The level whose increment a price buys, from its name; None for any other price."""
    match = _INCREMENT.search(price_name)
    return int(match.group(1)) if match else None


def paid_at_level(price_name: str, running_level: int) -> bool:
    """Whether a practice running its system at `running_level` pays this recurring price: the
    increment of a level above it is not bought (yet)."""
    level = increment_level(price_name)
    return level is None or level <= running_level
