"""The synthetic catalogue for benchmarks and load: seed_data.synthetic generates the rows and
this module bulk-inserts them with Core inserts, in batches. Core inserts bypass the ORM's
outbox hooks: run a reindex after."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from catalogue.maturity import (
    capability_bits,
    derive_level,
    load_requirements,
)
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    Lot,
    Price,
    PriceTier,
    Supplier,
    item_capability,
    table_of,
)
from catalogue.seeding.read import SeedDataError
from catalogue.seeding.write import seed_catalogue
from seed_data.synthetic import generate, synthetic_suppliers

SYNTHETIC_BATCH = 2000


def seed_synthetic(
    session: Session,
    count: int,
    random_seed: int = 0,
    progress: Callable[[int], Any] | None = None,
    *,
    batch_size: int = SYNTHETIC_BATCH,
) -> int:
    """Add `count` synthetic catalogue items (for benchmarks) and return how many were new.

    Deterministic for (count, random_seed): slugs are f"synthetic-{random_seed}-{i:06d}" and
    items whose slug is already present are skipped, so a second run with the same arguments
    adds nothing. The items go on the lots of live frameworks, under ~50 synthetic suppliers
    (created when missing), with capabilities from the capability table; when that reference
    data is missing, the seed catalogue is loaded first (seed_catalogue). Rows are written
    with Core bulk inserts in batches and maturity levels are derived in memory, so ORM
    events (audit, search outbox) do not fire: reindex the search afterwards.

    progress, when given, is called after each batch with the number of items just processed
    (an increment, as tqdm's `update` expects); the increments add up to `count`.
    Flushes; never commits.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    session.flush()
    lot_ids, capability_ids = _synthetic_reference(session)
    if not lot_ids or not capability_ids:
        seed_catalogue(session)
        lot_ids, capability_ids = _synthetic_reference(session)
    if not lot_ids:
        raise SeedDataError("synthetic items need a live framework with lots; there is none")
    if not capability_ids:
        raise SeedDataError("synthetic items need capabilities; there are none")
    supplier_ids = _synthetic_suppliers(session)
    requirements = load_requirements(session)
    prefix = f"synthetic-{random_seed}-"
    item_ids = dict(
        session.execute(
            select(CatalogueItem.slug, CatalogueItem.id).where(
                CatalogueItem.slug.startswith(prefix, autoescape=True)
            )
        ).all()
    )
    generated = generate(
        count,
        random_seed,
        suppliers=sorted(supplier_ids),
        lots=sorted(lot_ids),
        capability_codes=sorted(capability_ids),
        ladder=_ladder(requirements),
    )
    added = 0
    batch: list[dict[str, Any]] = []
    for seen, record in enumerate(generated, start=1):
        if record["slug"] not in item_ids:
            batch.append(record)
        if seen % batch_size == 0 or seen == count:
            added += _insert_synthetic_batch(
                session, batch, item_ids, supplier_ids, lot_ids, capability_ids, requirements
            )
            batch = []
            if progress is not None:
                progress(seen % batch_size or batch_size)
    return added


def _ladder(requirements: Mapping[int, frozenset[str]]) -> list[list[str]]:
    """The capability codes each maturity level adds to the one below, level 1 first."""
    ladder: list[list[str]] = []
    below: frozenset[str] = frozenset()
    for level in sorted(requirements):
        ladder.append(sorted(requirements[level] - below))
        below = below | requirements[level]
    return ladder


def _synthetic_reference(session: Session) -> tuple[dict, dict]:
    lot_ids = {
        (slug, number): lot_id
        for lot_id, slug, number in session.execute(
            select(Lot.id, Framework.slug, Lot.number)
            .join(Lot.framework)
            .where(Framework.status == FrameworkStatus.LIVE)
        )
    }
    capability_ids = dict(session.execute(select(Capability.code, Capability.id)).all())
    return lot_ids, capability_ids


def _synthetic_suppliers(session: Session) -> dict[str, int]:
    wanted = synthetic_suppliers()
    slugs = [supplier["slug"] for supplier in wanted]
    present = dict(
        session.execute(select(Supplier.slug, Supplier.id).where(Supplier.slug.in_(slugs))).all()
    )
    missing = [supplier for supplier in wanted if supplier["slug"] not in present]
    if missing:
        session.execute(insert(table_of(Supplier)), missing)
        present = dict(
            session.execute(
                select(Supplier.slug, Supplier.id).where(Supplier.slug.in_(slugs))
            ).all()
        )
    return present


def _timestamp(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def _insert_synthetic_batch(
    session: Session,
    batch: list[dict[str, Any]],
    item_ids: dict[str, int],
    supplier_ids: dict[str, int],
    lot_ids: dict[tuple[str, int], int],
    capability_ids: dict[str, int],
    requirements: Mapping[int, frozenset[str]],
) -> int:
    if not batch:
        return 0
    # Systems first, so that the modules and services of this batch can point at them.
    ordered = sorted(batch, key=lambda record: record["kind"] != "system")
    rows = [
        _item_row(record, supplier_ids, lot_ids, capability_ids, requirements) for record in ordered
    ]
    _insert_items(session, ordered, rows, item_ids)
    session.execute(
        insert(item_capability),
        [
            {"item_id": item_ids[record["slug"]], "capability_id": capability_ids[code]}
            for record in ordered
            for code in record["capabilities"]
        ],
    )
    _insert_prices(session, ordered, item_ids)
    return len(batch)


def _item_row(
    record: Mapping[str, Any],
    supplier_ids: Mapping[str, int],
    lot_ids: Mapping[tuple[str, int], int],
    capability_ids: Mapping[str, int],
    requirements: Mapping[int, frozenset[str]],
) -> dict[str, Any]:
    """The item table's row for a record (its parent is filled in once the parent has an id)."""
    published = record["status"] in ("published", "suspended", "withdrawn")
    stamp = _timestamp(record["accredited_on"])
    return {
        "slug": record["slug"],
        "kind": record["kind"],
        "name": record["name"],
        "summary": record["summary"],
        "description": record["description"],
        "supplier_id": supplier_ids[record["supplier"]],
        "lot_id": lot_ids[record["lot"]],
        "parent_id": None,
        "category": record["category"],
        "rfa_version": record["rfa_version"],
        "hosting": record["hosting"],
        "status": record["status"],
        "maturity_level": derive_level(record["capabilities"], requirements),
        "capability_bits": capability_bits(capability_ids[code] for code in record["capabilities"]),
        "accredited_on": record["accredited_on"] if published else None,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
        "published_at": stamp if published else None,
    }


def _insert_items(
    session: Session,
    ordered: Sequence[Mapping[str, Any]],
    rows: list[dict[str, Any]],
    item_ids: dict[str, int],
) -> None:
    """Insert the systems, then the rest pointing at their parents; `item_ids` learns the ids."""
    item_table = table_of(CatalogueItem)
    systems = sum(1 for record in ordered if record["kind"] == "system")
    for start, stop in ((0, systems), (systems, len(rows))):
        chunk = rows[start:stop]
        if not chunk:
            continue
        for row, record in zip(chunk, ordered[start:stop], strict=True):
            if record["parent"] is not None:
                row["parent_id"] = item_ids[record["parent"]]
        ids = session.scalars(
            insert(item_table).returning(item_table.c.id, sort_by_parameter_order=True), chunk
        ).all()
        item_ids.update(zip((row["slug"] for row in chunk), ids, strict=True))


def _insert_prices(
    session: Session, ordered: Sequence[Mapping[str, Any]], item_ids: Mapping[str, int]
) -> None:
    price_table = table_of(Price)
    price_rows = []
    tier_lists = []
    for record in ordered:
        item_id = item_ids[record["slug"]]
        for price in record["prices"]:
            price_rows.append(
                {
                    "item_id": item_id,
                    "name": price["name"],
                    "description": "",
                    "currency": "GBP",
                    "unit": price["unit"],
                    "period": price["period"],
                    "tier_calculation": price["tier_calculation"],
                    "charge_type": price["charge_type"],
                    "funding": price["funding"],
                    "effective_from": price["effective_from"],
                    "effective_to": None,
                    "illustrative": price["illustrative"],
                    "source": price["source"],
                }
            )
            tier_lists.append(price["tiers"])
    price_ids = session.scalars(
        insert(price_table).returning(price_table.c.id, sort_by_parameter_order=True), price_rows
    ).all()
    session.execute(
        insert(table_of(PriceTier)),
        [
            {
                "price_id": price_id,
                "lower_bound": tier["lower_bound"],
                "upper_bound": tier["upper_bound"],
                "amount": tier["amount"],
            }
            for price_id, tiers in zip(price_ids, tier_lists, strict=True)
            for tier in tiers
        ],
    )
