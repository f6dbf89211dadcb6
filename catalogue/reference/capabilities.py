"""Capabilities an item can be accredited for: reads and the authority's writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import Conflict, NotFound
from catalogue.models import (
    Capability,
)
from catalogue.principal import Principal
from catalogue.reference.common import assign, require_authority, snapshot
from catalogue.reference.frameworks import SLUG_PATTERN
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, FieldErrors

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
    require_authority(actor)
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
    audit.record_change(
        session,
        actor,
        "capability.create",
        "capability",
        capability.code,
        None,
        snapshot(capability, CAPABILITY_FIELDS),
    )
    return capability


def update_capability(
    session: Session, actor: Principal, capability: Capability, changes: Mapping[str, Any]
) -> Capability:
    require_authority(actor)
    editable = ("name", "description", "category")
    errors = FieldErrors()
    _validate_capability(errors, {**snapshot(capability, editable), **changes})
    errors.raise_if_any("The change is not valid.")
    before = snapshot(capability, CAPABILITY_FIELDS)
    assign(capability, {name: value for name, value in changes.items() if name in editable})
    session.flush()
    audit.record_change(
        session,
        actor,
        "capability.update",
        "capability",
        capability.code,
        before,
        snapshot(capability, CAPABILITY_FIELDS),
    )
    return capability


def list_capabilities(session: Session) -> list[Capability]:
    return list(session.scalars(select(Capability).order_by(Capability.code)))
