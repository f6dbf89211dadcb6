"""Reading a practice's estate: what it runs now, its call-off lines, and its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.estate.current import Running, runs_now
from catalogue.models import EstateChange, EstateLine, Organisation


@dataclass(frozen=True)
class Line:
    line: EstateLine
    live: bool  # running on the day asked about


@dataclass(frozen=True)
class Estate:
    practice: Organisation
    running: Running | None
    lines: list[Line]


def is_live(line: EstateLine, on: date) -> bool:
    started = line.start_date is None or line.start_date <= on
    return started and (line.end_date is None or line.end_date >= on)


def estate_of(session: Session, practice: Organisation, today: date | None = None) -> Estate:
    """What `practice` runs now and every call-off line it has run under, newest first."""
    today = today or date.today()
    lines = session.scalars(
        select(EstateLine)
        .where(EstateLine.organisation_id == practice.id)
        .options(joinedload(EstateLine.system))
        .order_by(EstateLine.id.desc())
    ).all()
    return Estate(
        practice, runs_now(practice), [Line(line, is_live(line, today)) for line in lines]
    )


def history_of(session: Session, practice: Organisation) -> list[EstateChange]:
    """Every recorded change to the practice's estate, oldest first."""
    return list(
        session.scalars(
            select(EstateChange)
            .where(EstateChange.organisation_id == practice.id)
            .options(joinedload(EstateChange.system), joinedload(EstateChange.previous_system))
            .order_by(EstateChange.id)
        )
    )
