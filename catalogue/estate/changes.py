"""The recorded events that change a practice's estate, each kept in its history and audited
in the transaction of the change.

- seeding gives a practice with no estate the system (and level) the seed says;
- the framework authority may record (correct) a practice's system and level;
- an order's business go-live (never a future date: the caller checks) starts a call-off line
  for each recipient it supplies, to the end of the order's term; for a practice migrating it
  sets the new system at its level and ends the lines of the previous system; for a practice
  upgrading in place it sets the new level;
- completion, termination or an amendment's go-live end the order's lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.estate.current import runs_now
from catalogue.models import (
    CallOffOrder,
    CatalogueItem,
    EstateChange,
    EstateEvent,
    EstateLine,
    ItemKind,
    Organisation,
    PracticeEstate,
)
from catalogue.principal import Principal

OBJECT_TYPE = "organisation"
SEED_ACTOR = "seed"


def _state(practice: Organisation) -> dict[str, Any]:
    running = runs_now(practice)
    if running is None:
        return {"current_system_id": None, "current_level": None}
    return {"current_system_id": running.system.id, "current_level": running.recorded_level}


def _set(
    session: Session,
    practice: Organisation,
    event: EstateEvent,
    recorded_by: str,
    system: CatalogueItem | None,
    level: int | None,
    *,
    effective_on: date | None = None,
    call_off_id: str | None = None,
    detail: str = "",
) -> EstateChange:
    """Set what `practice` runs (None: nothing recorded), with a history row."""
    running = runs_now(practice)
    change = EstateChange(
        organisation_id=practice.id,
        event=event,
        effective_on=effective_on,
        system_id=system.id if system is not None else None,
        level=level,
        previous_system_id=running.system.id if running is not None else None,
        previous_level=running.level if running is not None else None,
        call_off_id=call_off_id,
        detail=detail,
        recorded_by=recorded_by,
    )
    session.add(change)
    if system is None:
        practice.estate = None
    else:
        estate = practice.estate or PracticeEstate(organisation_id=practice.id)
        estate.system = system
        estate.system_id = system.id
        estate.level = level
        estate.since = effective_on
        estate.call_off_id = call_off_id
        practice.estate = estate
    session.flush()
    return change


def seed(
    session: Session, practice: Organisation, system: CatalogueItem, level: int | None
) -> bool:
    """The seed's system for a practice that has none recorded yet (True when set): once a
    practice has an estate, only recorded events change it, never a second seeding."""
    if practice.estate is not None:
        return False
    _set(session, practice, EstateEvent.SEEDED, SEED_ACTOR, system, level, detail="From the seed.")
    return True


def record(
    session: Session,
    actor: Principal,
    practice: Organisation,
    system: CatalogueItem | None,
    level: int | None,
) -> None:
    """The framework authority records (corrects) what a practice runs. The caller checks the
    values and audits the organisation's change."""
    running = runs_now(practice)
    same_system = (running.system.id if running else None) == (system.id if system else None)
    if same_system and (running.recorded_level if running else None) == level:
        return
    _set(
        session,
        practice,
        EstateEvent.RECORDED,
        actor.label,
        system,
        level,
        detail="Recorded by the framework authority.",
    )


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    practice: Organisation,
    before: dict[str, Any],
    order: CallOffOrder,
) -> None:
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        practice.id,
        before=before,
        after={**_state(practice), "order": order.call_off_id},
        organisation_id=order.commissioner_id,
    )


def _systems_for(order: CallOffOrder, practice_id: int) -> list[CatalogueItem]:
    """The principal systems the order supplies to a practice (a quantity above 0)."""
    found: dict[int, CatalogueItem] = {}
    for line in order.items:
        item = line.catalogue_item
        if item.kind is ItemKind.SYSTEM and any(
            q.organisation_id == practice_id and q.quantity > 0 for q in line.quantities
        ):
            found.setdefault(item.id, item)
    return list(found.values())


def _supplied(order: CallOffOrder, practice_id: int) -> bool:
    return any(
        q.organisation_id == practice_id and q.quantity > 0
        for line in order.items
        for q in line.quantities
    )


def go_live(
    session: Session, actor: Principal, order: CallOffOrder, on: date, term_end: date
) -> None:
    """An order's business go-live on `on` (today or before), its term ending on `term_end`."""
    migrating = {migration.organisation_id: migration for migration in order.migrations}
    upgrading = {upgrade.organisation_id: upgrade for upgrade in order.upgrades}
    for recipient in order.recipients:
        practice = recipient.organisation
        systems = _systems_for(order, practice.id)
        migration = migrating.get(practice.id)
        upgrade = upgrading.get(practice.id)
        running = runs_now(practice)
        if migration is not None and systems and (running is None or running.system != systems[0]):
            new = systems[0]
            before = _state(practice)
            _end_lines_of_system(
                session,
                practice,
                migration.previous_system_id,
                on,
                f"Replaced by {new.name} ({order.call_off_id}), live on {on.isoformat()}.",
                actor.label,
            )
            _set(
                session,
                practice,
                EstateEvent.MIGRATION,
                actor.label,
                new,
                new.maturity_level,
                effective_on=on,
                call_off_id=order.call_off_id,
                detail=f"Migrated from {migration.previous_system.name} to {new.name}.",
            )
            _audit(session, actor, "organisation.migrate", practice, before, order)
        elif upgrade is not None and running is not None and running.system.id == upgrade.system_id:
            before = _state(practice)
            _set(
                session,
                practice,
                EstateEvent.UPGRADE,
                actor.label,
                running.system,
                upgrade.to_level,
                effective_on=on,
                call_off_id=order.call_off_id,
                detail=f"{running.system.name} upgraded to Level {upgrade.to_level}.",
            )
            _audit(session, actor, "organisation.upgrade", practice, before, order)
        if _supplied(order, practice.id):
            line = EstateLine(
                organisation_id=practice.id,
                system=systems[0] if systems else None,
                call_off_id=order.call_off_id,
                description=", ".join(sorted({item.catalogue_item.name for item in order.items}))[
                    :500
                ],
                start_date=on,
                end_date=term_end,
            )
            session.add(line)
            session.add(
                EstateChange(
                    organisation_id=practice.id,
                    event=EstateEvent.LINE_STARTED,
                    effective_on=on,
                    system_id=line.system.id if line.system is not None else None,
                    call_off_id=order.call_off_id,
                    detail=f"Call-off line from {on.isoformat()} to {term_end.isoformat()}.",
                    recorded_by=actor.label,
                )
            )
    session.flush()


def _close(
    session: Session, lines: Iterable[EstateLine], on: date, reason: str, recorded_by: str
) -> None:
    for line in lines:
        end = max(on, line.start_date) if line.start_date is not None else on
        line.end_date = end
        line.ended_reason = reason
        session.add(
            EstateChange(
                organisation_id=line.organisation_id,
                event=EstateEvent.LINE_ENDED,
                effective_on=end,
                system_id=line.system_id,
                call_off_id=line.call_off_id,
                detail=reason,
                recorded_by=recorded_by,
            )
        )


def _open_on(query: Any, on: date) -> Any:
    return query.where(or_(EstateLine.end_date.is_(None), EstateLine.end_date > on))


def _end_lines_of_system(
    session: Session,
    practice: Organisation,
    system_id: int,
    on: date,
    reason: str,
    recorded_by: str,
) -> None:
    lines = session.scalars(
        _open_on(
            select(EstateLine).where(
                EstateLine.organisation_id == practice.id, EstateLine.system_id == system_id
            ),
            on,
        )
    )
    _close(session, list(lines), on, reason, recorded_by)


def end_order_lines(
    session: Session, actor: Principal, order: CallOffOrder, on: date, reason: str
) -> None:
    """The order's lines end on `on` (completion, termination, or superseded by an amendment),
    where they ran on past it."""
    lines = session.scalars(
        _open_on(select(EstateLine).where(EstateLine.call_off_id == order.call_off_id), on)
    )
    _close(session, list(lines), on, reason, actor.label)
    session.flush()
