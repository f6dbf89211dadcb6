"""Loading the seed catalogue from seed_data/*.yaml, and the synthetic catalogue for benchmarks.

`seed_catalogue` upserts the reference catalogue by natural key and is idempotent: a second run
assigns nothing, so no row is updated and no item version is bumped. It validates the whole
seed before writing anything. `seed_synthetic` bulk-inserts generated items with Core inserts.

Neither commits: the caller owns the session (and its transaction). Both flush.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

import seed_data
from seed_data.synthetic import generate, synthetic_suppliers

from .errors import DomainError
from .maturity import capability_bits, derive_level, load_requirements, refresh_derived_fields
from .models import (
    Capability,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    Funding,
    Hosting,
    ItemKind,
    ItemStatus,
    Lot,
    MaturityLevel,
    Organisation,
    OrganisationKind,
    Price,
    PricePeriod,
    PriceTier,
    PriceUnit,
    ServiceCategory,
    Supplier,
    TierCalculation,
    item_capability,
    utcnow,
)
from .models.base import MONEY_SCALE

# __path__ rather than __file__: an editable install may import seed_data as a namespace package.
SEED_DIR = Path(next(iter(seed_data.__path__))).resolve()
SEED_FILES = (
    "frameworks.yaml",
    "capabilities.yaml",
    "suppliers.yaml",
    "items.yaml",
    "organisations.yaml",
)
KINDS = (
    "framework",
    "lot",
    "capability",
    "maturity_level",
    "supplier",
    "item",
    "price",
    "organisation",
)
SYNTHETIC_BATCH = 2000
COMMISSIONER_TYPES = ("PCT", "CCG", "ICB")


class SeedDataError(DomainError):
    """The seed data is invalid; the message names the file and the record."""


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


# --------------------------------------------------------------------------- validation


def validate_tiers(bounds: Sequence[tuple[int, int | None]]) -> None:
    """Raise ValueError unless the (lower, upper) bounds start at 1, are contiguous and the
    last (and only the last) is open-ended (upper None)."""
    if not bounds:
        raise ValueError("a price needs at least one tier")
    expected = 1
    for position, (lower, upper) in enumerate(bounds, start=1):
        last = position == len(bounds)
        if lower != expected:
            if position == 1:
                raise ValueError(f"tiers must start at 1, not {lower}")
            raise ValueError(f"tier {position} must start at {expected} (contiguous), not {lower}")
        if upper is None:
            if not last:
                raise ValueError(f"only the last tier may be open-ended, not tier {position}")
            return
        if last:
            raise ValueError(f"the last tier must be open-ended (upper_bound null), not {upper}")
        if upper < lower:
            raise ValueError(f"tier {position} ends ({upper}) before it starts ({lower})")
        expected = upper + 1


class _Reader:
    """Typed access to one YAML record, with errors that say where the record is."""

    def __init__(self, record: Any, where: str):
        if not isinstance(record, Mapping):
            raise SeedDataError(f"{where}: expected a mapping, got {type(record).__name__}")
        self.record = record
        self.where = where

    def fail(self, message: str) -> SeedDataError:
        return SeedDataError(f"{self.where}: {message}")

    def raw(self, key: str, default: Any = ..., *, required: bool | None = None) -> Any:
        if key in self.record:
            return self.record[key]
        if default is ... or required:
            raise self.fail(f"missing {key!r}")
        return default

    def str(self, key: str, default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str) or (default is ... and not value.strip()):
            raise self.fail(f"{key!r} must be a non-empty string, got {value!r}")
        return value.strip()

    def int(self, key: str, default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key!r} must be an integer, got {value!r}")
        return value

    def bool(self, key: str, default: Any = ...) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key!r} must be true or false, got {value!r}")
        return value

    def date(self, key: str, default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, datetime):
            raise self.fail(f"{key!r} must be a date, not a date and time")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(f"{key!r} must be an ISO date, got {value!r}") from None

    def enum(self, key: str, enum_class: type[StrEnum], default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        try:
            return enum_class(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_class)
            raise self.fail(f"{key!r} must be one of {allowed}; got {value!r}") from None

    def list(self, key: str, default: Any = ...) -> list:
        value = self.raw(key, default)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key!r} must be a list, got {value!r}")
        return value

    def codes(self, key: str, known: Iterable[str]) -> list[str]:
        codes = self.list(key, [])
        known = set(known)
        for code in codes:
            if not isinstance(code, str):
                raise self.fail(f"{key!r} must list codes as strings, got {code!r}")
            if code not in known:
                raise self.fail(f"unknown capability {code!r}")
        if len(set(codes)) != len(codes):
            raise self.fail(f"{key!r} lists a capability twice")
        return sorted(codes)


def _amount(reader: _Reader, value: Any) -> Decimal:
    if isinstance(value, float):
        raise reader.fail(f"amount {value!r} must be a quoted string (floats are inexact)")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise reader.fail(f"amount must be a quoted decimal string, got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise reader.fail(f"amount {value!r} is not a decimal number") from None
    if not amount.is_finite() or amount < 0:
        raise reader.fail(f"amount {value!r} must be a non-negative number")
    if amount.as_tuple().exponent < -MONEY_SCALE:
        raise reader.fail(f"amount {value!r} has more than {MONEY_SCALE} decimal places")
    return amount


def _load_file(seed_dir: Path, name: str) -> dict[str, Any]:
    path = seed_dir / name
    try:
        with path.open(encoding="utf-8") as stream:
            data = yaml.safe_load(stream)
    except FileNotFoundError:
        raise SeedDataError(f"{name}: seed file not found in the seed directory") from None
    except yaml.YAMLError as error:
        raise SeedDataError(f"{name}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise SeedDataError(f"{name}: expected a mapping at the top level")
    return data


def _records(data: dict[str, Any], file: str, key: str) -> list[Any]:
    records = data.get(key)
    if records is None:
        return []
    if not isinstance(records, list):
        raise SeedDataError(f"{file}: {key!r} must be a list")
    return records


def _unique(keys: list[Any], file: str, what: str) -> None:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            raise SeedDataError(f"{file}: {what} {key!r} appears twice")
        seen.add(key)


@dataclass
class _Seed:
    """The whole seed, validated and converted to domain types."""

    frameworks: list[dict[str, Any]]
    lots: list[dict[str, Any]]
    capabilities: list[dict[str, Any]]
    levels: list[dict[str, Any]]
    suppliers: list[dict[str, Any]]
    items: list[dict[str, Any]]
    organisations: list[dict[str, Any]]


def load_seed(seed_dir: Path = SEED_DIR, session: Session | None = None) -> _Seed:
    """Read and validate every seed file. References may point at rows already in the
    database when a session is given (so that a partial seed directory still works)."""
    frameworks, lots = _read_frameworks(_load_file(seed_dir, "frameworks.yaml"))
    capabilities, levels = _read_capabilities(_load_file(seed_dir, "capabilities.yaml"), session)
    suppliers = _read_suppliers(_load_file(seed_dir, "suppliers.yaml"))

    def known(column, extra: Iterable) -> set:
        values = set(extra)
        if session is not None:
            values.update(session.scalars(select(column)))
        return values

    items = _read_items(
        _load_file(seed_dir, "items.yaml"),
        capability_codes=known(Capability.code, (c["code"] for c in capabilities)),
        supplier_slugs=known(Supplier.slug, (s["slug"] for s in suppliers)),
        lot_keys=_known_lots(session, lots),
        existing_slugs=known(CatalogueItem.slug, ()),
    )
    organisations = _read_organisations(
        _load_file(seed_dir, "organisations.yaml"),
        item_slugs=known(CatalogueItem.slug, (i["slug"] for i in items)),
        existing_codes=known(Organisation.ods_code, ()),
    )
    return _Seed(frameworks, lots, capabilities, levels, suppliers, items, organisations)


def _known_lots(session: Session | None, lots: list[dict[str, Any]]) -> set[tuple[str, int]]:
    keys = {(lot["framework"], lot["number"]) for lot in lots}
    if session is not None:
        keys.update(
            (slug, number)
            for slug, number in session.execute(
                select(Framework.slug, Lot.number).join(Lot.framework)
            )
        )
    return keys


def _read_frameworks(data: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    file = "frameworks.yaml"
    frameworks: list[dict] = []
    lots: list[dict] = []
    for index, record in enumerate(_records(data, file, "frameworks"), start=1):
        r = _Reader(record, f"{file}: framework #{index}")
        slug = r.str("slug")
        r = _Reader(record, f"{file}: framework {slug!r}")
        values = {
            "name": r.str("name"),
            "description": r.str("description", "") or "",
            "status": r.enum("status", FrameworkStatus),
            "start_date": r.date("start_date"),
            "end_date": r.date("end_date"),
            "continuity_end_date": r.date("continuity_end_date", None),
            "max_term_months": r.int("max_term_months"),
            "funding_types": [Funding(f).value for f in _funding_list(r)],
        }
        if values["end_date"] < values["start_date"]:
            raise r.fail("end_date is before start_date")
        if values["max_term_months"] <= 0:
            raise r.fail("max_term_months must be positive")
        frameworks.append({"slug": slug, "values": values})
        for lot_record in r.list("lots", []):
            lr = _Reader(lot_record, f"{file}: framework {slug!r}, lot")
            number = lr.int("number")
            lr = _Reader(lot_record, f"{file}: framework {slug!r}, lot {number}")
            if number <= 0:
                raise lr.fail("number must be positive")
            lots.append(
                {
                    "framework": slug,
                    "number": number,
                    "values": {
                        "name": lr.str("name"),
                        "description": lr.str("description", "") or "",
                        "default_funding": lr.enum("default_funding", Funding),
                    },
                }
            )
    _unique([f["slug"] for f in frameworks], file, "framework")
    _unique([(lot["framework"], lot["number"]) for lot in lots], file, "lot")
    return frameworks, lots


def _funding_list(r: _Reader) -> list[str]:
    values = r.list("funding_types", [])
    for value in values:
        if value not in {member.value for member in Funding}:
            raise r.fail(f"unknown funding type {value!r}")
    return values


def _read_capabilities(
    data: dict[str, Any], session: Session | None
) -> tuple[list[dict], list[dict]]:
    file = "capabilities.yaml"
    capabilities: list[dict] = []
    for index, record in enumerate(_records(data, file, "capabilities"), start=1):
        code = _Reader(record, f"{file}: capability #{index}").str("code")
        r = _Reader(record, f"{file}: capability {code!r}")
        capabilities.append(
            {
                "code": code,
                "values": {
                    "name": r.str("name"),
                    "description": r.str("description", "") or "",
                    "category": r.str("category"),
                },
            }
        )
    _unique([c["code"] for c in capabilities], file, "capability")
    known = {c["code"] for c in capabilities}
    if session is not None:
        known.update(session.scalars(select(Capability.code)))
    levels: list[dict] = []
    for index, record in enumerate(_records(data, file, "maturity_levels"), start=1):
        level = _Reader(record, f"{file}: maturity level #{index}").int("level")
        r = _Reader(record, f"{file}: maturity level {level}")
        if level <= 0:
            raise r.fail("level must be positive")
        levels.append(
            {
                "level": level,
                "values": {
                    "name": r.str("name"),
                    "description": r.str("description", "") or "",
                },
                "capabilities": r.codes("capabilities", known),
            }
        )
    _unique([level["level"] for level in levels], file, "maturity level")
    return capabilities, levels


def _read_suppliers(data: dict[str, Any]) -> list[dict]:
    file = "suppliers.yaml"
    suppliers: list[dict] = []
    for index, record in enumerate(_records(data, file, "suppliers"), start=1):
        slug = _Reader(record, f"{file}: supplier #{index}").str("slug")
        r = _Reader(record, f"{file}: supplier {slug!r}")
        suppliers.append(
            {
                "slug": slug,
                "values": {
                    "name": r.str("name"),
                    "legal_name": r.str("legal_name"),
                    "company_number": r.str("company_number", None),
                    "contact_email": r.str("contact_email", None),
                    "website": r.str("website", None),
                    "active": r.bool("active", True),
                },
            }
        )
    _unique([s["slug"] for s in suppliers], file, "supplier")
    numbers = [s["values"]["company_number"] for s in suppliers if s["values"]["company_number"]]
    _unique(numbers, file, "company number")
    return suppliers


def _read_items(
    data: dict[str, Any],
    *,
    capability_codes: set[str],
    supplier_slugs: set[str],
    lot_keys: set[tuple[str, int]],
    existing_slugs: set[str],
) -> list[dict]:
    file = "items.yaml"
    items: list[dict] = []
    for index, record in enumerate(_records(data, file, "items"), start=1):
        slug = _Reader(record, f"{file}: item #{index}").str("slug")
        r = _Reader(record, f"{file}: item {slug!r}")
        kind = r.enum("kind", ItemKind)
        supplier = r.str("supplier")
        if supplier not in supplier_slugs:
            raise r.fail(f"unknown supplier {supplier!r}")
        lot = (r.str("framework"), r.int("lot"))
        if lot not in lot_keys:
            raise r.fail(f"unknown lot {lot[1]} of framework {lot[0]!r}")
        category = r.enum("category", ServiceCategory, None)
        if kind is ItemKind.SERVICE and category is None:
            raise r.fail("a service needs a category")
        if kind is not ItemKind.SERVICE and category is not None:
            raise r.fail("only services have a category")
        parent = r.str("parent", None)
        if kind is ItemKind.SYSTEM and parent is not None:
            raise r.fail("a principal system has no parent")
        status = r.enum("status", ItemStatus, ItemStatus.PUBLISHED)
        accredited_on = r.date("accredited_on", None)
        if status is ItemStatus.PUBLISHED and accredited_on is None:
            raise r.fail("a published item needs accredited_on")
        items.append(
            {
                "slug": slug,
                "supplier": supplier,
                "lot": lot,
                "parent": parent,
                "values": {
                    "kind": kind,
                    "name": r.str("name"),
                    "summary": r.str("summary", "") or "",
                    "description": r.str("description", "") or "",
                    "category": category,
                    "rfa_version": r.str("rfa_version", None),
                    "hosting": r.enum("hosting", Hosting),
                    "status": status,
                    "accredited_on": accredited_on,
                },
                "capabilities": r.codes("capabilities", capability_codes),
                "prices": [
                    _read_price(price, f"{file}: item {slug!r}") for price in r.list("prices", [])
                ],
            }
        )
        _unique([p["name"] for p in items[-1]["prices"]], file, f"item {slug!r}: price")
        if len(slug) > 100:
            raise r.fail("slug longer than 100 characters")
    _unique([item["slug"] for item in items], file, "item")
    slugs = {item["slug"] for item in items} | existing_slugs
    kinds = {item["slug"]: item["values"]["kind"] for item in items}
    for item in items:
        parent = item["parent"]
        if parent is None:
            continue
        if parent not in slugs:
            raise SeedDataError(f"{file}: item {item['slug']!r}: unknown parent {parent!r}")
        if parent == item["slug"]:
            raise SeedDataError(f"{file}: item {item['slug']!r} is its own parent")
        if kinds.get(parent) is ItemKind.SERVICE:
            raise SeedDataError(
                f"{file}: item {item['slug']!r}: parent {parent!r} must be a system or module"
            )
    return _parents_first(items)


def _parents_first(items: list[dict]) -> list[dict]:
    """Order items so that every parent in the file comes before its children."""
    by_slug = {item["slug"]: item for item in items}
    ordered: list[dict] = []
    placed: set[str] = set()

    def place(item: dict, trail: tuple[str, ...]) -> None:
        if item["slug"] in placed:
            return
        if item["slug"] in trail:
            raise SeedDataError(f"items.yaml: parent cycle through {' -> '.join(trail)}")
        parent = by_slug.get(item["parent"])
        if parent is not None:
            place(parent, (*trail, item["slug"]))
        placed.add(item["slug"])
        ordered.append(item)

    for item in items:
        place(item, ())
    return ordered


def _read_price(record: Any, where: str) -> dict:
    name = _Reader(record, f"{where}, price").str("name")
    r = _Reader(record, f"{where}, price {name!r}")
    tiers = []
    for tier_record in r.list("tiers"):
        t = _Reader(tier_record, f"{where}, price {name!r}, tier")
        tiers.append(
            (
                t.int("lower_bound"),
                t.int("upper_bound", None),
                _amount(t, t.raw("amount", required=True)),
            )
        )
    try:
        validate_tiers([(lower, upper) for lower, upper, _ in tiers])
    except ValueError as error:
        raise r.fail(str(error)) from None
    effective_from = r.date("effective_from")
    effective_to = r.date("effective_to", None)
    if effective_to is not None and effective_to < effective_from:
        raise r.fail("effective_to is before effective_from")
    return {
        "name": name,
        "values": {
            "description": r.str("description", "") or "",
            "currency": "GBP",
            "unit": r.enum("unit", PriceUnit),
            "period": r.enum("period", PricePeriod),
            "tier_calculation": r.enum("tier_calculation", TierCalculation, "volume"),
            "funding": r.enum("funding", Funding, None),
            "effective_from": effective_from,
            "effective_to": effective_to,
            "illustrative": r.bool("illustrative", False),
            "source": r.str("source", "") or "",
        },
        "tiers": tiers,
    }


def _read_organisations(
    data: dict[str, Any], *, item_slugs: set[str], existing_codes: set[str]
) -> list[dict]:
    file = "organisations.yaml"
    organisations: list[dict] = []
    for index, record in enumerate(_records(data, file, "commissioners"), start=1):
        code = _ods_code(record, f"{file}: commissioner #{index}")
        r = _Reader(record, f"{file}: commissioner {code!r}")
        commissioner_type = r.str("commissioner_type")
        if commissioner_type not in COMMISSIONER_TYPES:
            raise r.fail(f"commissioner_type must be one of {', '.join(COMMISSIONER_TYPES)}")
        organisations.append(
            {
                "ods_code": code,
                "commissioner": None,
                "current_system": None,
                "values": {
                    "kind": OrganisationKind.COMMISSIONER,
                    "name": r.str("name"),
                    "commissioner_type": commissioner_type,
                    "postcode": r.str("postcode", None),
                    "list_size": None,
                },
            }
        )
    commissioners = {o["ods_code"] for o in organisations} | existing_codes
    for index, record in enumerate(_records(data, file, "practices"), start=1):
        code = _ods_code(record, f"{file}: practice #{index}")
        r = _Reader(record, f"{file}: practice {code!r}")
        commissioner = _ods_code(record, f"{file}: practice {code!r}", "commissioner")
        if commissioner not in commissioners:
            raise r.fail(f"unknown commissioner {commissioner!r}")
        current_system = r.str("current_system", None)
        if current_system is not None and current_system not in item_slugs:
            raise r.fail(f"unknown current_system {current_system!r}")
        list_size = r.int("list_size")
        if list_size < 0:
            raise r.fail("list_size must not be negative")
        organisations.append(
            {
                "ods_code": code,
                "commissioner": commissioner,
                "current_system": current_system,
                "values": {
                    "kind": OrganisationKind.PRACTICE,
                    "name": r.str("name"),
                    "commissioner_type": None,
                    "postcode": r.str("postcode", None),
                    "list_size": list_size,
                },
            }
        )
    _unique([o["ods_code"] for o in organisations], file, "ODS code")
    return organisations


def _ods_code(record: Any, where: str, key: str = "ods_code") -> str:
    value = _Reader(record, where).raw(key)
    # YAML reads an all-digit code as a number; ODS codes are strings.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SeedDataError(f"{where}: {key} must be a string, got {value!r}")
    return str(value).strip().upper()


# --------------------------------------------------------------------------- writing


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
    session: Session, seed: _Seed, frameworks: dict[str, Framework], report: SeedReport
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
    session: Session, seed: _Seed, capabilities: dict[str, Capability], report: SeedReport
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
    seed: _Seed,
    lots: dict[tuple[str, int], Lot],
    capabilities: dict[str, Capability],
    suppliers: dict[str, Supplier],
    report: SeedReport,
) -> dict[str, CatalogueItem]:
    slugs = [record["slug"] for record in seed.items]
    existing = {
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
    parents = {
        slug: item_id
        for slug, item_id in session.execute(
            select(CatalogueItem.slug, CatalogueItem.id).where(
                CatalogueItem.slug.in_({r["parent"] for r in seed.items if r["parent"]})
            )
        )
    }
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
        else:
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
                report.count("item", created=False)
        seeded.append(item)
        session.flush()
        parents[record["slug"]] = item.id
    refresh_derived_fields(session, seeded)
    session.flush()
    return {item.slug: item for item in seeded}


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
    session: Session, seed: _Seed, items: dict[str, CatalogueItem], report: SeedReport
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
        values = {
            **record["values"],
            "commissioner_id": (
                existing[record["commissioner"]].id if record["commissioner"] else None
            ),
            "current_system_id": (
                system_ids[record["current_system"]] if record["current_system"] else None
            ),
        }
        organisation = existing.get(record["ods_code"])
        if organisation is None:
            organisation = Organisation(ods_code=record["ods_code"], **values)
            session.add(organisation)
            existing[record["ods_code"]] = organisation
            report.count("organisation", created=True)
            session.flush()
        elif _assign(organisation, values):
            report.count("organisation", created=False)
    session.flush()


# --------------------------------------------------------------------------- synthetic


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
    ladder, below = [], frozenset()
    for level in sorted(requirements):
        ladder.append(sorted(requirements[level] - below))
        below = below | requirements[level]

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
        ladder=ladder,
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
        session.execute(insert(Supplier.__table__), missing)
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
    item_table = CatalogueItem.__table__
    # Systems first, so that the modules and services of this batch can point at them.
    ordered = sorted(batch, key=lambda record: record["kind"] != "system")
    rows = []
    for record in ordered:
        published = record["status"] in ("published", "suspended", "withdrawn")
        stamp = _timestamp(record["accredited_on"])
        rows.append(
            {
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
                "capability_bits": capability_bits(
                    capability_ids[code] for code in record["capabilities"]
                ),
                "accredited_on": record["accredited_on"] if published else None,
                "version": 1,
                "created_at": stamp,
                "updated_at": stamp,
                "published_at": stamp if published else None,
            }
        )
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

    session.execute(
        insert(item_capability),
        [
            {"item_id": item_ids[record["slug"]], "capability_id": capability_ids[code]}
            for record in ordered
            for code in record["capabilities"]
        ],
    )
    price_table = Price.__table__
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
        insert(PriceTier.__table__),
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
    return len(batch)
