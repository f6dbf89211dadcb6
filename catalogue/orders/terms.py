"""The price terms an order line was ordered at: copied from the catalogue price (or from a
locked selection's snapshot) when the line is added, so that the order keeps its costs when
the catalogue price later changes or is deleted. Stored on the line as plain columns, read back
as `catalogue.pricing.PriceTerms` for the one pricing engine. Who pays a line is the terms'
funding, unless the commissioner agreed to fund a line of additional IT (`funding_of`)."""

from __future__ import annotations

from catalogue.funding import FundingDecision
from catalogue.models import CallOffItem, Funding, InfrastructureClass
from catalogue.pricing import PriceTerms


def copy_terms(line: CallOffItem, terms: PriceTerms) -> None:
    """Write `terms` onto `line` (the price reference is the caller's business)."""
    plain = terms.to_json()
    line.price_name = terms.name
    line.unit = terms.unit
    line.period = terms.period
    line.tier_calculation = terms.tier_calculation
    line.tiers = plain["tiers"]
    line.funding = terms.funding
    line.funding_reason = terms.funding_reason
    line.effective_from = terms.effective_from
    line.effective_to = terms.effective_to


def terms_of(line: CallOffItem) -> PriceTerms:
    """The terms the line was ordered at."""
    return PriceTerms.from_json(
        {
            "price_id": line.price_id,
            "name": line.price_name,
            "unit": line.unit.value,
            "period": line.period.value,
            "tier_calculation": line.tier_calculation.value,
            "tiers": line.tiers,
            "funding": line.funding.value if line.funding else None,
            "funding_reason": line.funding_reason,
            "effective_from": line.effective_from.isoformat(),
            "effective_to": line.effective_to.isoformat() if line.effective_to else None,
        }
    )


def agreement_possible(line: CallOffItem) -> bool:
    """The practice pays the line only because it is additional IT: the commissioner may agree
    to fund it (catalogue.orders.agreements)."""
    return (
        line.funding is Funding.PRACTICE
        and line.catalogue_item.infrastructure_class is InfrastructureClass.ADDITIONAL
    )


def funding_of(line: CallOffItem) -> FundingDecision:
    """Who pays the line, and why in words: as ordered, or the commissioner where it recorded
    its agreement to fund a line of additional IT."""
    if line.funding_agreed_at is None or line.funding is not Funding.PRACTICE:
        return FundingDecision(line.funding, line.funding_reason)
    return FundingDecision(
        Funding.COMMISSIONER,
        f"{line.funding_reason} The commissioner agreed to fund it "
        f"({line.funding_agreed_by}, {line.funding_agreed_at:%-d %B %Y}): "
        f"{line.funding_agreement_reason}",
    )
