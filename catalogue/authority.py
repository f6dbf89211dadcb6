"""The framework authority's writes: frameworks (and their status), lots, capabilities, maturity
levels and organisations. Each write is audited in its own transaction; each object carries a
version column that its ETag is made from."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from . import audit
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .maturity import refresh_derived_fields
from .models import (
    Capability,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    Funding,
    ItemKind,
    Lot,
    MaturityLevel,
    Organisation,
    OrganisationKind,
)
from .principal import Principal
from .validation import DESCRIPTION_MAX, NAME_MAX, FieldErrors

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ODS_PATTERN = re.compile(r"^[A-Z0-9]{3,10}$")
COMMISSIONER_TYPES = ("PCT", "CCG", "ICB")
MAX_TERM_MONTHS = 240


def _require_authority(actor: Principal) -> None:
    if not actor.is_authority:
        raise Forbidden("Only the framework authority may do this.")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return getattr(value, "value", value)


def _snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _assign(obj: Any, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


def _record_change(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: int | str,
    before: dict | None,
    after: dict | None,
    organisation_id: int | None = None,
) -> None:
    if before is not None and after is not None:
        before, after = audit.changes(before, after)
    audit.record(
        session,
        actor,
        action,
        object_type,
        object_id,
        before=before,
        after=after,
        organisation_id=organisation_id,
    )


# --------------------------------------------------------------------------- frameworks

FRAMEWORK_FIELDS = (
    "slug",
    "name",
    "description",
    "status",
    "start_date",
    "end_date",
    "continuity_end_date",
    "max_term_months",
    "funding_types",
)
FRAMEWORK_TRANSITIONS = {
    "open": (FrameworkStatus.COMING, FrameworkStatus.OPEN),
    "go-live": (FrameworkStatus.OPEN, FrameworkStatus.LIVE),
    "expire": (FrameworkStatus.LIVE, FrameworkStatus.EXPIRED),
}


def _validate_framework(errors: FieldErrors, values: Mapping[str, Any]) -> None:
    errors.text("name", values.get("name"), NAME_MAX, required=True)
    errors.text("description", values.get("description") or "", DESCRIPTION_MAX, required=False)
    start, end = values.get("start_date"), values.get("end_date")
    continuity = values.get("continuity_end_date")
    if start is None:
        errors.add("start_date", "Required.")
    if end is None:
        errors.add("end_date", "Required.")
    if start and end and end < start:
        errors.add("end_date", "Cannot be before start_date.")
    if continuity and end and continuity < end:
        errors.add("continuity_end_date", "Cannot be before end_date.")
    term = values.get("max_term_months")
    if not isinstance(term, int) or isinstance(term, bool) or not 1 <= term <= MAX_TERM_MONTHS:
        errors.add("max_term_months", f"A whole number of months from 1 to {MAX_TERM_MONTHS}.")
    funding = values.get("funding_types") or []
    allowed = {f.value for f in Funding}
    if not funding or any(_plain(f) not in allowed for f in funding):
        errors.add("funding_types", f"One or more of: {', '.join(sorted(allowed))}.")


def create_framework(session: Session, actor: Principal, data: Mapping[str, Any]) -> Framework:
    _require_authority(actor)
    errors = FieldErrors()
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or len(slug) > 64:
        errors.add("slug", "Lower-case letters, digits and single hyphens, at most 64.")
    _validate_framework(errors, data)
    errors.raise_if_any("The framework is not valid.")
    if session.scalars(select(Framework.id).where(Framework.slug == slug)).first() is not None:
        raise Conflict(f"A framework {slug!r} exists already.", {"slug": ["Already used."]})
    values = {name: data[name] for name in FRAMEWORK_FIELDS if name in data and name != "status"}
    values["funding_types"] = sorted({_plain(f) for f in values["funding_types"]})
    values.setdefault("description", "")
    framework = Framework(status=FrameworkStatus.COMING, **values)
    session.add(framework)
    session.flush()
    _record_change(
        session,
        actor,
        "framework.create",
        "framework",
        framework.slug,
        None,
        _snapshot(framework, FRAMEWORK_FIELDS),
    )
    return framework


def update_framework(
    session: Session, actor: Principal, framework: Framework, changes: Mapping[str, Any]
) -> Framework:
    _require_authority(actor)
    editable = [name for name in FRAMEWORK_FIELDS if name not in ("slug", "status")]
    merged = {**{name: getattr(framework, name) for name in editable}, **changes}
    errors = FieldErrors()
    _validate_framework(errors, merged)
    errors.raise_if_any("The change is not valid.")
    if "funding_types" in changes:
        funding = sorted({_plain(f) for f in changes["funding_types"]})
        changes = {**changes, "funding_types": funding}
    before = _snapshot(framework, FRAMEWORK_FIELDS)
    _assign(framework, {name: value for name, value in changes.items() if name in editable})
    session.flush()
    _record_change(
        session,
        actor,
        "framework.update",
        "framework",
        framework.slug,
        before,
        _snapshot(framework, FRAMEWORK_FIELDS),
    )
    return framework


def transition_framework(
    session: Session, actor: Principal, framework: Framework, name: str
) -> Framework:
    """coming -> open -> live -> expired, one explicit step at a time."""
    _require_authority(actor)
    source, target = FRAMEWORK_TRANSITIONS[name]
    if framework.status is not source:
        allowed = [n for n, (s, _) in FRAMEWORK_TRANSITIONS.items() if s is framework.status]
        raise Conflict(
            f"Cannot {name} a framework that is {framework.status.value}; allowed: "
            f"{', '.join(allowed) or 'nothing (it is final)'}.",
            {"allowed_transitions": allowed},
        )
    before = {"status": framework.status.value}
    framework.status = target
    session.flush()
    _record_change(
        session,
        actor,
        f"framework.{name}",
        "framework",
        framework.slug,
        before,
        {"status": target.value},
    )
    return framework


# --------------------------------------------------------------------------- lots

LOT_FIELDS = ("number", "name", "description", "default_funding")


def _validate_lot(errors: FieldErrors, values: Mapping[str, Any]) -> None:
    errors.text("name", values.get("name"), NAME_MAX, required=True)
    errors.text("description", values.get("description") or "", DESCRIPTION_MAX, required=False)
    if _plain(values.get("default_funding")) not in {f.value for f in Funding}:
        errors.add("default_funding", "One of: central, local.")


def create_lot(
    session: Session, actor: Principal, framework: Framework, data: Mapping[str, Any]
) -> Lot:
    _require_authority(actor)
    errors = FieldErrors()
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 1000:
        errors.add("number", "A whole number from 1 to 1000.")
    _validate_lot(errors, data)
    errors.raise_if_any("The lot is not valid.")
    if any(lot.number == number for lot in framework.lots):
        raise Conflict(f"Framework {framework.slug!r} has a lot {number} already.")
    lot = Lot(
        number=number,
        name=data["name"].strip(),
        description=data.get("description") or "",
        default_funding=Funding(_plain(data["default_funding"])),
    )
    framework.lots.append(lot)
    session.flush()
    _record_change(
        session,
        actor,
        "lot.create",
        "lot",
        f"{framework.slug}/{number}",
        None,
        _snapshot(lot, LOT_FIELDS),
    )
    return lot


def update_lot(session: Session, actor: Principal, lot: Lot, changes: Mapping[str, Any]) -> Lot:
    _require_authority(actor)
    editable = ("name", "description", "default_funding")
    errors = FieldErrors()
    _validate_lot(errors, {**_snapshot(lot, editable), **changes})
    errors.raise_if_any("The change is not valid.")
    before = _snapshot(lot, LOT_FIELDS)
    for name in editable:
        if name in changes:
            value = changes[name]
            setattr(lot, name, Funding(_plain(value)) if name == "default_funding" else value)
    session.flush()
    _record_change(
        session,
        actor,
        "lot.update",
        "lot",
        f"{lot.framework.slug}/{lot.number}",
        before,
        _snapshot(lot, LOT_FIELDS),
    )
    return lot


# --------------------------------------------------------------------------- capabilities

CAPABILITY_FIELDS = ("code", "name", "description", "category")


def _validate_capability(errors: FieldErrors, values: Mapping[str, Any]) -> None:
    errors.text("name", values.get("name"), NAME_MAX, required=True)
    errors.text("description", values.get("description") or "", DESCRIPTION_MAX, required=False)
    category = values.get("category")
    if not isinstance(category, str) or not SLUG_PATTERN.match(category.replace("_", "-")):
        errors.add("category", "A short code such as 'interoperability'.")
    elif len(category) > 64:
        errors.add("category", "At most 64 characters.")


def get_capability(session: Session, code: str) -> Capability:
    capability = session.scalars(select(Capability).where(Capability.code == code)).first()
    if capability is None:
        raise NotFound(f"No capability {code!r}.")
    return capability


def create_capability(session: Session, actor: Principal, data: Mapping[str, Any]) -> Capability:
    _require_authority(actor)
    errors = FieldErrors()
    code = data.get("code")
    if not isinstance(code, str) or not SLUG_PATTERN.match(code) or len(code) > 64:
        errors.add("code", "Lower-case letters, digits and single hyphens, at most 64.")
    _validate_capability(errors, data)
    errors.raise_if_any("The capability is not valid.")
    if session.scalars(select(Capability.id).where(Capability.code == code)).first():
        raise Conflict(f"A capability {code!r} exists already.", {"code": ["Already used."]})
    capability = Capability(
        code=code,
        name=data["name"].strip(),
        description=data.get("description") or "",
        category=data["category"],
    )
    session.add(capability)
    session.flush()
    _record_change(
        session,
        actor,
        "capability.create",
        "capability",
        code,
        None,
        _snapshot(capability, CAPABILITY_FIELDS),
    )
    return capability


def update_capability(
    session: Session, actor: Principal, capability: Capability, changes: Mapping[str, Any]
) -> Capability:
    _require_authority(actor)
    editable = ("name", "description", "category")
    errors = FieldErrors()
    _validate_capability(errors, {**_snapshot(capability, editable), **changes})
    errors.raise_if_any("The change is not valid.")
    before = _snapshot(capability, CAPABILITY_FIELDS)
    _assign(capability, {name: value for name, value in changes.items() if name in editable})
    session.flush()
    _record_change(
        session,
        actor,
        "capability.update",
        "capability",
        capability.code,
        before,
        _snapshot(capability, CAPABILITY_FIELDS),
    )
    return capability


# --------------------------------------------------------------------------- maturity levels


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
    _require_authority(actor)
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
    _record_change(
        session,
        actor,
        "maturity_level.create",
        "maturity_level",
        number,
        None,
        {**_level_snapshot(level), "items_relevelled": relevelled},
    )
    return LevelChange(level, relevelled)


def update_maturity_level(
    session: Session, actor: Principal, level: MaturityLevel, changes: Mapping[str, Any]
) -> LevelChange:
    """Change a level; a change to its required capabilities re-derives every item's level."""
    _require_authority(actor)
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


# --------------------------------------------------------------------------- organisations

ORGANISATION_FIELDS = (
    "kind",
    "ods_code",
    "name",
    "commissioner_type",
    "postcode",
    "commissioner_id",
    "list_size",
    "current_system_id",
)


def _owner_of(organisation: Organisation) -> int:
    """The commissioner whose events these are: itself, or a practice's commissioner."""
    if organisation.kind is OrganisationKind.PRACTICE and organisation.commissioner_id:
        return organisation.commissioner_id
    return organisation.id


def _validate_organisation(
    session: Session, errors: FieldErrors, kind: OrganisationKind, values: Mapping[str, Any]
) -> None:
    errors.text("name", values.get("name"), NAME_MAX, required=True)
    errors.text("postcode", values.get("postcode"), 10, required=False)
    if kind is OrganisationKind.COMMISSIONER:
        if values.get("commissioner_type") not in COMMISSIONER_TYPES:
            errors.add("commissioner_type", f"One of: {', '.join(COMMISSIONER_TYPES)}.")
        for name in ("commissioner_id", "list_size", "current_system_id"):
            if values.get(name) is not None:
                errors.add(name, "Only practices have this.")
        return
    if values.get("commissioner_type") is not None:
        errors.add("commissioner_type", "Only commissioners have this.")
    list_size = values.get("list_size")
    if not isinstance(list_size, int) or isinstance(list_size, bool) or list_size < 0:
        errors.add("list_size", "A practice needs its registered list size (0 or more).")
    commissioner_id = values.get("commissioner_id")
    commissioner = session.get(Organisation, commissioner_id) if commissioner_id else None
    if commissioner is None or commissioner.kind is not OrganisationKind.COMMISSIONER:
        errors.add("commissioner_id", "A practice needs the id of an existing commissioner.")
    system_id = values.get("current_system_id")
    if system_id is not None:
        system = session.get(CatalogueItem, system_id)
        if system is None or system.kind is not ItemKind.SYSTEM:
            errors.add("current_system_id", "Must be the id of a principal system.")


def create_organisation(
    session: Session, actor: Principal, data: Mapping[str, Any]
) -> Organisation:
    _require_authority(actor)
    errors = FieldErrors()
    if _plain(data.get("kind")) not in {kind.value for kind in OrganisationKind}:
        raise InvalidInput("The organisation is not valid.", {"kind": ["commissioner or practice"]})
    kind = OrganisationKind(_plain(data["kind"]))
    ods_code = (data.get("ods_code") or "").strip().upper()
    if not ODS_PATTERN.match(ods_code):
        errors.add("ods_code", "An ODS code: 3 to 10 letters and digits.")
    _validate_organisation(session, errors, kind, data)
    errors.raise_if_any("The organisation is not valid.")
    if session.scalars(select(Organisation.id).where(Organisation.ods_code == ods_code)).first():
        raise Conflict(f"ODS code {ods_code} is taken.", {"ods_code": ["Already used."]})
    organisation = Organisation(
        kind=kind,
        ods_code=ods_code,
        **{name: data.get(name) for name in ORGANISATION_FIELDS[2:]},
    )
    organisation.name = organisation.name.strip()
    session.add(organisation)
    session.flush()
    _record_change(
        session,
        actor,
        "organisation.create",
        "organisation",
        organisation.id,
        None,
        _snapshot(organisation, ORGANISATION_FIELDS),
        organisation_id=_owner_of(organisation),
    )
    return organisation


def update_organisation(
    session: Session, actor: Principal, organisation: Organisation, changes: Mapping[str, Any]
) -> Organisation:
    _require_authority(actor)
    editable = ORGANISATION_FIELDS[2:]
    errors = FieldErrors()
    merged = {**_snapshot(organisation, editable), **changes}
    _validate_organisation(session, errors, organisation.kind, merged)
    errors.raise_if_any("The change is not valid.")
    before = _snapshot(organisation, ORGANISATION_FIELDS)
    old_owner = _owner_of(organisation)
    _assign(organisation, {name: value for name, value in changes.items() if name in editable})
    session.flush()
    _record_change(
        session,
        actor,
        "organisation.update",
        "organisation",
        organisation.id,
        before,
        _snapshot(organisation, ORGANISATION_FIELDS),
        organisation_id=old_owner,
    )
    return organisation
