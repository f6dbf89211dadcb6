"""The synthetic catalogue generator used by benchmarks: pure Python, no database.

`generate(count, random_seed, ...)` yields one plain dict per catalogue item. The output is a
function of its arguments only (one `random.Random(random_seed)` drives every choice), and
item `i` depends only on the items before it, so `generate(300, s)` starts with exactly the
items of `generate(200, s)`.

Item dicts look like:
    {"slug": "synthetic-0-000042", "kind": "system" | "module" | "service",
     "name": ..., "summary": ..., "description": ...,
     "supplier": <supplier key>, "lot": <lot key>, "parent": <slug of an earlier system> | None,
     "category": <service category> | None, "hosting": "practice_based" | "hosted",
     "rfa_version": ..., "status": "published" | ..., "accredited_on": date,
     "capabilities": [codes], "prices": [{"name", "unit", "period", "tier_calculation",
     "funding", "effective_from", "illustrative", "source",
     "tiers": [{"lower_bound", "upper_bound", "amount": Decimal}]}]}
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

SOURCE = "Synthetic benchmark data"

PREFIXES = (
    "Apex", "Aurora", "Beacon", "Bramble", "Cedar", "Clearview", "Daybreak", "Evergreen",
    "Fairway", "Granite", "Harbour", "Helix", "Ivy", "Juniper", "Kestrel", "Keystone",
    "Lakeside", "Lumen", "Meridian", "Mosaic", "Nimbus", "Northgate", "Oakridge", "Orchard",
    "Paragon", "Pinnacle", "Quayside", "Quill", "Redwood", "Riverside", "Sapphire", "Sentinel",
    "Summit", "Thistle", "Trent", "Unity", "Valiant", "Vantage", "Vertex", "Wessex", "Willow",
    "Yarrow", "Zenith",
)  # fmt: skip
SYSTEM_NOUNS = (
    "Clinical Suite", "GP System", "Practice Record", "Care Record", "Clinical Workstation",
    "Patient Record", "Primary Care System", "Clinical Manager",
)  # fmt: skip
MODULE_NOUNS = (
    "Docman", "Dispensing", "Appointments", "Repeat Prescribing", "Reporting", "Patient Portal",
    "Recall Manager", "Lab Link", "Scan Bridge", "Mobile", "Templates", "Referral Manager",
)  # fmt: skip
SERVICE_NOUNS = {
    "deployment": ("Deployment Service", "Go-Live Service", "Rollout Service"),
    "migration": ("Data Migration", "Migration Service", "Record Transfer Service"),
    "data_extract": ("Data Extract", "Documented Extract Service"),
    "training": ("Training", "Training Days", "Clinical Training"),
    "audit_trail_retrieval": ("Audit Trail Retrieval", "Data and Audit Trail Retrieval"),
    "single_user_retention": ("Single User Retention", "Legacy Read-Only Access"),
    "hosting": ("Hosting", "Managed Hosting", "Cloud Hosting"),
    "support": ("Support", "Service Desk", "Extended Support"),
    "hardware": ("Hardware Maintenance", "Kiosk", "Scanner Bundle", "Device Pack"),
    "other": ("Consultancy", "Optimisation Service", "Data Quality Review"),
}
SERVICE_CATEGORIES = tuple(SERVICE_NOUNS)

CAPABILITY_PHRASES = {
    "choose-and-book": "Choose and Book e-Referrals",
    "spine-connection": "Spine connection",
    "pds": "Personal Demographics Service lookups",
    "gp2gp": "GP2GP record transfer",
    "scr": "Summary Care Record upload",
    "pathology-messaging": "electronic pathology results",
    "cross-care-record-sharing": "record sharing across care settings",
    "eps": "electronic prescribing through EPS",
    "dispensing": "dispensing",
    "repeat-prescribing": "repeat prescriptions",
    "online-appointments": "online appointment booking",
    "online-repeat-prescriptions": "online repeat prescription requests",
    "online-record-access": "patient online record access",
    "online-consultation": "online consultation",
    "clinical-record": "the coded electronic patient record",
    "clinical-coding": "SNOMED CT clinical coding",
    "clinical-decision-support": "clinical decision support",
    "document-management": "document management and scanning",
    "device-integration": "physical device integration",
    "appointments": "appointments",
    "patient-arrival": "patient arrival check-in",
    "practice-finance": "practice finance",
    "hosted-deployment": "hosted deployment",
    "remote-access": "remote access",
    "mobile-working": "mobile working",
    "qof-reporting": "QOF reporting",
    "data-extract": "documented data extracts",
}
KIND_PHRASES = {
    "system": (
        "a principal GP clinical system",
        "a GP clinical system for practices of every size",
        "an accredited GP clinical system",
    ),
    "module": (
        "a subsidiary module for GP clinical systems",
        "an add-on module that works alongside the practice's clinical system",
    ),
    "service": (
        "a service for GP practices and their commissioners",
        "a supplier service delivered to GP practices",
    ),
}
CLOSING_PHRASES = (
    "It is designed for busy practices moving towards paperless working.",
    "Practices can adopt it at their own pace, with support from the supplier.",
    "It is used by practices across several commissioner areas.",
    "Configuration and reporting are handled by the practice manager.",
    "It meets the Requirements for Accreditation for its lot.",
    "Training and go-live support are available from the supplier.",
)
HOSTING_PHRASES = {"hosted": "hosted in a supplier data centre", "practice_based": "practice-based"}
RFA_VERSIONS = ("RFA99", "RFA v6", "RFA v7")
OTHER_STATUSES = ("draft", "submitted", "suspended", "withdrawn")
FIRST_DAY = date(2014, 4, 1)
DAYS = (date(2018, 3, 31) - FIRST_DAY).days


def synthetic_suppliers(count: int = 50) -> list[dict[str, Any]]:
    """Fictional suppliers for the synthetic catalogue; the same list on every call."""
    rng = random.Random("synthetic-suppliers")
    suffixes = ("Health", "Systems", "Medical", "Digital", "Clinical", "Software", "Care IT")
    suppliers = []
    for number in range(1, count + 1):
        name = f"{rng.choice(PREFIXES)} {rng.choice(suffixes)} {number:02d}"
        suppliers.append(
            {
                "slug": f"synthetic-supplier-{number:02d}",
                "name": name,
                "legal_name": f"{name} Ltd (synthetic)",
                "company_number": None,
                "contact_email": f"sales@supplier-{number:02d}.example.org",
                "website": f"https://supplier-{number:02d}.example.org",
                "active": True,
            }
        )
    return suppliers


def generate(
    count: int,
    random_seed: int,
    *,
    suppliers: Sequence[Any],
    lots: Sequence[tuple[str, int]],
    capability_codes: Sequence[str],
    ladder: Sequence[Sequence[str]] = (),
) -> Iterator[dict[str, Any]]:
    """Yield `count` synthetic catalogue items.

    suppliers: supplier keys (slugs) to list items under; lots: (framework slug, lot number)
    keys; capability_codes: the codes items may hold; ladder: optional, the capability codes
    each maturity level adds (level 1 first), so that most systems reach a realistic level.
    Systems go on lot 1 when there is one; modules and services may go on any lot.
    """
    if not suppliers or not lots or not capability_codes:
        raise ValueError("generate needs at least one supplier, one lot and one capability")
    rng = random.Random(random_seed)
    suppliers = list(suppliers)
    lots = list(lots)
    codes = sorted(capability_codes)
    rungs = [sorted(step) for step in ladder]
    system_lots = [lot for lot in lots if lot[1] == 1] or lots
    systems_by_supplier: dict[Any, list[str]] = {}

    for index in range(count):
        slug = f"synthetic-{random_seed}-{index:06d}"
        roll = rng.random()
        kind = "system" if roll < 0.3 else "module" if roll < 0.5 else "service"
        supplier = rng.choice(suppliers)
        lot = rng.choice(system_lots if kind == "system" else lots)
        hosting = (
            "hosted" if rng.random() < (0.6 if kind == "system" else 0.5) else "practice_based"
        )
        category = rng.choice(SERVICE_CATEGORIES) if kind == "service" else None
        name = _name(rng, kind, category, index)
        parent = None
        own_systems = systems_by_supplier.get(supplier)
        if kind != "system" and own_systems and rng.random() < 0.7:
            parent = rng.choice(own_systems)
        if kind == "system":
            systems_by_supplier.setdefault(supplier, []).append(slug)

        capabilities = _capabilities(rng, kind, codes, rungs)
        status = "published" if rng.random() < 0.95 else rng.choice(OTHER_STATUSES)
        accredited_on = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        summary, description = _texts(rng, name, kind, hosting, capabilities)
        yield {
            "slug": slug,
            "kind": kind,
            "name": name,
            "summary": summary[:500],
            "description": description,
            "supplier": supplier,
            "lot": lot,
            "parent": parent,
            "category": category,
            "hosting": hosting,
            "rfa_version": rng.choice(RFA_VERSIONS),
            "status": status,
            "accredited_on": accredited_on,
            "capabilities": capabilities,
            "prices": _prices(rng, kind, category, accredited_on),
        }


def _name(rng: random.Random, kind: str, category: str | None, index: int) -> str:
    prefix = rng.choice(PREFIXES)
    if kind == "system":
        name = f"{prefix} {rng.choice(SYSTEM_NOUNS)}"
    elif kind == "module":
        name = f"{prefix} {rng.choice(MODULE_NOUNS)}"
    else:  # a service, which has a category
        name = f"{prefix} {rng.choice(SERVICE_NOUNS[cast(str, category)])}"
    return f"{name} {index % 97 + 1}" if rng.random() < 0.3 else name


def _texts(
    rng: random.Random, name: str, kind: str, hosting: str, capabilities: list[str]
) -> tuple[str, str]:
    """The summary and the description, which name the item's capabilities."""
    phrases = [CAPABILITY_PHRASES.get(code, code.replace("-", " ")) for code in capabilities]
    summary = f"{name}: {', '.join(phrases[:3])}."
    description = (
        f"{name} is {rng.choice(KIND_PHRASES[kind])}, {HOSTING_PHRASES[hosting]}. "
        f"It supports {_join(phrases)}. {rng.choice(CLOSING_PHRASES)}"
    )
    return summary, description


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _capabilities(
    rng: random.Random, kind: str, codes: list[str], ladder: list[list[str]]
) -> list[str]:
    wanted = rng.randint(3, 8)
    held: list[str] = []
    if kind == "system" and ladder:
        # Most systems climb the ladder; a few skip a rung (a gap stops the level there).
        for step in ladder:
            if rng.random() < 0.85:
                held.extend(code for code in step if code in codes and code not in held)
    rest = [code for code in codes if code not in held]
    extra = max(0, min(len(rest), wanted - len(held)))
    held.extend(rng.sample(rest, extra))
    return sorted(held)


def _money(rng: random.Random, low: int, high: int, places: int = 2) -> Decimal:
    """A random amount between low and high pounds with `places` decimal places."""
    scale = 10**places
    return Decimal(rng.randint(low * scale, high * scale)).scaleb(-places)


def _flat(amount: Decimal) -> list[dict[str, Any]]:
    return [{"lower_bound": 1, "upper_bound": None, "amount": amount}]


def _patient_tiers(rng: random.Random) -> list[dict[str, Any]]:
    bounds = sorted(rng.sample(range(2000, 20001, 1000), rng.randint(1, 3)))
    amount = _money(rng, 0, 1, places=4) + Decimal("0.05")
    tiers = []
    lower = 1
    for upper in [*bounds, None]:
        tiers.append({"lower_bound": lower, "upper_bound": upper, "amount": amount})
        if upper is not None:
            lower = upper + 1
            amount = (amount * Decimal("0.85")).quantize(Decimal("0.0001"))
    return tiers


def _price(
    name: str,
    unit: str,
    period: str,
    tiers: list[dict[str, Any]],
    funding: str | None,
    effective_from: date,
    tier_calculation: str = "volume",
    *,
    charge_type: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "charge_type": charge_type,
        "unit": unit,
        "period": period,
        "tier_calculation": tier_calculation,
        "funding": funding,
        "effective_from": effective_from,
        "illustrative": True,
        "source": SOURCE,
        "tiers": tiers,
    }


def _prices(
    rng: random.Random, kind: str, category: str | None, effective_from: date
) -> list[dict[str, Any]]:
    if kind == "system":
        prices = _system_prices(rng, effective_from)
    elif kind == "module":
        prices = _module_prices(rng, effective_from)
    elif category is None:
        raise ValueError("a service needs its category")
    else:
        prices = _service_prices(rng, category, effective_from)
    if len(prices) < 3 and rng.random() < 0.5:
        prices.append(
            _price(
                "Additional user",
                "user",
                "year",
                _flat(_money(rng, 20, 250)),
                None,
                effective_from,
                charge_type="licence",
            )
        )
    if len(prices) < 2:
        prices.append(
            _price(
                "Expenses",
                "day",
                "one_off",
                _flat(_money(rng, 50, 200)),
                "commissioner",
                effective_from,
                charge_type="other",
            )
        )
    return prices


def _system_prices(rng: random.Random, effective_from: date) -> list[dict[str, Any]]:
    return [
        _price(
            "Annual practice licence",
            "practice",
            "year",
            _flat(_money(rng, 2500, 6500)),
            "central",
            effective_from,
            charge_type="licence",
        ),
        _price(
            "System support",
            "practice",
            "year",
            _flat(_money(rng, 400, 900)),
            "commissioner",
            effective_from,
            charge_type="support_service",
        ),
    ]


def _module_prices(rng: random.Random, effective_from: date) -> list[dict[str, Any]]:
    if rng.random() < 0.5:
        licence = _price(
            "Annual practice licence",
            "practice",
            "year",
            _flat(_money(rng, 150, 1500)),
            None,
            effective_from,
            charge_type="licence",
        )
    else:
        licence = _price(
            "Per-patient licence",
            "patient",
            "year",
            _patient_tiers(rng),
            None,
            effective_from,
            rng.choice(("volume", "cumulative")),
            charge_type="licence",
        )
    set_up = _price(
        "Set-up",
        "practice",
        "one_off",
        _flat(_money(rng, 100, 2000)),
        "commissioner",
        effective_from,
        charge_type="deployment_and_migration",
    )
    return [licence, set_up]


# Service category -> (unit, period, lowest and highest charge in pounds, charge type).
SERVICE_CHARGES = {
    "deployment": ("migration", "one_off", 2000, 9000, "deployment_and_migration"),
    "migration": ("migration", "one_off", 3000, 9000, "deployment_and_migration"),
    "data_extract": ("item", "one_off", 500, 2000, "data_extract"),
    "training": ("day", "one_off", 350, 800, "training"),
    "audit_trail_retrieval": ("item", "one_off", 150, 500, "other"),
    "single_user_retention": ("user", "year", 700, 1600, "other"),
    "hosting": ("practice", "year", 800, 3000, "other"),
    "support": ("practice", "year", 300, 1200, "support_service"),
    "hardware": ("device", "one_off", 300, 4000, "hardware"),
    "other": ("day", "one_off", 400, 1100, "other"),
}


def _service_prices(
    rng: random.Random, category: str, effective_from: date
) -> list[dict[str, Any]]:
    unit, period, low, high, charge = SERVICE_CHARGES[category]
    prices = [
        _price(
            "Service charge",
            unit,
            period,
            _flat(_money(rng, low, high)),
            "commissioner",
            effective_from,
            charge_type=charge,
        )
    ]
    if rng.random() < 0.5:
        prices.append(
            _price(
                "Per-patient option",
                "patient",
                "year",
                _patient_tiers(rng),
                "commissioner",
                effective_from,
                rng.choice(("volume", "cumulative")),
                charge_type=charge,
            )
        )
    return prices
