"""The price terms an order line was ordered at: copied from the catalogue price (or from a
locked selection's snapshot) when the line is added, so that the order keeps its costs when
the catalogue price later changes or is deleted. Stored on the line as plain columns, read back
as `catalogue.pricing.PriceTerms` for the one pricing engine. Who pays a line is the terms'
funding, unless it is additional IT that the commissioner and a practice agreed the
commissioner funds for that practice (`funding_of`), or core IT (the commissioner's always,
whatever the price stated when the line was ordered)."""

from __future__ import annotations

from catalogue.funding import SEED_INFRASTRUCTURE, FundingDecision
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
    """The practice pays the line only because it is additional IT: the commissioner and the
    practice may agree that the commissioner funds it (catalogue.orders.agreements)."""
    return (
        line.funding is Funding.PRACTICE
        and line.catalogue_item.infrastructure_class is InfrastructureClass.ADDITIONAL
    )


def practice_agreed(line: CallOffItem, practice_id: int) -> bool:
    return any(agreed.practice_id == practice_id for agreed in line.practice_agreements)


def _recipients_of(line: CallOffItem) -> list[int]:
    return [quantity.organisation_id for quantity in line.quantities]


def funding_of(line: CallOffItem, practice_id: int | None = None) -> FundingDecision:
    """Who pays the line (for one practice, or for the line as a whole), and why in words: as
    ordered; the commissioner for core IT whatever the price stated; and for additional IT the
    commissioner where it and the practice both agreed (per practice: the whole line is the
    commissioner's only when every practice it is for agreed)."""
    if (
        line.funding is Funding.PRACTICE
        and line.catalogue_item.infrastructure_class is InfrastructureClass.CORE
    ):
        return FundingDecision(
            Funding.COMMISSIONER,
            "Core IT in the GP practice IT infrastructure specification is funded by the "
            f"commissioner, always ({SEED_INFRASTRUCTURE}), whatever the price stated.",
        )
    if not agreement_possible(line):
        return FundingDecision(line.funding, line.funding_reason)
    practices = [practice_id] if practice_id is not None else _recipients_of(line)
    agreed = [each for each in practices if practice_agreed(line, each)]
    commissioner = (
        f"The commissioner agreed to fund it ({line.funding_agreed_by}, "
        f"{line.funding_agreed_at:%-d %B %Y}): {(line.funding_agreement_reason or '').rstrip('.')}."
        if line.funding_agreed_at is not None
        else None
    )
    sides = _practice_words(line, agreed, practices)
    if commissioner is not None and practices and len(agreed) == len(practices):
        return FundingDecision(
            Funding.COMMISSIONER, f"{line.funding_reason} {commissioner} {sides}"
        )
    missing = "The commissioner has not agreed." if commissioner is None else commissioner
    still = "so the practice pays it until both have agreed."
    return FundingDecision(
        Funding.PRACTICE, f"{line.funding_reason} {missing} {sides[:-1]}; {still}"
    )


def _practice_words(line: CallOffItem, agreed: list[int], practices: list[int]) -> str:
    """What the practices said, in a sentence."""
    if not agreed:
        return "The practice has not agreed."
    words = []
    for agreement in line.practice_agreements:
        if agreement.practice_id in agreed:
            code = agreement.practice.ods_code if agreement.practice is not None else "?"
            words.append(
                f"{code} agreed ({agreement.agreed_by}, {agreement.agreed_at:%-d %B %Y}): "
                f"{agreement.reason.rstrip('.')}"
            )
    if len(agreed) < len(practices):
        words.append(f"{len(practices) - len(agreed)} other practice(s) have not agreed")
    return "; ".join(words) + "."
