"""Upgrades in place: a practice keeps its system and moves up the maturity ladder.

GPSoC lets a practice "retain their existing system and implement upgrades over time"
(shared/seeds, "System change and choice"), and does not require it to move up the levels
until it is ready. An order upgrades a recipient when it names `upgrades`
([{ods_code, to_level}]): the practice must run one of the order's principal systems (an upgrade
is of the system it has; a change of system is a migration), the system must be accredited to
the level (what it cannot reach cannot be bought), and the practice must be below it. The order
then carries the system's increment price for each level climbed ("Level 3 increment"), funded
as the funding rules fund increments (centrally, for a Level 2+ system on Lot 1), and needs no
migration. Going live records the new level in the practice's estate (catalogue.estate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from catalogue.estate import Running, runs_now
from catalogue.listings.roadmaps import planned_levels_of
from catalogue.maturity import increment_level
from catalogue.models import (
    CallOffOrder,
    CallOffUpgrade,
    CatalogueItem,
    ItemKind,
    Organisation,
)
from catalogue.validation import FieldErrors


def _principal_systems(order: CallOffOrder) -> dict[int, CatalogueItem]:
    return {
        line.catalogue_item.id: line.catalogue_item
        for line in order.items
        if line.catalogue_item.kind is ItemKind.SYSTEM
    }


def refusal(order: CallOffOrder, practice: Organisation, to_level: int) -> str | None:
    """Why `practice` cannot be upgraded to `to_level` on this order; None when it can."""
    code, running = practice.ods_code, runs_now(practice)
    if running is None:
        return f"{code}: the practice's current system is not recorded, so it has none to upgrade."
    current = running.system
    if current.id not in _principal_systems(order):
        return (
            f"{code} ({practice.name}) runs {current.name}, which this order is not for: an "
            f"upgrade in place is of the system the practice runs (order {current.name} from "
            f"{current.supplier.name}); moving to another system is a migration."
        )
    if any(migration.organisation_id == practice.id for migration in order.migrations):
        return f"{code} changes system on this order; a migration is not an upgrade in place."
    if to_level > current.maturity_level:
        return (
            f"{current.name} is accredited to Level {current.maturity_level}, so it cannot take "
            f"{code} to Level {to_level}{_planned_hint(current, to_level)}."
        )
    if to_level <= running.level:
        return f"{code} already runs {current.name} at Level {running.level}; nothing to upgrade."
    return None


def _planned_hint(system: CatalogueItem, level: int) -> str:
    """Where the supplier's roadmap reaches the level, say when (the practice may wait)."""
    for planned, by in planned_levels_of(system):
        if planned == level:
            return f" (its supplier plans Level {level} by {by.isoformat()})"
    return ""


def apply_upgrades(
    order: CallOffOrder,
    wanted: Sequence[Mapping[str, Any]] | None,
    practices: Sequence[Organisation],
    errors: FieldErrors,
) -> None:
    """Set the order's upgrades from the request's `upgrades` (None: none)."""
    by_ods = {practice.ods_code: practice for practice in practices}
    have = {upgrade.organisation_id: upgrade for upgrade in order.upgrades}
    rows, seen = [], set()
    for index, given in enumerate(wanted or []):
        code = given["ods_code"].strip().upper()
        practice = by_ods.get(code)
        if practice is None:
            errors.add(f"upgrades.{index}.ods_code", f"{code} is not a recipient of the order.")
            continue
        if code in seen:
            errors.add(f"upgrades.{code}", "One upgrade per practice.")
            continue
        seen.add(code)
        reason = refusal(order, practice, given["to_level"])
        if reason is not None:
            errors.add(f"upgrades.{code}.to_level", reason)
            continue
        row = have.get(practice.id) or CallOffUpgrade(organisation=practice)
        row.organisation_id = practice.id
        running = cast(Running, runs_now(practice))  # refusal() checked it
        row.system = running.system
        row.from_level = running.level
        row.to_level = given["to_level"]
        rows.append(row)
    order.upgrades = rows


def keep_recipients(order: CallOffOrder, practices: Sequence[Organisation]) -> None:
    """The recipients changed: upgrades of practices no longer on the order go with them."""
    recipients = {practice.id for practice in practices}
    kept = [upgrade for upgrade in order.upgrades if upgrade.organisation_id in recipients]
    if len(kept) != len(order.upgrades):
        order.upgrades = kept


def missing(order: CallOffOrder) -> list[tuple[str, str]]:
    """(field, message) for what stops the upgrades being submitted: each must still be
    possible (a level can drop, a practice can change system), and the order must carry the
    system's increment of every level climbed, for that practice."""
    found: list[tuple[str, str]] = []
    for upgrade in order.upgrades:
        practice, field = upgrade.organisation, f"upgrades.{upgrade.organisation.ods_code}"
        reason = refusal(order, practice, upgrade.to_level)
        if reason is not None:
            found.append((f"{field}.to_level", reason))
            continue
        system = upgrade.system
        ordered = {
            level
            for line in order.items
            if line.catalogue_item_id == system.id
            and any(q.organisation_id == practice.id and q.quantity > 0 for q in line.quantities)
            and (level := increment_level(line.price_name)) is not None
        }
        listed = {increment_level(price.name) for price in system.prices}
        for level in range(upgrade.from_level + 1, upgrade.to_level + 1):
            if level in ordered or level <= 1:
                continue  # Level 1 is the system itself: there is no increment to it
            if level in listed:
                message = f"Add {system.name}'s Level {level} increment for {practice.ods_code}."
            else:
                message = (
                    f"{system.supplier.name} lists no Level {level} increment for {system.name}; "
                    "the upgrade has nothing to order."
                )
            found.append((field, message))
    return found


def summary(order: CallOffOrder) -> list[dict[str, Any]]:
    """What the audit trail records of an order's upgrades."""
    return [
        {
            "ods_code": upgrade.organisation.ods_code,
            "system_id": upgrade.system_id,
            "from_level": upgrade.from_level,
            "to_level": upgrade.to_level,
        }
        for upgrade in order.upgrades
    ]


def unrequested_increments(order: CallOffOrder) -> list[tuple[str, str]]:
    """(field, message) for each Level N increment ordered for a practice that runs the system
    below Level N and has no upgrade on the order: the order would buy a level it does not
    move the practice to (nothing would change at go-live)."""
    upgraded = {upgrade.organisation_id for upgrade in order.upgrades}
    migrating = {migration.organisation_id for migration in order.migrations}
    found: list[tuple[str, str]] = []
    for index, line in enumerate(order.items):
        level = increment_level(line.price_name)
        if level is None:
            continue
        for quantity in line.quantities:
            practice_id = quantity.organisation_id
            if quantity.quantity <= 0 or practice_id in upgraded | migrating:
                continue
            practice = next(
                (r.organisation for r in order.recipients if r.organisation_id == practice_id),
                None,
            )
            running = runs_now(practice) if practice is not None else None
            if practice is None or running is None:
                continue
            if running.system.id == line.catalogue_item_id and level > running.level:
                found.append(
                    (
                        f"items.{index}",
                        f"{line.catalogue_item.name}'s Level {level} increment is ordered for "
                        f"{practice.ods_code}, which runs it at Level {running.level}, without "
                        f"an upgrade: add `upgrades` [{{ods_code: {practice.ods_code}, to_level: "
                        f"{level}}}], or take the increment off.",
                    )
                )
    return found
