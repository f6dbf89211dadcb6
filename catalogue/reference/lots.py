"""Lots of a framework: reads and the authority's writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue import audit
from catalogue.errors import Conflict, NotFound
from catalogue.funding import LOT_DEFAULT_PAYERS, payer_error
from catalogue.models import (
    Framework,
    Funding,
    Lot,
)
from catalogue.plain import plain
from catalogue.principal import Principal
from catalogue.reference.common import require_authority, snapshot
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, FieldErrors

LOT_FIELDS = ("number", "name", "description", "default_funding")


def _validate_lot(errors: FieldErrors, values: Mapping[str, Any]) -> None:
    errors.text("name", values.get("name"), NAME_MAX, required=True)
    errors.text("description", values.get("description") or "", DESCRIPTION_MAX, required=False)
    value = plain(values.get("default_funding"))
    if value not in {payer.value for payer in LOT_DEFAULT_PAYERS}:
        errors.add("default_funding", payer_error(value, LOT_DEFAULT_PAYERS))


def create_lot(
    session: Session, actor: Principal, framework: Framework, data: Mapping[str, Any]
) -> Lot:
    require_authority(actor)
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
        default_funding=Funding(plain(data["default_funding"])),
    )
    framework.lots.append(lot)
    session.flush()
    audit.record_change(
        session,
        actor,
        "lot.create",
        "lot",
        f"{framework.slug}/{number}",
        None,
        snapshot(lot, LOT_FIELDS),
    )
    return lot


def update_lot(session: Session, actor: Principal, lot: Lot, changes: Mapping[str, Any]) -> Lot:
    require_authority(actor)
    editable = ("name", "description", "default_funding")
    errors = FieldErrors()
    _validate_lot(errors, {**snapshot(lot, editable), **changes})
    errors.raise_if_any("The change is not valid.")
    before = snapshot(lot, LOT_FIELDS)
    for name in editable:
        if name in changes:
            value = changes[name]
            setattr(lot, name, Funding(plain(value)) if name == "default_funding" else value)
    session.flush()
    audit.record_change(
        session,
        actor,
        "lot.update",
        "lot",
        f"{lot.framework.slug}/{lot.number}",
        before,
        snapshot(lot, LOT_FIELDS),
    )
    return lot


def get_lot(session: Session, framework_slug: str, number: int) -> Lot:
    lot = session.scalars(
        select(Lot)
        .join(Framework)
        .where(Framework.slug == framework_slug, Lot.number == number)
        .options(joinedload(Lot.framework))
    ).first()
    if lot is None:
        raise NotFound(f"No lot {number} in framework {framework_slug!r}.")
    return lot
