"""Who pays for a price: the centre (central funding) or the commissioner (local funding).

The rule, from Connecting for Health's "who pays for what" (see DESIGN.md):

- A price that costs nothing is funded by nobody (`None`).
- Lot 1 (GP clinical systems and subsidiary modules) is centrally funded for the principal
  system licence and the maturity level increments, but only for systems at Level 2 or above:
  central funding requires Level 2.
- Support, training, deployment and migration are paid by the commissioner (local), on every lot.
- Lot 2 and Lot 3 are locally funded (the lot's default).
- A price's own `funding` field overrides the lot's default, except that it cannot make a
  system below Level 2 centrally funded.

`decide_funding` is the rule over plain values (fast, usable on snapshots);
`funding_for` applies it to catalogue rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import CatalogueItem, Funding, ItemKind, Price

CENTRAL_FUNDING_MIN_LEVEL = 2

# Words in a price name that mark work the commissioner pays for even on a centrally funded
# lot (a system's "System support" price, say), where the price does not state its funding.
LOCALLY_FUNDED_WORDS = ("support", "training", "deployment", "migration")


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
) -> FundingDecision:
    """The funding of one price. `maturity_level` is the level of the principal system (for a
    module or a service, the level of the system it belongs to, where it belongs to one)."""
    if costs_nothing:
        return FundingDecision(None, "The price costs nothing, so nobody funds it.")
    below_level = maturity_level < CENTRAL_FUNDING_MIN_LEVEL
    if price_funding is Funding.LOCAL:
        return FundingDecision(Funding.LOCAL, "The price states that it is locally funded.")
    if price_funding is Funding.CENTRAL:
        if kind is not ItemKind.SERVICE and below_level:
            return FundingDecision(
                Funding.LOCAL,
                f"Central funding requires Level {CENTRAL_FUNDING_MIN_LEVEL}; the system is at "
                f"Level {maturity_level}, so the commissioner pays.",
            )
        return FundingDecision(Funding.CENTRAL, "The price states that it is centrally funded.")
    if lot_default is Funding.LOCAL:
        return FundingDecision(
            Funding.LOCAL, f"Lot {lot_number} is locally funded by the commissioner."
        )
    if kind is ItemKind.SERVICE:
        return FundingDecision(
            Funding.LOCAL,
            "Services (deployment, migration, training, support...) are paid by the commissioner.",
        )
    lowered = price_name.lower()
    for word in LOCALLY_FUNDED_WORDS:
        if word in lowered:
            return FundingDecision(
                Funding.LOCAL, f"{word.capitalize()} is paid by the commissioner."
            )
    if below_level:
        return FundingDecision(
            Funding.LOCAL,
            f"Central funding requires Level {CENTRAL_FUNDING_MIN_LEVEL}; the system is at "
            f"Level {maturity_level}, so the commissioner pays.",
        )
    return FundingDecision(
        Funding.CENTRAL,
        f"Lot {lot_number} licences and level increments of a Level "
        f"{CENTRAL_FUNDING_MIN_LEVEL}+ system are centrally funded.",
    )


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
    )
