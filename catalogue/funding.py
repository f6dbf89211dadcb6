"""Who pays for a price: the centre (central funding), the commissioner or the practice.

The rule follows the price's charge type (what it charges for, stated by the supplier and
checked by the authority's review), the item's lot and the item's class in the GP practice IT
infrastructure specification; never the words of a price's name. docs/who-pays.md gives each
rule with the seed document it comes from (shared seeds, named there by file):

- A price that costs nothing is funded by nobody (`None`).
- Core IT (the specification's class of an item: servers, PCs, networking...) is funded by the
  commissioner, always, whatever the price states (seed 003: core is what "GPs are entitled
  to expect PCTs to support").
- Additional IT (business applications, scanning and document management...) is paid by the
  practice, whatever the lot or the price states: the commissioner funds it only where the
  commissioner and the practice agree, per practice, on an order line
  (catalogue.orders.agreements), never assumed from the catalogue (seed 003: "subject to
  agreement between the PCT and practice").
- A price that states the practice pays (an item outside the specification) is paid by the
  practice; one that states the commissioner pays is the commissioner's.
- Lot 2 and Lot 3 are locally funded by the commissioner (the lot's default; seed 001:
  "procured and paid for locally by the CCG").
- Nothing is centrally funded on a framework whose funding types leave out "central".
- On Lot 1, only licences (the principal system's, its modules' and the level increments) and
  the clinical system software's maintenance are central (seed 000: "CfH will pay for the
  maintenance charges on the clinical system software"); support services, training,
  deployment and migration, data extracts, hardware and its maintenance, and other charges are
  the commissioner's (seed 004: CCGs provide "support services and training"; seed 000: "The
  hardware remains the responsibility of the PCT"). Services are the commissioner's whatever
  they charge for.
- Central funding requires Level 2 of the principal system.
- A price's own `funding` cannot make a price central: an explicit "central" is honoured only
  where the rules above allow central funding anyway; anywhere else the commissioner pays, and
  the reason says why the price's own "central" does not apply.

Until schema revision 0010 there were two payers, "central" and "local"; "local" became
"commissioner" (the practice's part was not told apart). Until revision 0014 the words of a
price's name ("support", "training"...) moved Lot 1 prices to the commissioner: that revision
derived each price's charge type from them once, and nothing reads a name since.

`decide_funding` is the rule over plain values (fast, usable on snapshots);
`funding_for` applies it to catalogue rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .infrastructure import class_of, title_of
from .models import (
    CatalogueItem,
    ChargeType,
    Funding,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
    Price,
)

CENTRAL_FUNDING_MIN_LEVEL = 2

# The charge types Lot 1 funds centrally (of a Level 2+ system's licences and modules).
CENTRAL_CHARGE_TYPES = frozenset({ChargeType.LICENCE, ChargeType.SOFTWARE_MAINTENANCE})

SEED_LOCAL = "seed 001_853fdf65414417db.txt"
SEED_MAINTENANCE = "seed 000_69db64e510a9e9e1.txt"
SEED_INFRASTRUCTURE = "seed 003_ad154007f6923b3d.txt"
SEED_SUPPORT = "seed 004_a3ce13cb4dfb885b.txt"

# Why the commissioner pays a Lot 1 charge of a type that is not centrally funded.
_LOCAL_CHARGES = {
    ChargeType.SUPPORT_SERVICE: (
        f"Support services are the commissioner's to provide ({SEED_SUPPORT}: CCGs provide "
        '"support services and training")'
    ),
    ChargeType.TRAINING: (
        f"Training is the commissioner's to provide ({SEED_SUPPORT}: CCGs provide "
        '"support services and training")'
    ),
    ChargeType.DEPLOYMENT_AND_MIGRATION: (
        "Deployment and migration are ordered and paid for by the commissioner, like the "
        f"local support services around the system ({SEED_SUPPORT})"
    ),
    ChargeType.DATA_EXTRACT: (
        "A data extract is part of a migration, which the commissioner orders and pays for "
        f"({SEED_SUPPORT})"
    ),
    ChargeType.HARDWARE: (
        f"Hardware is the commissioner's ({SEED_MAINTENANCE}: \"The hardware remains the "
        'responsibility of the PCT")'
    ),
    ChargeType.HARDWARE_MAINTENANCE: (
        f"Hardware maintenance is the commissioner's ({SEED_MAINTENANCE}: \"The hardware "
        'remains the responsibility of the PCT")'
    ),
    ChargeType.OTHER: (
        "Only licences and the clinical system software's maintenance are centrally funded; "
        "other charges are paid by the commissioner"
    ),
}

_OWN_CENTRAL_REFUSED = "the price's own 'central' does not apply."


SPECIFICATION = "the GP practice IT infrastructure specification"

# The payer a lot may default to: never the practice (additional IT is told by the item).
LOT_DEFAULT_PAYERS = (Funding.CENTRAL, Funding.COMMISSIONER)


def payer_error(value: object, allowed: Collection[Funding] = tuple(Funding)) -> str:
    """What to tell a client that sent `value` where one of `allowed` was due; a client
    still sending the retired "local" is told what it became."""
    names = ", ".join(payer.value for payer in allowed)
    if value == "local":
        return (
            "'local' is no longer a payer: since the three payers it is 'commissioner' (and "
            "'practice' for additional IT the commissioner has not agreed to fund). "
            f"One of: {names}."
        )
    return f"One of: {names}."


@dataclass(frozen=True)
class FundingDecision:
    funding: Funding | None
    reason: str
    # True where the practice pays only because the item is additional IT: the commissioner
    # may agree to fund it (catalogue.orders.agreements).
    agreement_possible: bool = False


def decide_funding(
    *,
    kind: ItemKind,
    lot_number: int,
    lot_default: Funding,
    maturity_level: int,
    charge_type: ChargeType,
    price_funding: Funding | None,
    costs_nothing: bool,
    framework_funding_types: Collection[str] | None = None,
    infrastructure_category: InfrastructureCategory | None = None,
) -> FundingDecision:
    """The funding of one price. `maturity_level` is the level of the principal system (for a
    module or a service, the level of the system it belongs to, where it belongs to one).
    `framework_funding_types` are the funding types the lot's framework allows ("central",
    "commissioner", "practice"); None when the caller does not know them, and then they are
    not checked. `infrastructure_category` is the item's heading in the infrastructure
    specification, where it has one."""
    if costs_nothing:
        return FundingDecision(None, "The price costs nothing, so nobody funds it.")
    if infrastructure_category is not None:
        return _infrastructure(infrastructure_category, price_funding)
    if price_funding is Funding.PRACTICE:
        return FundingDecision(Funding.PRACTICE, "The price states that the practice pays it.")
    if price_funding is Funding.COMMISSIONER:
        return FundingDecision(
            Funding.COMMISSIONER, "The price states that the commissioner pays it."
        )
    local = _why_local(
        kind=kind,
        lot_number=lot_number,
        lot_default=lot_default,
        maturity_level=maturity_level,
        charge_type=charge_type,
        framework_funding_types=framework_funding_types,
    )
    if local is not None:
        if price_funding is Funding.CENTRAL:
            return FundingDecision(Funding.COMMISSIONER, f"{local}; {_OWN_CENTRAL_REFUSED}")
        return FundingDecision(Funding.COMMISSIONER, f"{local}.")
    if charge_type is ChargeType.SOFTWARE_MAINTENANCE:
        why = (
            f"the clinical system software's maintenance on Lot {lot_number} is centrally "
            f'funded ({SEED_MAINTENANCE}: "CfH will pay for the maintenance charges on the '
            'clinical system software")'
        )
    else:
        why = (
            f"Lot {lot_number} licences and level increments of a Level "
            f"{CENTRAL_FUNDING_MIN_LEVEL}+ system are centrally funded"
        )
    if price_funding is Funding.CENTRAL:
        return FundingDecision(
            Funding.CENTRAL, f"The price states that it is centrally funded, as {why}."
        )
    return FundingDecision(Funding.CENTRAL, f"{why[0].upper()}{why[1:]}.")


def _infrastructure(
    category: InfrastructureCategory, price_funding: Funding | None
) -> FundingDecision:
    """Practice IT infrastructure: its class decides, whatever the price states."""
    title = title_of(category)
    if class_of(category) is InfrastructureClass.ADDITIONAL:
        return FundingDecision(
            Funding.PRACTICE,
            f"{title}: additional IT in {SPECIFICATION}, which the practice pays unless the "
            f"commissioner and the practice agree that the commissioner funds it "
            f'({SEED_INFRASTRUCTURE}: "subject to agreement between the PCT and practice").',
            agreement_possible=True,
        )
    reason = (
        f"{title}: core IT in {SPECIFICATION}, which the commissioner funds, always "
        f'({SEED_INFRASTRUCTURE}: core is what "GPs are entitled to expect PCTs to support")'
    )
    if price_funding is not None and price_funding is not Funding.COMMISSIONER:
        reason += f"; the price's own '{price_funding.value}' does not apply"
    return FundingDecision(Funding.COMMISSIONER, f"{reason}.")


def _why_local(
    *,
    kind: ItemKind,
    lot_number: int,
    lot_default: Funding,
    maturity_level: int,
    charge_type: ChargeType,
    framework_funding_types: Collection[str] | None,
) -> str | None:
    """Why the rules make the commissioner pay (no final full stop), or None where they allow
    central funding."""
    if lot_default is not Funding.CENTRAL:
        return (
            f"Lot {lot_number} is locally funded by the commissioner: such products are "
            f'"procured and paid for locally by the CCG" ({SEED_LOCAL})'
        )
    if framework_funding_types is not None and Funding.CENTRAL not in framework_funding_types:
        return "The framework does not allow central funding, so the commissioner pays"
    if charge_type not in CENTRAL_CHARGE_TYPES:
        return _LOCAL_CHARGES[charge_type]
    if kind is ItemKind.SERVICE:
        return (
            "Services (deployment, migration, training, support...) are paid by the "
            "commissioner: central funding covers the clinical system's and its modules' "
            "licences and software maintenance"
        )
    if maturity_level < CENTRAL_FUNDING_MIN_LEVEL:
        return (
            f"Central funding requires Level {CENTRAL_FUNDING_MIN_LEVEL}; the system is at "
            f"Level {maturity_level}, so the commissioner pays"
        )
    return None


def system_level(item: CatalogueItem) -> int:
    """The maturity level that governs an item's funding: its own for a principal system,
    its parent system's for a module or service that belongs to one."""
    if item.kind is not ItemKind.SYSTEM and item.parent is not None:
        return item.parent.maturity_level
    return item.maturity_level


def funding_for(item: CatalogueItem, price: Price) -> FundingDecision:
    return decide_funding(
        kind=item.kind,
        lot_number=item.lot.number,
        lot_default=item.lot.default_funding,
        maturity_level=system_level(item),
        charge_type=price.charge_type,
        price_funding=price.funding,
        costs_nothing=all(tier.amount == 0 for tier in price.tiers),
        framework_funding_types=item.lot.framework.funding_types,
        infrastructure_category=item.infrastructure_category,
    )
