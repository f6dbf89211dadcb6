"""Who pays for a price: the centre (central funding), the commissioner or the practice.

The rule, from Connecting for Health's "who pays for what" and the GP practice IT
infrastructure specification (see DESIGN.md and catalogue.infrastructure):

- A price that costs nothing is funded by nobody (`None`).
- A price that states the practice pays is paid by the practice.
- Additional IT (the specification's class of an item: business applications, scanning and
  document management...) is paid by the practice, whatever the lot or the price states: the
  commissioner funds it only where it agrees with the practice, and that agreement is recorded
  on an order line (catalogue.orders.agreements), never assumed from the catalogue.
- Core IT is funded by the commissioner.
- Lot 1 (GP clinical systems and subsidiary modules) is centrally funded for the principal
  system licence and the maturity level increments, but only for systems at Level 2 or above:
  central funding requires Level 2.
- Support, training, deployment and migration are paid by the commissioner, on every lot.
- Lot 2 and Lot 3 are locally funded by the commissioner (the lot's default).
- Nothing is centrally funded on a framework whose funding types leave out "central".
- A price's own `funding` field can make a price the commissioner's, always (but for
  additional IT, above). It cannot make one central:
  an explicit "central" is honoured only where the rules above allow central funding anyway
  (a Lot 1 system or module licence or level increment, of a Level 2+ system, on a framework
  that allows central funding); anywhere else the commissioner pays, and the reason says why
  the price's own "central" does not apply.

Until schema revision 0010 there were two payers, "central" and "local"; "local" became
"commissioner" (the practice's part was not told apart).

`decide_funding` is the rule over plain values (fast, usable on snapshots);
`funding_for` applies it to catalogue rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .infrastructure import class_of, title_of
from .models import (
    CatalogueItem,
    Funding,
    InfrastructureCategory,
    InfrastructureClass,
    ItemKind,
    Price,
)

CENTRAL_FUNDING_MIN_LEVEL = 2

# Words in a price name that mark work the commissioner pays for even on a centrally funded
# lot (a system's "System support" price, say), whatever the price states.
LOCALLY_FUNDED_WORDS = ("support", "training", "deployment", "migration")

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
    price_name: str,
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
    if price_funding is Funding.PRACTICE:
        return FundingDecision(Funding.PRACTICE, "The price states that the practice pays it.")
    if (
        infrastructure_category is not None
        and class_of(infrastructure_category) is InfrastructureClass.ADDITIONAL
    ):
        return FundingDecision(
            Funding.PRACTICE,
            f"{title_of(infrastructure_category)}: additional IT in {SPECIFICATION}, which the "
            "practice pays unless the commissioner agrees to fund it.",
            agreement_possible=True,
        )
    if price_funding is Funding.COMMISSIONER:
        return FundingDecision(
            Funding.COMMISSIONER, "The price states that the commissioner pays it."
        )
    local = _why_local(
        kind=kind,
        lot_number=lot_number,
        lot_default=lot_default,
        maturity_level=maturity_level,
        price_name=price_name,
        framework_funding_types=framework_funding_types,
        infrastructure_category=infrastructure_category,
    )
    if local is not None:
        if price_funding is Funding.CENTRAL:
            return FundingDecision(Funding.COMMISSIONER, f"{local}; {_OWN_CENTRAL_REFUSED}")
        return FundingDecision(Funding.COMMISSIONER, f"{local}.")
    if price_funding is Funding.CENTRAL:
        return FundingDecision(
            Funding.CENTRAL,
            f"The price states that it is centrally funded, as Lot {lot_number} licences and "
            f"level increments of a Level {CENTRAL_FUNDING_MIN_LEVEL}+ system are.",
        )
    return FundingDecision(
        Funding.CENTRAL,
        f"Lot {lot_number} licences and level increments of a Level "
        f"{CENTRAL_FUNDING_MIN_LEVEL}+ system are centrally funded.",
    )


def _why_local(
    *,
    kind: ItemKind,
    lot_number: int,
    lot_default: Funding,
    maturity_level: int,
    price_name: str,
    framework_funding_types: Collection[str] | None,
    infrastructure_category: InfrastructureCategory | None,
) -> str | None:
    """Why the rules make the commissioner pay (no final full stop), or None where they allow
    central funding."""
    if infrastructure_category is not None:
        return (
            f"{title_of(infrastructure_category)}: core IT in {SPECIFICATION}, which the "
            "commissioner funds"
        )
    if lot_default is not Funding.CENTRAL:
        return f"Lot {lot_number} is locally funded by the commissioner"
    if framework_funding_types is not None and Funding.CENTRAL not in framework_funding_types:
        return "The framework does not allow central funding, so the commissioner pays"
    if kind is ItemKind.SERVICE:
        return "Services (deployment, migration, training, support...) are paid by the commissioner"
    lowered = price_name.lower()
    for word in LOCALLY_FUNDED_WORDS:
        if word in lowered:
            return f"{word.capitalize()} is paid by the commissioner"
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
        price_name=price.name,
        price_funding=price.funding,
        costs_nothing=all(tier.amount == 0 for tier in price.tiers),
        framework_funding_types=item.lot.framework.funding_types,
        infrastructure_category=item.infrastructure_category,
    )
