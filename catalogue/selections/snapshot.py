"""What a selection is scored from, and locking it: the live catalogue facts while it is open,
the frozen snapshot of the scored listing versions and prices once it is locked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Conflict, Forbidden
from catalogue.models import (
    CatalogueItem,
    ItemStatus,
    Selection,
    SelectionCriterion,
    SelectionScore,
    SelectionStatus,
    utcnow,
)
from catalogue.pricing import PriceTerms
from catalogue.principal import Principal
from catalogue.selections.access import ensure_open_to, record_change, touch
from catalogue.selections.facts import capability_reference, load_candidate_facts
from catalogue.selections.scoring import (
    CandidateFacts,
    CriterionSpec,
    EnteredScore,
    ScoringInput,
    SelectionResult,
    score_selection,
)


def _facts_to_json(facts: CandidateFacts) -> dict[str, Any]:
    return {
        "item_id": facts.item_id,
        "name": facts.name,
        "supplier": facts.supplier,
        "version": facts.version,
        "maturity_level": facts.maturity_level,
        "capabilities": sorted(facts.capabilities),
        "prices": [price.to_json() for price in facts.prices],
    }


def _facts_from_json(data: Mapping[str, Any]) -> CandidateFacts:
    return CandidateFacts(
        item_id=data["item_id"],
        name=data["name"],
        supplier=data["supplier"],
        version=data["version"],
        maturity_level=data["maturity_level"],
        capabilities=frozenset(data["capabilities"]),
        prices=tuple(PriceTerms.from_json(price) for price in data["prices"]),
    )


@dataclass(frozen=True)
class CatalogueFacts:
    """Everything scoring needs from the catalogue, live or frozen."""

    priced_on: date
    list_size: int
    candidates: list[CandidateFacts]
    interoperability_capabilities: frozenset[str]
    capability_names: dict[str, str] = field(default_factory=dict)


def live_facts(session: Session, selection: Selection, on: date | None = None) -> CatalogueFacts:
    names, interoperability = capability_reference(session)
    return CatalogueFacts(
        priced_on=on or date.today(),
        list_size=selection.practice.list_size or 0,
        candidates=load_candidate_facts(session, [c.item_id for c in selection.candidates]),
        interoperability_capabilities=interoperability,
        capability_names=names,
    )


def snapshot_json(facts: CatalogueFacts) -> dict[str, Any]:
    return {
        "taken_at": utcnow().isoformat(),
        "priced_on": facts.priced_on.isoformat(),
        "list_size": facts.list_size,
        "interoperability_capabilities": sorted(facts.interoperability_capabilities),
        "capability_names": facts.capability_names,
        "candidates": [_facts_to_json(candidate) for candidate in facts.candidates],
    }


def facts_from_snapshot(snapshot: Mapping[str, Any]) -> CatalogueFacts:
    return CatalogueFacts(
        priced_on=date.fromisoformat(snapshot["priced_on"]),
        list_size=snapshot["list_size"],
        candidates=[_facts_from_json(candidate) for candidate in snapshot["candidates"]],
        interoperability_capabilities=frozenset(snapshot["interoperability_capabilities"]),
        capability_names=dict(snapshot["capability_names"]),
    )


def criterion_spec(criterion: SelectionCriterion) -> CriterionSpec:
    return CriterionSpec(
        id=criterion.id,
        name=criterion.name,
        kind=criterion.kind,
        group=criterion.criterion_group,
        weight=criterion.weight,
        scoring=criterion.scoring,
        capabilities=tuple(criterion.capabilities or ()),
        requirement=criterion.requirement,
        min_maturity_level=criterion.min_maturity_level,
        max_whole_life_cost=criterion.max_whole_life_cost,
    )


def entered_scores(session: Session, selection: Selection) -> dict[tuple[int, int], EnteredScore]:
    """The entered scores as plain rows (much cheaper than loading them as objects)."""
    rows = session.execute(
        select(
            SelectionScore.criterion_id,
            SelectionScore.item_id,
            SelectionScore.score,
            SelectionScore.justification,
        ).where(SelectionScore.selection_id == selection.id)
    )
    return {(c, i): EnteredScore(score, why) for c, i, score, why in rows}


def scoring_input(
    selection: Selection,
    facts: CatalogueFacts,
    entered: Mapping[tuple[int, int], EnteredScore],
) -> ScoringInput:
    return ScoringInput(
        price_weight=selection.price_weight,
        group_weights=selection.group_weights,
        list_size=facts.list_size,
        term_months=selection.term_months,
        priced_on=facts.priced_on,
        candidates=facts.candidates,
        criteria=[criterion_spec(c) for c in selection.criteria],
        entered=entered,
        interoperability_capabilities=facts.interoperability_capabilities,
        capability_names=facts.capability_names,
        excluded={c.item_id: c.excluded_reason for c in selection.candidates if c.excluded_reason},
    )


def facts_for(session: Session, selection: Selection, on: date | None = None) -> CatalogueFacts:
    """The snapshot of a locked selection; the live catalogue for a draft."""
    if selection.is_locked and selection.snapshot is not None:
        return facts_from_snapshot(selection.snapshot)
    return live_facts(session, selection, on)


def result_of(session: Session, selection: Selection, on: date | None = None) -> SelectionResult:
    session.flush()  # scores entered in this session count
    facts = facts_for(session, selection, on)
    return score_selection(scoring_input(selection, facts, entered_scores(session, selection)))


def _check_candidates_still_published(session: Session, selection: Selection) -> None:
    """A result is locked to be acted on: an order can only be placed for a published item."""
    ids = [candidate.item_id for candidate in selection.candidates]
    gone = session.scalars(
        select(CatalogueItem.name).where(
            CatalogueItem.id.in_(ids), CatalogueItem.status != ItemStatus.PUBLISHED
        )
    ).all()
    if gone:
        raise Conflict(
            "Some candidates are no longer published; remove them before locking.",
            {"candidates": [f"{name} is no longer published." for name in sorted(gone)]},
        )


LOCKED_BY_SIGNATURES = (
    "Nobody locks a selection by hand: it locks when the commissioner and the practice have "
    "both signed the result off (POST .../sign-off), a direct award too."
)


def lock_selection(
    session: Session, actor: Principal, selection: Selection, on: date | None = None
) -> SelectionResult:
    """Refused for everyone who may see the selection: only both signatures lock it
    (catalogue.selections.signoff freezes it at the second)."""
    ensure_open_to(actor, selection)
    raise Forbidden(LOCKED_BY_SIGNATURES)


def complete_result(
    session: Session, selection: Selection, on: date | None = None
) -> tuple[CatalogueFacts, SelectionResult]:
    """The live result, provided it is complete and its candidates are still published."""
    _check_candidates_still_published(session, selection)
    facts = live_facts(session, selection, on)
    session.flush()
    result = score_selection(scoring_input(selection, facts, entered_scores(session, selection)))
    if not result.complete:
        raise Conflict("The result is not complete yet.", {"selection": list(result.problems)})
    return facts, result


def freeze(
    session: Session, actor: Principal, selection: Selection, on: date | None = None
) -> SelectionResult:
    facts, result = complete_result(session, selection, on)
    selection.snapshot = snapshot_json(facts)
    selection.status = SelectionStatus.LOCKED
    selection.locked_at = utcnow()
    selection.locked_by = actor.label
    touch(selection)
    session.flush()
    record_change(
        session,
        actor,
        "locked",
        selection,
        before={"status": SelectionStatus.DRAFT.value},
        after={
            "status": SelectionStatus.LOCKED.value,
            "priced_on": facts.priced_on.isoformat(),
            "scored_versions": {str(c.item_id): c.version for c in facts.candidates},
            "leaders": list(result.leader_item_ids),
        },
    )
    return result
