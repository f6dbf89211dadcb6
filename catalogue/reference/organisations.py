"""Organisations: commissioners (PCT, CCG, ICB) and their practices (ODS code, list size,
current system and the level it runs it at). Reads and the authority's writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from catalogue import audit, estate
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.models import (
    COMMISSIONER_TYPES,
    CatalogueItem,
    ItemKind,
    Organisation,
    OrganisationKind,
    PracticeEstate,
)
from catalogue.plain import plain
from catalogue.principal import Principal
from catalogue.reference.common import (
    assign,
    require_authority,
    snapshot,
)
from catalogue.validation import NAME_MAX, FieldErrors

ODS_PATTERN = re.compile(r"^[A-Z0-9]{3,10}$")


ORGANISATION_FIELDS = (
    "kind",
    "ods_code",
    "name",
    "commissioner_type",
    "postcode",
    "commissioner_id",
    "list_size",
)
# What a practice runs: kept in its estate (catalogue.estate), recorded here by the authority.
ESTATE_FIELDS = ("current_system_id", "current_level")


def _snapshot(organisation: Organisation) -> dict[str, Any]:
    running = estate.runs_now(organisation)
    return {
        **snapshot(organisation, ORGANISATION_FIELDS),
        "current_system_id": running.system.id if running else None,
        "current_level": running.recorded_level if running else None,
    }


def _record_estate(
    session: Session, actor: Principal, organisation: Organisation, values: Mapping[str, Any]
) -> None:
    if organisation.kind is not OrganisationKind.PRACTICE:
        return
    system_id = values.get("current_system_id")
    system = session.get(CatalogueItem, system_id) if system_id is not None else None
    estate.record(
        session, actor, organisation, system, values.get("current_level") if system else None
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
        for name in ("commissioner_id", "list_size", "current_system_id", "current_level"):
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
            system = None
    else:
        system = None
    _check_level(errors, values.get("current_level"), system, system_id is not None)


def _check_level(
    errors: FieldErrors, level: Any, system: CatalogueItem | None, named: bool
) -> None:
    """A practice runs its system at most at the level the system is accredited to (below it
    when it has not moved up yet: GPSoC does not make a practice climb before it is ready)."""
    if level is None:
        return
    if not isinstance(level, int) or isinstance(level, bool) or level < 1:
        errors.add("current_level", "A maturity level, 1 or more.")
    elif system is None:
        if not named:
            errors.add("current_level", "Record the practice's current system first.")
    elif level > system.maturity_level:
        errors.add(
            "current_level",
            f"{system.name} is accredited to Level {system.maturity_level}; the practice cannot "
            "run it at a higher level.",
        )


def create_organisation(
    session: Session, actor: Principal, data: Mapping[str, Any]
) -> Organisation:
    require_authority(actor)
    errors = FieldErrors()
    if plain(data.get("kind")) not in {kind.value for kind in OrganisationKind}:
        raise InvalidInput("The organisation is not valid.", {"kind": ["commissioner or practice"]})
    kind = OrganisationKind(plain(data["kind"]))
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
    _record_estate(session, actor, organisation, data)
    audit.record_change(
        session,
        actor,
        "organisation.create",
        "organisation",
        organisation.id,
        None,
        _snapshot(organisation),
        organisation_id=_owner_of(organisation),
    )
    return organisation


def update_organisation(
    session: Session, actor: Principal, organisation: Organisation, changes: Mapping[str, Any]
) -> Organisation:
    require_authority(actor)
    editable = ORGANISATION_FIELDS[2:]
    errors = FieldErrors()
    before = _snapshot(organisation)
    merged = {**{name: before[name] for name in editable + ESTATE_FIELDS}, **changes}
    _validate_organisation(session, errors, organisation.kind, merged)
    errors.raise_if_any("The change is not valid.")
    old_owner = _owner_of(organisation)
    assign(organisation, {name: value for name, value in changes.items() if name in editable})
    session.flush()
    if set(ESTATE_FIELDS) & set(changes):
        _record_estate(session, actor, organisation, merged)
    audit.record_change(
        session,
        actor,
        "organisation.update",
        "organisation",
        organisation.id,
        before,
        _snapshot(organisation),
        organisation_id=old_owner,
    )
    return organisation


def list_organisations(
    session: Session,
    page: int,
    page_size: int,
    kind: OrganisationKind | None = None,
    commissioner_id: int | None = None,
    ods_code: str | None = None,
) -> tuple[list[Organisation], int]:
    query = select(Organisation)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if commissioner_id is not None:
        query = query.where(Organisation.commissioner_id == commissioner_id)
    if ods_code is not None:
        query = query.where(Organisation.ods_code == ods_code.upper())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.options(
        joinedload(Organisation.commissioner),
        joinedload(Organisation.estate).joinedload(PracticeEstate.system),
    ).order_by(Organisation.kind, Organisation.name, Organisation.id)
    return list(session.scalars(query.limit(page_size).offset((page - 1) * page_size))), total


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(
        Organisation,
        organisation_id,
        options=[
            joinedload(Organisation.commissioner),
            joinedload(Organisation.estate).joinedload(PracticeEstate.system),
        ],
    )
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    return organisation
