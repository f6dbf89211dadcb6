"""Suppliers' roadmaps: the capabilities a listing plans to gain (capability, target date,
status: planned, in accreditation, delivered).

A roadmap changes like the rest of a listing (`roadmap_writes`): at once on a draft, as the
item's pending revision once published (the authority approves it with the rest). A supplier
calling an entry delivered accredits nothing: only the authority's grant of the capability does
(`accreditation.grant`), which stamps the entry `accredited_on`.

`planned_levels` answers a practice's question "will my supplier's system reach Level 2, and
when?": for each level above the item's, the day its roadmap reaches it, if it does.

Entries travel as "specs" (JSON-safe dicts, as prices do) so that one shape is validated here,
stored in a revision and applied on approval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.maturity import LevelRequirements, derive_level, load_requirements
from catalogue.models import Capability, CatalogueItem, RoadmapEntry, RoadmapStatus
from catalogue.validation import FieldErrors

MAX_ENTRIES = 50
NOTE_MAX = 2000
_INVALID = "The roadmap entry is not valid."


def entry_spec(entry: RoadmapEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "capability": entry.capability.code,
        "target_date": entry.target_date.isoformat(),
        "status": entry.status.value,
        "note": entry.note,
        "accredited_on": entry.accredited_on.isoformat() if entry.accredited_on else None,
    }


def roadmap_specs(item: CatalogueItem) -> list[dict[str, Any]]:
    return [entry_spec(entry) for entry in item.roadmap]


# ------------------------------------------------------------------------------ validation


def _capability(session: Session, code: Any, errors: FieldErrors) -> Capability | None:
    capability = None
    if isinstance(code, str):
        capability = session.scalars(
            select(Capability).where(Capability.code == code.strip().lower())
        ).first()
    if capability is None:
        errors.add("capability", f"No capability {code!r}.")
    return capability


def _validated(
    session: Session,
    item: CatalogueItem,
    spec: Mapping[str, Any],
    others: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """A complete spec, checked against the item and the roadmap's other entries."""
    errors = FieldErrors()
    capability = _capability(session, spec.get("capability"), errors)
    if capability is not None:
        if capability.code in item.capability_codes and spec.get("accredited_on") is None:
            errors.add(
                "capability",
                f"{item.name} is already accredited for {capability.name}; a roadmap lists "
                "what is still to come.",
            )
        if any(other["capability"] == capability.code for other in others):
            errors.add(
                "capability",
                f"The roadmap already has an entry for {capability.name}; change that one.",
            )
    target = spec.get("target_date")
    if isinstance(target, date):
        target = target.isoformat()
    if not isinstance(target, str):
        errors.add("target_date", "Give the target date.")
    else:
        try:
            date.fromisoformat(target)
        except ValueError:
            errors.add("target_date", "Not a date (YYYY-MM-DD).")
    status = spec.get("status") or RoadmapStatus.PLANNED.value
    if status not in {s.value for s in RoadmapStatus}:
        allowed = ", ".join(s.value for s in RoadmapStatus)
        errors.add("status", f"Must be one of: {allowed}.")
    errors.text("note", spec.get("note") or "", NOTE_MAX, required=False)
    errors.raise_if_any(_INVALID)
    return {
        "id": spec.get("id"),
        "capability": capability.code if capability is not None else None,
        "target_date": target,
        "status": str(status),
        "note": (spec.get("note") or "").strip(),
        "accredited_on": spec.get("accredited_on"),
    }


def position_of(specs: list[dict[str, Any]], entry_id: int) -> int:
    for position, spec in enumerate(specs):
        if spec["id"] == entry_id:
            return position
    raise NotFound(f"The roadmap has no entry {entry_id}.")


def created_spec(session: Session, item: CatalogueItem, specs: list[dict], data: Mapping) -> dict:
    if len(specs) >= MAX_ENTRIES:
        raise InvalidInput(_INVALID, {"roadmap": [f"At most {MAX_ENTRIES} entries."]})
    return _validated(session, item, {**data, "id": None, "accredited_on": None}, specs)


def updated_spec(
    session: Session, item: CatalogueItem, specs: list[dict], entry_id: int, changes: Mapping
) -> tuple[int, dict]:
    position = position_of(specs, entry_id)
    current = specs[position]
    if current["accredited_on"] is not None:
        raise Conflict(
            "The entry was accredited by the authority; it is a record now.",
            {"accredited_on": [current["accredited_on"]]},
        )
    merged = {**current, **{k: v for k, v in changes.items() if k != "capability"}}
    others = [spec for spec in specs if spec["id"] != entry_id]
    return position, _validated(session, item, merged, others)


def find_entry(item: CatalogueItem, entry_id: int) -> RoadmapEntry:
    for entry in item.roadmap:
        if entry.id == entry_id:
            return entry
    raise NotFound(f"Item {item.id} has no roadmap entry {entry_id}.")


def new_entry(session: Session, spec: Mapping[str, Any]) -> RoadmapEntry:
    entry = RoadmapEntry(
        capability=session.scalars(
            select(Capability).where(Capability.code == spec["capability"])
        ).one()
    )
    apply_spec(entry, spec)
    return entry


def apply_spec(entry: RoadmapEntry, spec: Mapping[str, Any]) -> None:
    entry.target_date = date.fromisoformat(spec["target_date"])
    entry.status = RoadmapStatus(spec["status"])
    entry.note = spec["note"]


def sync_roadmap(session: Session, item: CatalogueItem, specs: list[dict[str, Any]]) -> None:
    """Make the item's roadmap the approved proposal's (entries the authority accredited while
    the revision was pending keep their stamp)."""
    existing = {entry.id: entry for entry in item.roadmap}
    kept = {spec["id"] for spec in specs if spec["id"] in existing}
    for entry in list(item.roadmap):
        if entry.id not in kept:
            item.roadmap.remove(entry)
    session.flush()  # a removed entry's capability is free before a new entry takes it
    for spec in specs:
        if spec["id"] in existing:
            apply_spec(existing[spec["id"]], spec)
        else:
            item.roadmap.append(new_entry(session, spec))


def mark_accredited(item: CatalogueItem, capability: Capability, on: date) -> None:
    """The authority granted `capability`: the plan for it became an accreditation."""
    for entry in item.roadmap:
        if entry.capability_id == capability.id and entry.accredited_on is None:
            entry.accredited_on = on


# ----------------------------------------------------------------------------- the answer


def planned_levels(
    held: Iterable[str],
    plans: Iterable[tuple[str, date]],
    requirements: LevelRequirements,
) -> list[tuple[int, date]]:
    """For each level above the one `held` capabilities reach, the day the roadmap's `plans`
    (capability code, target date; accredited ones left out) reach it, while they do."""
    have = set(held)
    due: dict[str, date] = {}
    for code, target in plans:
        if code not in have:
            due[code] = min(target, due.get(code, target))
    reached = derive_level(have, requirements)
    needed: set[str] = set()
    answer: list[tuple[int, date]] = []
    for level in sorted(requirements):
        needed |= requirements[level] - have
        if level <= reached:
            continue
        if not needed <= due.keys():
            break
        answer.append((level, max(due[code] for code in needed)))
    return answer


def item_planned_levels(
    item: CatalogueItem, requirements: LevelRequirements
) -> list[tuple[int, date]]:
    plans = [(e.capability.code, e.target_date) for e in item.roadmap if e.accredited_on is None]
    return planned_levels(item.capability_codes, plans, requirements)


def planned_levels_of(item: CatalogueItem) -> list[tuple[int, date]]:
    """`item_planned_levels` with the level definitions read from the item's session."""
    if not item.roadmap:
        return []
    session = object_session(item)
    if session is None:
        return []
    return item_planned_levels(item, load_requirements(session))
