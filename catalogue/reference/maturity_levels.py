"""GPSoC maturity levels, each defined by the capabilities it requires: reads and the authority's
writes. Changing a level's requirements re-derives every item's level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from catalogue import audit
from catalogue.errors import Conflict, NotFound
from catalogue.maturity import refresh_derived_fields
from catalogue.models import (
    Capability,
    CatalogueItem,
    MaturityLevel,
)
from catalogue.principal import Principal
from catalogue.reference.common import require_authority
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, FieldErrors


def _level_snapshot(level: MaturityLevel) -> dict[str, Any]:
    return {
        "level": level.level,
        "name": level.name,
        "description": level.description,
        "required_capabilities": [c.code for c in level.required_capabilities],
    }


def _capabilities_by_code(session: Session, errors: FieldErrors, codes: Any) -> list[Capability]:
    if not isinstance(codes, list | tuple) or not all(isinstance(c, str) for c in codes):
        errors.add("required_capabilities", "A list of capability codes.")
        return []
    found = {
        c.code: c for c in session.scalars(select(Capability).where(Capability.code.in_(codes)))
    }
    unknown = sorted(set(codes) - set(found))
    if unknown:
        errors.add("required_capabilities", f"Unknown capability codes: {', '.join(unknown)}.")
    return [found[code] for code in sorted(set(codes)) if code in found]


def get_maturity_level(session: Session, level: int) -> MaturityLevel:
    found = session.scalars(select(MaturityLevel).where(MaturityLevel.level == level)).first()
    if found is None:
        raise NotFound(f"No maturity level {level}.")
    return found


@dataclass(frozen=True)
class LevelChange:
    level: MaturityLevel
    items_relevelled: int


def _relevel_items(session: Session) -> int:
    """Re-derive every item's level from the ladder as it now stands; how many changed."""
    before = dict(session.execute(select(CatalogueItem.id, CatalogueItem.maturity_level)).all())
    refresh_derived_fields(session)
    session.flush()
    after = dict(session.execute(select(CatalogueItem.id, CatalogueItem.maturity_level)).all())
    return sum(1 for item_id, level in after.items() if before.get(item_id) != level)


def create_maturity_level(
    session: Session, actor: Principal, data: Mapping[str, Any]
) -> LevelChange:
    require_authority(actor)
    errors = FieldErrors()
    number = data.get("level")
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 100:
        errors.add("level", "A whole number from 1 to 100.")
    errors.text("name", data.get("name"), NAME_MAX, required=True)
    errors.text("description", data.get("description") or "", DESCRIPTION_MAX, required=False)
    capabilities = _capabilities_by_code(session, errors, data.get("required_capabilities", []))
    errors.raise_if_any("The maturity level is not valid.")
    if session.scalars(select(MaturityLevel.id).where(MaturityLevel.level == number)).first():
        raise Conflict(f"Maturity level {number} exists already.", {"level": ["Already used."]})
    level = MaturityLevel(
        level=number,
        name=data["name"].strip(),
        description=data.get("description") or "",
        required_capabilities=capabilities,
    )
    session.add(level)
    session.flush()
    relevelled = _relevel_items(session)
    audit.record_change(
        session,
        actor,
        "maturity_level.create",
        "maturity_level",
        level.level,
        None,
        {**_level_snapshot(level), "items_relevelled": relevelled},
    )
    return LevelChange(level, relevelled)


def update_maturity_level(
    session: Session, actor: Principal, level: MaturityLevel, changes: Mapping[str, Any]
) -> LevelChange:
    """Change a level; a change to its required capabilities re-derives every item's level."""
    require_authority(actor)
    errors = FieldErrors()
    errors.text("name", changes.get("name", level.name), NAME_MAX, required=True)
    errors.text("description", changes.get("description") or "", DESCRIPTION_MAX, required=False)
    capabilities = None
    if "required_capabilities" in changes:
        capabilities = _capabilities_by_code(session, errors, changes["required_capabilities"])
    errors.raise_if_any("The change is not valid.")
    before = _level_snapshot(level)
    for name in ("name", "description"):
        if name in changes:
            setattr(level, name, changes[name])
    relevelled = 0
    if capabilities is not None:
        level.required_capabilities = capabilities
        # The many-to-many change alone would not bump the level's version (its ETag).
        flag_modified(level, "name")
        session.flush()
        relevelled = _relevel_items(session)
    session.flush()
    after = _level_snapshot(level)
    before, after = audit.changes(before, after)
    audit.record(
        session,
        actor,
        "maturity_level.update",
        "maturity_level",
        level.level,
        before=before,
        after={**after, "items_relevelled": relevelled},
    )
    return LevelChange(level, relevelled)


def list_maturity_levels(session: Session) -> list[MaturityLevel]:
    query = (
        select(MaturityLevel)
        .options(selectinload(MaturityLevel.required_capabilities))
        .order_by(MaturityLevel.level)
    )
    return list(session.scalars(query))
