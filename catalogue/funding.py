"""Who pays for a price: the centre (central funding) or the commissioner (local funding).

The rule, from Connecting for Health's "who pays for what" (see DESIGN.md):

- A price that costs nothing is funded by nobody (`None`).
- Lot 1 (GP clinical systems and subsidiary modules) is centrally funded for the principal
  system licence and the maturity level increments, but only for systems at Level 2 or above:
  central funding requires Level 2.
- Support, training, deployment and migration are paid by the commissioner (local), on every lot.
- Lot 2 and Lot 3 are locally funded (the lot's default).
- Nothing is centrally funded on a framework whose funding types leave out "central".
- A price's own `funding` field can make a price local, always. It cannot make one central:
  an explicit "central" is honoured only where the rules above allow central funding anyway
  (a Lot 1 system or module licence or level increment, of a Level 2+ system, on a framework
  that allows central funding); anywhere else the price is local, and the reason says why the
  price's own "central" does not apply.

`decide_funding` is the rule over plain values (fast, usable on snapshots);
`funding_for` applies it to catalogue rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .models import CatalogueItem, Funding, ItemKind, Price

CENTRAL_FUNDING_MIN_LEVEL = 2

# Words in a price name that mark work the commissioner pays for even on a centrally funded
# lot (a system's "System support" price, say), whatever the price states.
LOCALLY_FUNDED_WORDS = ("support", "training", "deployment", "migration")

_OWN_CENTRAL_REFUSED = "the price's own 'central' does not apply."


@dataclass(frozen=True)
class FundingDecision:
    funding: Funding | None
    reason: str


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
) -> FundingDecision:
    """The funding of one price. `maturity_level` is the level of the principal system (for a
    module or a service, the level of the system it belongs to, where it belongs to one).
    `framework_funding_types` are the funding types the lot's framework allows ("central",
    "local"); None when the caller does not know them, and then they are not checked."""
    if costs_nothing:
        return FundingDecision(None, "The price costs nothing, so nobody funds it.")
    if price_funding is Funding.LOCAL:
        return FundingDecision(Funding.LOCAL, "The price states that it is locally funded.")
    local = _why_local(
        kind=kind,
        lot_number=lot_number,
        lot_default=lot_default,
        maturity_level=maturity_level,
        price_name=price_name,
        framework_funding_types=framework_funding_types,
    )
    if local is not None:
        if price_funding is Funding.CENTRAL:
            return FundingDecision(Funding.LOCAL, f"{local}; {_OWN_CENTRAL_REFUSED}")
        return FundingDecision(Funding.LOCAL, f"{local}.")
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
) -> str | None:
    """Why the rules make the price local (no final full stop), or None where they allow
    central funding."""
    if lot_default is Funding.LOCAL:
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
    )
