"""A selection's requirements, as MoSCoW: a `should` or `could` is weighted within its group
and scored; a `must` (a capability, a maturity level, a maximum whole-life cost) eliminates a
candidate that fails it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import NotFound
from catalogue.models import (
    Capability,
    CriterionGroup,
    CriterionKind,
    MaturityLevel,
    Requirement,
    Scoring,
    Selection,
    SelectionCriterion,
)
from catalogue.principal import Principal
from catalogue.selections.access import criterion_summary, ensure_writable, record_change, touch
from catalogue.validation import FieldErrors

MAX_CRITERIA = 100


@dataclass(frozen=True)
class CriterionInput:
    kind: CriterionKind
    name: str
    description: str = ""
    group: CriterionGroup | None = None
    weight: int | None = None
    scoring: Scoring | None = None
    capabilities: tuple[str, ...] = ()
    requirement: Requirement | None = None
    min_maturity_level: int | None = None
    max_whole_life_cost: Decimal | None = None


def _known_capabilities(session: Session, codes: Sequence[str]) -> set[str]:
    if not codes:
        return set()
    return set(session.scalars(select(Capability.code).where(Capability.code.in_(codes))))


def _criterion_errors(session: Session, data: CriterionInput) -> FieldErrors:
    errors = FieldErrors()
    unknown = sorted(set(data.capabilities) - _known_capabilities(session, data.capabilities))
    if unknown:
        errors.add("capabilities", f"Unknown capability codes: {', '.join(unknown)}.")
    if data.kind.is_scored:
        if data.group is None:
            errors.add("group", f"A {data.kind.value} requirement belongs to a group.")
        if data.weight is None or not 1 <= data.weight <= 100:
            errors.add(
                "weight",
                f"A {data.kind.value} requirement has a weight of 1 to 100 within its group.",
            )
        if data.scoring is Scoring.CAPABILITY_COVERAGE and not data.capabilities:
            errors.add("capabilities", "Capability coverage needs the capabilities to look for.")
        for name in ("requirement", "min_maturity_level", "max_whole_life_cost"):
            if getattr(data, name) is not None:
                errors.add(name, "Only a must has this.")
        return errors
    for name in ("group", "weight", "scoring"):
        if getattr(data, name) is not None:
            errors.add(name, "A must eliminates; it has no group, weight or scoring.")
    if data.requirement is None:
        errors.add("requirement", "Say what the must requires.")
    elif data.requirement is Requirement.CAPABILITY and not data.capabilities:
        errors.add("capabilities", "Name the required capability.")
    elif data.requirement is Requirement.MIN_MATURITY_LEVEL:
        levels = set(session.scalars(select(MaturityLevel.level)))
        if data.min_maturity_level not in levels:
            known = ", ".join(str(level) for level in sorted(levels))
            errors.add("min_maturity_level", f"Give a maturity level: {known}.")
    elif data.requirement is Requirement.MAX_WHOLE_LIFE_COST and (
        data.max_whole_life_cost is None or data.max_whole_life_cost <= 0
    ):
        errors.add("max_whole_life_cost", "Give the maximum whole-life cost, above zero.")
    for name, requirement in (
        ("min_maturity_level", Requirement.MIN_MATURITY_LEVEL),
        ("max_whole_life_cost", Requirement.MAX_WHOLE_LIFE_COST),
    ):
        if data.requirement is not requirement and getattr(data, name) is not None:
            errors.add(name, f"Only a {requirement.value} requirement has this.")
    if data.requirement is not Requirement.CAPABILITY and data.capabilities:
        errors.add("capabilities", "Only a capability requirement names these.")
    return errors


def _normalised(data: CriterionInput) -> CriterionInput:
    """Should and could requirements that name capabilities are scored by coverage unless told
    otherwise."""
    if data.kind.is_scored and data.scoring is None:
        scoring = Scoring.CAPABILITY_COVERAGE if data.capabilities else Scoring.MANUAL
        return replace(data, scoring=scoring)
    return data


def _apply_criterion(criterion: SelectionCriterion, data: CriterionInput) -> None:
    criterion.kind = data.kind
    criterion.name = data.name
    criterion.description = data.description
    criterion.criterion_group = data.group
    criterion.weight = data.weight
    criterion.scoring = data.scoring
    criterion.capabilities = list(dict.fromkeys(data.capabilities))
    criterion.requirement = data.requirement
    criterion.min_maturity_level = data.min_maturity_level
    criterion.max_whole_life_cost = data.max_whole_life_cost


def add_criterion(
    session: Session, actor: Principal, selection: Selection, data: CriterionInput
) -> SelectionCriterion:
    ensure_writable(actor, selection)
    data = _normalised(data)
    errors = _criterion_errors(session, data)
    if len(selection.criteria) >= MAX_CRITERIA:
        errors.add("criteria", f"A selection has at most {MAX_CRITERIA} criteria.")
    errors.raise_if_any("The criterion cannot be added as asked.")
    criterion = SelectionCriterion()
    _apply_criterion(criterion, data)
    selection.criteria.append(criterion)
    touch(selection)
    session.flush()
    record_change(session, actor, "criterion_added", selection, after=criterion_summary(criterion))
    return criterion


def _criterion(selection: Selection, criterion_id: int) -> SelectionCriterion:
    criterion = next((c for c in selection.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound(f"No criterion {criterion_id} in this selection.")
    return criterion


def update_criterion(
    session: Session,
    actor: Principal,
    selection: Selection,
    criterion_id: int,
    changes: Mapping[str, Any],
) -> SelectionCriterion:
    """Change a criterion's fields (its kind stays); checked as the criterion would stand."""
    ensure_writable(actor, selection)
    criterion = _criterion(selection, criterion_id)
    before = criterion_summary(criterion)
    current = CriterionInput(
        kind=criterion.kind,
        name=criterion.name,
        description=criterion.description,
        group=criterion.criterion_group,
        weight=criterion.weight,
        scoring=criterion.scoring,
        capabilities=tuple(criterion.capabilities or ()),
        requirement=criterion.requirement,
        min_maturity_level=criterion.min_maturity_level,
        max_whole_life_cost=criterion.max_whole_life_cost,
    )
    merged = replace(current, **{k: v for k, v in changes.items() if k != "kind"})
    if "capabilities" in changes:
        merged = replace(merged, capabilities=tuple(changes["capabilities"] or ()))
    errors = _criterion_errors(session, merged)
    errors.raise_if_any("The criterion cannot be changed as asked.")
    _apply_criterion(criterion, merged)
    changed_before, changed_after = audit.changes(before, criterion_summary(criterion))
    if changed_after:
        touch(selection)
        session.flush()
        record_change(
            session,
            actor,
            "criterion_updated",
            selection,
            before={"id": criterion.id, **changed_before},
            after={"id": criterion.id, **changed_after},
        )
    return criterion


def remove_criterion(
    session: Session, actor: Principal, selection: Selection, criterion_id: int
) -> None:
    ensure_writable(actor, selection)
    criterion = _criterion(selection, criterion_id)
    before = criterion_summary(criterion)
    for score in [s for s in selection.scores if s.criterion_id == criterion_id]:
        selection.scores.remove(score)
    for evaluator in selection.evaluators:
        for evaluation in [e for e in evaluator.evaluations if e.criterion_id == criterion_id]:
            evaluator.evaluations.remove(evaluation)
    selection.criteria.remove(criterion)
    touch(selection)
    session.flush()
    record_change(session, actor, "criterion_removed", selection, before=before)
