"""Frameworks: reads, the authority's writes, and the status lifecycle (coming -> open -> live ->
expired; each transition explicit and audited).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue import audit
from catalogue.errors import Conflict, NotFound
from catalogue.funding import payer_error
from catalogue.models import (
    Framework,
    FrameworkStatus,
    Funding,
)
from catalogue.plain import plain
from catalogue.principal import Principal
from catalogue.reference.common import (
    assign,
    require_authority,
    snapshot,
)
from catalogue.validation import DESCRIPTION_MAX, NAME_MAX, FieldErrors

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


MAX_TERM_MONTHS = 240


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
    wrong = [plain(f) for f in funding if plain(f) not in allowed]
    if not funding or wrong:
        errors.add("funding_types", payer_error(wrong[0] if wrong else None))


def create_framework(session: Session, actor: Principal, data: Mapping[str, Any]) -> Framework:
    require_authority(actor)
    errors = FieldErrors()
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or len(slug) > 64:
        errors.add("slug", "Lower-case letters, digits and single hyphens, at most 64.")
    _validate_framework(errors, data)
    errors.raise_if_any("The framework is not valid.")
    if session.scalars(select(Framework.id).where(Framework.slug == slug)).first() is not None:
        raise Conflict(f"A framework {slug!r} exists already.", {"slug": ["Already used."]})
    values = {name: data[name] for name in FRAMEWORK_FIELDS if name in data and name != "status"}
    values["funding_types"] = sorted({plain(f) for f in values["funding_types"]})
    values.setdefault("description", "")
    framework = Framework(status=FrameworkStatus.COMING, **values)
    session.add(framework)
    session.flush()
    audit.record_change(
        session,
        actor,
        "framework.create",
        "framework",
        framework.slug,
        None,
        snapshot(framework, FRAMEWORK_FIELDS),
    )
    return framework


def update_framework(
    session: Session, actor: Principal, framework: Framework, changes: Mapping[str, Any]
) -> Framework:
    require_authority(actor)
    editable = [name for name in FRAMEWORK_FIELDS if name not in ("slug", "status")]
    merged = {**{name: getattr(framework, name) for name in editable}, **changes}
    errors = FieldErrors()
    _validate_framework(errors, merged)
    errors.raise_if_any("The change is not valid.")
    if "funding_types" in changes:
        funding = sorted({plain(f) for f in changes["funding_types"]})
        changes = {**changes, "funding_types": funding}
    before = snapshot(framework, FRAMEWORK_FIELDS)
    assign(framework, {name: value for name, value in changes.items() if name in editable})
    session.flush()
    audit.record_change(
        session,
        actor,
        "framework.update",
        "framework",
        framework.slug,
        before,
        snapshot(framework, FRAMEWORK_FIELDS),
    )
    return framework


def transition_framework(
    session: Session, actor: Principal, framework: Framework, name: str
) -> Framework:
    """coming -> open -> live -> expired, one explicit step at a time."""
    require_authority(actor)
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
    audit.record_change(
        session,
        actor,
        f"framework.{name}",
        "framework",
        framework.slug,
        before,
        {"status": target.value},
    )
    return framework


def list_frameworks(session: Session) -> list[Framework]:
    query = select(Framework).options(selectinload(Framework.lots)).order_by(Framework.start_date)
    return list(session.scalars(query))


def get_framework(session: Session, slug: str) -> Framework:
    framework = session.scalars(
        select(Framework).where(Framework.slug == slug).options(selectinload(Framework.lots))
    ).first()
    if framework is None:
        raise NotFound(f"No framework {slug!r}.")
    return framework
