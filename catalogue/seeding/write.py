"""Writing the seed catalogue: an upsert by natural key (slug, code, ODS code). Idempotent: a
second run assigns nothing, so no row is updated and no item version is bumped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue import estate
from catalogue.maturity import (
    capability_bits,
    derive_level,
    load_requirements,
    refresh_derived_fields,
)
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    ItemStatus,
    Lot,
    MaturityLevel,
    Organisation,
    Price,
    PriceTier,
    Supplier,
    utcnow,
)
from catalogue.seeding.read import KINDS, SEED_DIR, Seed, load_seed


@dataclass
class SeedReport:
    """How many rows of each kind a seeding run created and updated."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def count(self, kind: str, *, created: bool) -> None:
        counts = self.created if created else self.updated
        counts[kind] = counts.get(kind, 0) + 1

    def __str__(self) -> str:
        parts = [
            f"{kind} {self.created.get(kind, 0)} created, {self.updated.get(kind, 0)} updated"
            for kind in KINDS
        ]
        return "; ".join(parts)


def _assign(obj: Any, values: Mapping[str, Any]) -> bool:
    """Set the attributes whose value differs; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def seed_catalogue(session: Session, seed_dir: Path = SEED_DIR) -> SeedReport:
    """Load the seed catalogue from `seed_dir`, upserting by natural key; idempotent.

    Natural keys: framework slug, (framework, lot number), capability code, maturity level,
    supplier slug, item slug, organisation ODS code, and (item, price name) for prices. Rows
    not in the seed are left alone. Raises SeedDataError, naming the file and record, before
    writing anything when the data is invalid. Flushes; never commits.
    """
    seed = load_seed(seed_dir, session)
    report = SeedReport()

    frameworks = _upsert(session, Framework, "slug", seed.frameworks, "framework", report)
    lots = _seed_lots(session, seed, frameworks, report)
    capabilities = _upsert(session, Capability, "code", seed.capabilities, "capability", report)
    _seed_levels(session, seed, capabilities, report)
    suppliers = _upsert(session, Supplier, "slug", seed.suppliers, "supplier", report)
    items = _seed_items(session, seed, lots, capabilities, suppliers, report)
    _seed_organisations(session, seed, items, report)
    return report


Row = TypeVar("Row")


def _upsert(
    session: Session,
    model: type[Row],
    key: str,
    records: list[dict[str, Any]],
    kind: str,
    report: SeedReport,
) -> dict[str, Row]:
    """Rows of `model` by their natural `key`: created when missing, and changed only where a
    value differs (so that a second run updates nothing)."""
    existing = {getattr(row, key): row for row in session.scalars(select(model))}
    for record in records:
        row = existing.get(record[key])
        if row is None:
            row = model(**{key: record[key]}, **record["values"])
            session.add(row)
            existing[record[key]] = row
            report.count(kind, created=True)
        elif _assign(row, record["values"]):
            report.count(kind, created=False)
    session.flush()
    return existing


def _seed_lots(
    session: Session, seed: Seed, frameworks: dict[str, Framework], report: SeedReport
) -> dict[tuple[str, int], Lot]:
    slugs = {framework.id: slug for slug, framework in frameworks.items()}
    existing = {(slugs[lot.framework_id], lot.number): lot for lot in session.scalars(select(Lot))}
    for record in seed.lots:
        key = (record["framework"], record["number"])
        lot = existing.get(key)
        if lot is None:
            lot = Lot(
                framework_id=frameworks[key[0]].id,
                number=key[1],
                **record["values"],
            )
            session.add(lot)
            existing[key] = lot
            report.count("lot", created=True)
        elif _assign(lot, record["values"]):
            report.count("lot", created=False)
    session.flush()
    return existing


def _seed_levels(
    session: Session, seed: Seed, capabilities: dict[str, Capability], report: SeedReport
) -> None:
    existing = {
        level.level: level
        for level in session.scalars(
            select(MaturityLevel).options(selectinload(MaturityLevel.required_capabilities))
        )
    }
    for record in seed.levels:
        required = [capabilities[code] for code in record["capabilities"]]
        level = existing.get(record["level"])
        if level is None:
            session.add(
                MaturityLevel(
                    level=record["level"], required_capabilities=required, **record["values"]
                )
            )
            report.count("maturity_level", created=True)
            continue
        changed = _assign(level, record["values"])
        if {c.code for c in level.required_capabilities} != set(record["capabilities"]):
            level.required_capabilities = required
            changed = True
        if changed:
            report.count("maturity_level", created=False)
    session.flush()


def _tiers_of(price: Price) -> list[tuple[int, int | None, Decimal]]:
    return [(t.lower_bound, t.upper_bound, t.amount) for t in price.tiers]


def _new_price(record: dict) -> Price:
    return Price(
        name=record["name"],
        tiers=[
            PriceTier(lower_bound=lower, upper_bound=upper, amount=amount)
            for lower, upper, amount in record["tiers"]
        ],
        **record["values"],
    )


def _seed_items(
    session: Session,
    seed: Seed,
    lots: dict[tuple[str, int], Lot],
    capabilities: dict[str, Capability],
    suppliers: dict[str, Supplier],
    report: SeedReport,
) -> dict[str, CatalogueItem]:
    existing = _existing_items(session, seed)
    parents = _parent_ids(session, seed)
    requirements = load_requirements(session)
    now = utcnow()
    seeded: list[CatalogueItem] = []
    for record in seed.items:  # parents come first (see _parents_first)
        values = {
            **record["values"],
            "supplier_id": suppliers[record["supplier"]].id,
            "lot_id": lots[record["lot"]].id,
            "parent_id": parents[record["parent"]] if record["parent"] else None,
        }
        wanted_capabilities = [capabilities[code] for code in record["capabilities"]]
        item = existing.get(record["slug"])
        if item is None:
            item = CatalogueItem(
                slug=record["slug"],
                capabilities=wanted_capabilities,
                prices=[_new_price(price) for price in record["prices"]],
                maturity_level=derive_level(record["capabilities"], requirements),
                capability_bits=capability_bits(c.id for c in wanted_capabilities),
                published_at=now if values["status"] is ItemStatus.PUBLISHED else None,
                **values,
            )
            session.add(item)
            report.count("item", created=True)
            for _ in record["prices"]:
                report.count("price", created=True)
        elif _update_item(
            session, item, record, values, wanted_capabilities, requirements, now, report
        ):
            report.count("item", created=False)
        seeded.append(item)
        session.flush()
        parents[record["slug"]] = item.id
    refresh_derived_fields(session, seeded)
    session.flush()
    return {item.slug: item for item in seeded}


def _existing_items(session: Session, seed: Seed) -> dict[str, CatalogueItem]:
    """The seed's items already in the database, by slug, with their capabilities and prices."""
    slugs = [record["slug"] for record in seed.items]
    return {
        item.slug: item
        for item in session.scalars(
            select(CatalogueItem)
            .where(CatalogueItem.slug.in_(slugs))
            .options(
                selectinload(CatalogueItem.capabilities),
                selectinload(CatalogueItem.prices).selectinload(Price.tiers),
            )
        )
    }


def _parent_ids(session: Session, seed: Seed) -> dict[str, int]:
    """The ids of the parents the seed names that are already in the database, by slug."""
    return {
        slug: item_id
        for slug, item_id in session.execute(
            select(CatalogueItem.slug, CatalogueItem.id).where(
                CatalogueItem.slug.in_({r["parent"] for r in seed.items if r["parent"]})
            )
        )
    }


def _update_item(
    session: Session,
    item: CatalogueItem,
    record: Mapping[str, Any],
    values: Mapping[str, Any],
    wanted_capabilities: list[Capability],
    requirements: Mapping[int, frozenset[str]],
    now: datetime,
    report: SeedReport,
) -> bool:
    """Bring an existing item to its record; True when anything changed."""
    # Prices first: replacing tiers flushes, and the item row must be updated once.
    changed = _update_prices(session, item, record["prices"], report)
    if _assign(item, values):
        changed = True
    if values["status"] is ItemStatus.PUBLISHED and item.published_at is None:
        item.published_at = now
        changed = True
    if item.capability_codes != set(record["capabilities"]):
        item.capabilities = wanted_capabilities
        # Derived here too, so that the item's row is updated (and versioned) once.
        item.maturity_level = derive_level(record["capabilities"], requirements)
        item.capability_bits = capability_bits(c.id for c in wanted_capabilities)
        changed = True
    if changed:
        # Capabilities and prices live in other tables: touch the row so that the
        # listing's version is bumped for them too.
        item.updated_at = now
    return changed


def _update_prices(
    session: Session, item: CatalogueItem, records: list[dict], report: SeedReport
) -> bool:
    changed = False
    by_name = {price.name: price for price in item.prices}
    for record in records:
        price = by_name.get(record["name"])
        if price is None:
            item.prices.append(_new_price(record))
            report.count("price", created=True)
            changed = True
            continue
        price_changed = _assign(price, record["values"])
        if _tiers_of(price) != record["tiers"]:
            # Delete the old tiers before inserting the new: (price, lower_bound) is unique.
            price.tiers.clear()
            session.flush()
            price.tiers.extend(
                PriceTier(lower_bound=lower, upper_bound=upper, amount=amount)
                for lower, upper, amount in record["tiers"]
            )
            price_changed = True
        if price_changed:
            report.count("price", created=False)
            changed = True
    return changed


def _seed_organisations(
    session: Session, seed: Seed, items: dict[str, CatalogueItem], report: SeedReport
) -> None:
    existing = {o.ods_code: o for o in session.scalars(select(Organisation))}
    system_ids = {slug: item.id for slug, item in items.items()}
    missing = {o["current_system"] for o in seed.organisations} - set(system_ids) - {None}
    if missing:
        system_ids.update(
            session.execute(
                select(CatalogueItem.slug, CatalogueItem.id).where(CatalogueItem.slug.in_(missing))
            ).all()
        )
    for record in seed.organisations:  # commissioners come first
        values = dict(record["values"])
        level = values.pop("current_level", None)
        values["commissioner_id"] = (
            existing[record["commissioner"]].id if record["commissioner"] else None
        )
        organisation = existing.get(record["ods_code"])
        if organisation is None:
            organisation = Organisation(ods_code=record["ods_code"], **values)
            session.add(organisation)
            existing[record["ods_code"]] = organisation
            report.count("organisation", created=True)
            session.flush()
        elif _assign(organisation, values):
            report.count("organisation", created=False)
        if record["current_system"]:
            # The seed's system, for a practice with none recorded: after that, only recorded
            # events (a go-live, the authority's record) change what it runs.
            system = session.get(CatalogueItem, system_ids[record["current_system"]])
            assert system is not None
            estate.seed(session, organisation, system, level)
    session.flush()
