"""Reading the seed catalogue: the YAML files under seed_data/, validated record by record
into plain dicts, with errors that name the file and the record. The whole seed is validated
before anything is written."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

import seed_data
from catalogue.errors import DomainError
from catalogue.infrastructure import class_of
from catalogue.models import (
    COMMISSIONER_TYPES,
    Capability,
    CatalogueItem,
    ChargeType,
    Framework,
    FrameworkStatus,
    Funding,
    Hosting,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
    ItemStatus,
    Lot,
    Organisation,
    OrganisationKind,
    PricePeriod,
    PriceUnit,
    ServiceCategory,
    Supplier,
    TierCalculation,
)
from catalogue.models.base import MONEY_SCALE
from catalogue.pricing import validate_tiers

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


class SeedDataError(DomainError):
    """The seed data is invalid; the message names the file and the record."""


class _Reader:
    """Typed access to one YAML record, with errors that say where the record is."""

    def __init__(self, record: Any, where: str):
        if not isinstance(record, Mapping):
            raise SeedDataError(f"{where}: expected a mapping, got {type(record).__name__}")
        self.record = record
        self.where = where

    def fail(self, message: builtins.str) -> SeedDataError:
        return SeedDataError(f"{self.where}: {message}")

    def raw(self, key: builtins.str, default: Any = ..., *, required: bool | None = None) -> Any:
        if key in self.record:
            return self.record[key]
        if default is ... or required:
            raise self.fail(f"missing {key!r}")
        return default

    def str(self, key: builtins.str, default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str) or (default is ... and not value.strip()):
            raise self.fail(f"{key!r} must be a non-empty string, got {value!r}")
        return value.strip()

    def int(self, key: builtins.str, default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key!r} must be an integer, got {value!r}")
        return value

    def bool(self, key: builtins.str, default: Any = ...) -> builtins.bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key!r} must be true or false, got {value!r}")
        return value

    def date(self, key: builtins.str, default: Any = ...) -> Any:
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

    def enum(self, key: builtins.str, enum_class: type[StrEnum], default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is None and default is None:
            return None
        try:
            return enum_class(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_class)
            raise self.fail(f"{key!r} must be one of {allowed}; got {value!r}") from None

    def list(self, key: builtins.str, default: Any = ...) -> builtins.list[Any]:
        value = self.raw(key, default)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key!r} must be a list, got {value!r}")
        return value

    def codes(
        self, key: builtins.str, known: Iterable[builtins.str]
    ) -> builtins.list[builtins.str]:
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
    if amount.as_tuple().exponent < -MONEY_SCALE:  # type: ignore[operator]  # finite: an int
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
class Seed:
    """The whole seed, validated and converted to domain types."""

    frameworks: list[dict[str, Any]]
    lots: list[dict[str, Any]]
    capabilities: list[dict[str, Any]]
    levels: list[dict[str, Any]]
    suppliers: list[dict[str, Any]]
    items: list[dict[str, Any]]
    organisations: list[dict[str, Any]]


def load_seed(seed_dir: Path = SEED_DIR, session: Session | None = None) -> Seed:
    """Read and validate every seed file. References may point at rows already in the
    database when a session is given (so that a partial seed directory still works)."""
    frameworks, lots = _read_frameworks(_load_file(seed_dir, "frameworks.yaml"))
    capabilities, levels = _read_capabilities(_load_file(seed_dir, "capabilities.yaml"), session)
    suppliers = _read_suppliers(_load_file(seed_dir, "suppliers.yaml"))

    def known(column: InstrumentedAttribute[str], extra: Iterable[str]) -> set[str]:
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
    return Seed(frameworks, lots, capabilities, levels, suppliers, items, organisations)


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
    items = [
        _read_item(record, f"{file}: item #{index}", capability_codes, supplier_slugs, lot_keys)
        for index, record in enumerate(_records(data, file, "items"), start=1)
    ]
    _unique([item["slug"] for item in items], file, "item")
    _check_parents(items, existing_slugs, file)
    return _parents_first(items)


def _read_item(
    record: dict[str, Any],
    where: str,
    capability_codes: set[str],
    supplier_slugs: set[str],
    lot_keys: set[tuple[str, int]],
) -> dict[str, Any]:
    file = "items.yaml"
    slug = _Reader(record, where).str("slug")
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
    infrastructure_category = r.enum("infrastructure_category", InfrastructureCategory, None)
    infrastructure_class = r.enum("infrastructure_class", InfrastructureClass, None)
    if infrastructure_category is not None and infrastructure_class is None:
        raise r.fail("an item with an infrastructure_category needs its infrastructure_class")
    if infrastructure_category is None and infrastructure_class is not None:
        raise r.fail("an infrastructure_class needs the infrastructure_category it comes from")
    if infrastructure_category is not None and infrastructure_class is not class_of(
        infrastructure_category
    ):
        raise r.fail(
            f"the infrastructure specification classes {infrastructure_category.value} as "
            f"{class_of(infrastructure_category).value}, not {infrastructure_class.value}"
        )
    status = r.enum("status", ItemStatus, ItemStatus.PUBLISHED)
    accredited_on = r.date("accredited_on", None)
    if status is ItemStatus.PUBLISHED and accredited_on is None:
        raise r.fail("a published item needs accredited_on")
    item = {
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
            "infrastructure_category": infrastructure_category,
            "infrastructure_class": infrastructure_class,
            "status": status,
            "accredited_on": accredited_on,
        },
        "capabilities": r.codes("capabilities", capability_codes),
        "prices": [_read_price(price, f"{file}: item {slug!r}") for price in r.list("prices", [])],
    }
    _unique([p["name"] for p in item["prices"]], file, f"item {slug!r}: price")
    if len(slug) > 100:
        raise r.fail("slug longer than 100 characters")
    return item


def _check_parents(items: list[dict], existing_slugs: set[str], file: str) -> None:
    """Each parent is an item of the file or of the database, not the item, not a service."""
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
            "charge_type": r.enum("charge_type", ChargeType),
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
                    "current_level": None,
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
        current_level = r.int("current_level", None)
        if current_level is not None and (current_level < 1 or current_system is None):
            raise r.fail("current_level must be 1 or more, with a current_system")
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
                    "current_level": current_level,
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
