"""What a practice runs now: the one function every calculation reads it through.

Compare, selections, orders (their migrations, upgrades and completeness) and the business case
all ask `runs_now(practice)`; nothing else reads the estate's rows for the current system.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from catalogue.models import CatalogueItem, Organisation


@dataclass(frozen=True)
class Running:
    """A practice's principal system now and the level it runs it at."""

    system: CatalogueItem
    level: int  # the level it runs at: its recorded level, never above the system's own
    recorded_level: int | None  # null: the system's own level
    since: date | None  # the go-live it dates from (null: before the records)
    call_off_id: str | None  # the order whose go-live set it


def level_run(recorded: int | None, system_level: int) -> int:
    """The level a practice runs at, from its recorded level and its system's."""
    return Organisation.level_run(recorded, system_level)


def runs_now(practice: Organisation) -> Running | None:
    """What `practice` runs now (None: nothing recorded, or not a practice)."""
    estate = practice.estate
    if estate is None:
        return None
    system = estate.system
    return Running(
        system=system,
        level=level_run(estate.level, system.maturity_level),
        recorded_level=estate.level,
        since=estate.since,
        call_off_id=estate.call_off_id,
    )


def system_id_now(practice: Organisation) -> int | None:
    """The id of the system `practice` runs now, if any."""
    running = runs_now(practice)
    return running.system.id if running is not None else None
