"""The GPSoC selection process: a commissioner shortlists catalogue items for one of its
practices, weighs and scores them, reads a ranked and explained result, and locks it.

Rules kept here (the API and the CLI both call them):
- Only the owning commissioner and the authority see or change a selection; to anyone else
  it does not exist (404), and suppliers are refused outright.
- Candidates are published items of the selection's framework: 2 to 8 for a competition;
  exactly one makes it a direct award with no scoring.
- Weights: price 30-90 % in steps of 5 (so non-price 10-70 %); the four non-price groups sum
  to 100.
- Scores are 1 to 5 and always justified.
- Every change bumps the selection's version (the ETag) and is audited under the owning
  commissioner; a locked selection is read-only (Conflict) and is scored from its snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from . import audit
from .candidate_facts import capability_reference, load_candidate_facts
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .listings import ItemFilters, list_items
from .models import (
    Capability,
    CatalogueItem,
    CriterionGroup,
    CriterionKind,
    Framework,
    ItemStatus,
    Lot,
    MaturityLevel,
    Organisation,
    OrganisationKind,
    Requirement,
    Scoring,
    Selection,
    SelectionCandidate,
    SelectionCriterion,
    SelectionScore,
    SelectionStatus,
    utcnow,
)
from .pricing import PriceTerms
from .principal import Principal, Role
from .selection_scoring import (
    MAX_CANDIDATES,
    MAX_SCORE,
    MIN_SCORE,
    PRICE_WEIGHT_RANGE,
    WEIGHT_STEP,
    CandidateFacts,
    CriterionSpec,
    EnteredScore,
    ScoringInput,
    SelectionResult,
    score_selection,
)

DEFAULT_TERM_MONTHS = 36
MAX_CRITERIA = 100
OBJECT_TYPE = "selection"
LOCKED_MESSAGE = "The selection is locked: it is read-only."


# ---------------------------------------------------------------------- access and reads


def _check_role(viewer: Principal) -> None:
    if viewer.role is Role.SUPPLIER:
        raise Forbidden("Suppliers take no part in selections.")


def _can_see(viewer: Principal, selection: Selection) -> bool:
    return viewer.is_authority or viewer.is_commissioner(selection.commissioner_id)


def _loading_options():
    return (
        joinedload(Selection.practice),
        joinedload(Selection.commissioner),
        joinedload(Selection.framework),
        selectinload(Selection.candidates)
        .joinedload(SelectionCandidate.item)
        .joinedload(CatalogueItem.supplier),
        selectinload(Selection.criteria),
        # Scores load on first use: writes need them as objects, the result reads them as rows.
    )


def get_selection(
    session: Session, viewer: Principal, selection_id: int, for_update: bool = False
) -> Selection:
    """The selection, if the viewer may see it; otherwise it does not exist for them.
    `for_update` row-locks it (PostgreSQL) so that of two racing writers one waits."""
    _check_role(viewer)
    query = select(Selection).where(Selection.id == selection_id)
    if for_update:
        query = query.with_for_update(of=Selection)
    selection = session.scalars(query.options(*_loading_options())).first()
    if selection is None or not _can_see(viewer, selection):
        raise NotFound(f"No selection {selection_id} here.")
    return selection


def list_selections(
    session: Session, viewer: Principal, page: int, page_size: int
) -> tuple[list[Selection], int]:
    """The viewer's selections, newest first (the authority sees all)."""
    _check_role(viewer)
    query = select(Selection.id)
    if not viewer.is_authority:
        query = query.where(Selection.commissioner_id == viewer.organisation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = query.order_by(Selection.id.desc()).limit(page_size).offset((page - 1) * page_size)
    selections = session.scalars(
        select(Selection)
        .where(Selection.id.in_(ids.scalar_subquery()))
        .options(*_loading_options())
        .order_by(Selection.id.desc())
    ).unique()
    return list(selections), total


# ---------------------------------------------------------------------------- auditing


def summary(selection: Selection) -> dict[str, Any]:
    """What the audit trail records of a selection's own fields."""
    return {
        "name": selection.name,
        "practice": selection.practice.ods_code if selection.practice else None,
        "framework": selection.framework.slug if selection.framework else None,
        "term_months": selection.term_months,
        "price_weight": selection.price_weight,
        "non_price_weights": {g.value: w for g, w in selection.group_weights.items()},
        "status": selection.status.value if selection.status else None,
    }


def _criterion_summary(criterion: SelectionCriterion) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "kind": criterion.kind.value,
        "name": criterion.name,
        "group": criterion.criterion_group.value if criterion.criterion_group else None,
        "weight": criterion.weight,
        "scoring": criterion.scoring.value if criterion.scoring else None,
        "capabilities": list(criterion.capabilities or []),
        "requirement": criterion.requirement.value if criterion.requirement else None,
        "min_maturity_level": criterion.min_maturity_level,
        "max_whole_life_cost": criterion.max_whole_life_cost,
    }


def _record(
    session: Session,
    actor: Principal,
    action: str,
    selection: Selection,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor,
        f"selection.{action}",
        OBJECT_TYPE,
        selection.id,
        before=before,
        after=after,
        organisation_id=selection.commissioner_id,
    )


def _writable(viewer: Principal, selection: Selection) -> None:
    _check_role(viewer)
    if not _can_see(viewer, selection):
        raise NotFound(f"No selection {selection.id} here.")
    if selection.is_locked:
        raise Conflict(LOCKED_MESSAGE)


def _touch(selection: Selection) -> None:
    """Mark the selection changed, so its version (the ETag) moves with any child change."""
    selection.updated_at = utcnow()


# ----------------------------------------------------------------------------- weights


def weight_errors(
    price_weight: int, group_weights: Mapping[CriterionGroup, int]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    low, high = PRICE_WEIGHT_RANGE
    if not low <= price_weight <= high or price_weight % WEIGHT_STEP:
        errors["price_weight"] = [
            f"The price weight is {low} to {high} % in steps of {WEIGHT_STEP} "
            f"(so the non-price weight is {100 - high} to {100 - low} %); got {price_weight}."
        ]
    if set(group_weights) != set(CriterionGroup):
        errors["non_price_weights"] = [
            "Give a weight for each group: " + ", ".join(g.value for g in CriterionGroup) + "."
        ]
    elif any(not 0 <= weight <= 100 for weight in group_weights.values()):
        errors["non_price_weights"] = ["Each group weight is 0 to 100."]
    elif sum(group_weights.values()) != 100:
        errors["non_price_weights"] = [
            f"The group weights must add up to 100; they add up to {sum(group_weights.values())}."
        ]
    return errors


def _set_group_weights(selection: Selection, weights: Mapping[CriterionGroup, int]) -> None:
    selection.features_weight = weights[CriterionGroup.FEATURES]
    selection.implementation_weight = weights[CriterionGroup.IMPLEMENTATION]
    selection.interoperability_weight = weights[CriterionGroup.INTEROPERABILITY]
    selection.service_levels_weight = weights[CriterionGroup.SERVICE_LEVELS]


DEFAULT_GROUP_WEIGHTS = {group: 25 for group in CriterionGroup}


# ------------------------------------------------------------------ create and update


def _practice_by_ods(session: Session, ods_code: str) -> Organisation | None:
    return session.scalars(
        select(Organisation).where(
            Organisation.ods_code == ods_code, Organisation.kind == OrganisationKind.PRACTICE
        )
    ).first()


def _term_errors(term_months: int, framework: Framework | None) -> list[str]:
    maximum = framework.max_term_months if framework else None
    if term_months < 1:
        return ["The term is at least one month."]
    if maximum is not None and term_months > maximum:
        return [f"The framework allows call-off terms of at most {maximum} months."]
    return []


def create_selection(
    session: Session,
    actor: Principal,
    *,
    name: str,
    practice: str,
    framework: str,
    term_months: int | None = None,
    price_weight: int = 50,
    non_price_weights: Mapping[CriterionGroup, int] | None = None,
) -> Selection:
    """Start a selection for a practice; it belongs to the practice's commissioner."""
    _check_role(actor)
    errors: dict[str, list[str]] = {}
    found_practice = _practice_by_ods(session, practice)
    if found_practice is None:
        errors["practice"] = [f"No practice has the ODS code {practice!r}."]
    elif (
        actor.role is Role.COMMISSIONER and found_practice.commissioner_id != actor.organisation_id
    ):
        errors["practice"] = [f"Practice {practice} is not one of your practices."]
    found_framework = session.scalars(select(Framework).where(Framework.slug == framework)).first()
    if found_framework is None:
        errors["framework"] = [f"No framework {framework!r}."]
    if term_months is None:
        term_months = min(
            DEFAULT_TERM_MONTHS,
            found_framework.max_term_months if found_framework else DEFAULT_TERM_MONTHS,
        )
    if term_problems := _term_errors(term_months, found_framework):
        errors["term_months"] = term_problems
    weights = dict(non_price_weights or DEFAULT_GROUP_WEIGHTS)
    errors.update(weight_errors(price_weight, weights))
    if errors:
        raise InvalidInput("The selection cannot be started as asked.", errors)
    assert found_practice is not None and found_framework is not None
    selection = Selection(
        name=name,
        commissioner_id=found_practice.commissioner_id,
        practice=found_practice,
        framework=found_framework,
        term_months=term_months,
        price_weight=price_weight,
        created_by=actor.label,
        status=SelectionStatus.DRAFT,
    )
    _set_group_weights(selection, weights)
    session.add(selection)
    session.flush()
    _record(session, actor, "created", selection, after=summary(selection))
    return selection


def update_selection(
    session: Session, actor: Principal, selection: Selection, changes: Mapping[str, Any]
) -> Selection:
    """Change the name, term or weights. The weights are checked as they would stand."""
    _writable(actor, selection)
    before = summary(selection)
    price_weight = changes.get("price_weight", selection.price_weight)
    weights = dict(changes.get("non_price_weights") or selection.group_weights)
    errors = weight_errors(price_weight, weights)
    if "term_months" in changes and (
        term_problems := _term_errors(changes["term_months"], selection.framework)
    ):
        errors["term_months"] = term_problems
    if errors:
        raise InvalidInput("The selection cannot be changed as asked.", errors)
    if "name" in changes:
        selection.name = changes["name"]
    if "term_months" in changes:
        selection.term_months = changes["term_months"]
    selection.price_weight = price_weight
    _set_group_weights(selection, weights)
    changed_before, changed_after = audit.changes(before, summary(selection))
    if changed_after:
        _touch(selection)
        session.flush()
        _record(session, actor, "updated", selection, before=changed_before, after=changed_after)
    return selection


# -------------------------------------------------------------------------- candidates


def _items_for_candidates(session: Session, item_ids: Sequence[int]) -> dict[int, CatalogueItem]:
    items = session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.id.in_(item_ids))
        .options(joinedload(CatalogueItem.lot).joinedload(Lot.framework))
    ).unique()
    return {item.id: item for item in items}


def add_candidates(
    session: Session, actor: Principal, selection: Selection, item_ids: Sequence[int]
) -> list[SelectionCandidate]:
    """Add items to the shortlist: published, on the selection's framework, at most 8."""
    _writable(actor, selection)
    wanted = list(dict.fromkeys(item_ids))
    items = _items_for_candidates(session, wanted)
    present = {candidate.item_id for candidate in selection.candidates}
    problems = []
    for item_id in wanted:
        item = items.get(item_id)
        if item is None:
            problems.append(f"No catalogue item {item_id}.")
        elif item.status is not ItemStatus.PUBLISHED:
            problems.append(f"{item.name} ({item_id}) is not published.")
        elif item.lot.framework_id != selection.framework_id:
            problems.append(
                f"{item.name} ({item_id}) is on the {item.lot.framework.slug} framework, outside "
                f"this selection's framework ({selection.framework.slug})."
            )
        elif item_id in present:
            problems.append(f"{item.name} ({item_id}) is already a candidate.")
    if not problems and len(present) + len(wanted) > MAX_CANDIDATES:
        problems.append(
            f"A selection takes at most {MAX_CANDIDATES} candidates; it has {len(present)} and "
            f"{len(wanted)} more were asked for."
        )
    if problems:
        raise InvalidInput("The candidates cannot be added.", {"item_ids": problems})
    added = [SelectionCandidate(item_id=item_id) for item_id in wanted]
    selection.candidates.extend(added)
    _touch(selection)
    session.flush()
    _record(
        session,
        actor,
        "candidates_added",
        selection,
        after={"added": [{"item_id": i, "version": items[i].version} for i in wanted]},
    )
    return added


def candidate_ids_matching(
    session: Session, selection: Selection, filters: ItemFilters
) -> list[int]:
    """The published items of the selection's framework that match the /search filters."""
    scoped = replace(filters, framework=selection.framework.slug)  # listings: published only
    # A page one longer than the shortlist can hold tells "fits" from "too many" in one query.
    items, total = list_items(session, scoped, page=1, page_size=MAX_CANDIDATES + 1)
    return new_candidates_from_matches(selection, [item.id for item in items], total)


def new_candidates_from_matches(
    selection: Selection, matched_ids: Sequence[int], total: int
) -> list[int]:
    """Of the items a search matched (the first few ids, and how many matched in all), the new
    candidates, provided they all fit on the shortlist."""
    room = MAX_CANDIDATES - len(selection.candidates)
    if total == 0:
        raise InvalidInput(
            "No published item of the framework matches the search.",
            {"filters": ["Nothing matches; widen the search."]},
        )
    present = {candidate.item_id for candidate in selection.candidates}
    new = [item_id for item_id in matched_ids if item_id not in present]
    if total > MAX_CANDIDATES or len(new) > room:
        raise InvalidInput(
            "The search matches too many items for the shortlist.",
            {
                "filters": [
                    f"The search matches {total} items; the selection has room for {room} more "
                    f"(at most {MAX_CANDIDATES} candidates). Narrow the search."
                ]
            },
        )
    if not new:
        raise InvalidInput(
            "Every item the search matches is already a candidate.",
            {"filters": ["Nothing new matches."]},
        )
    return new


def add_candidates_from_search(
    session: Session, actor: Principal, selection: Selection, filters: ItemFilters
) -> list[SelectionCandidate]:
    _writable(actor, selection)
    return add_candidates(
        session, actor, selection, candidate_ids_matching(session, selection, filters)
    )


def add_candidates_from_matches(
    session: Session,
    actor: Principal,
    selection: Selection,
    matched_ids: Sequence[int],
    total: int,
) -> list[SelectionCandidate]:
    """Add what a full-text search matched (the search engine ran at the edge)."""
    _writable(actor, selection)
    return add_candidates(
        session, actor, selection, new_candidates_from_matches(selection, matched_ids, total)
    )


def remove_candidate(
    session: Session, actor: Principal, selection: Selection, item_id: int
) -> None:
    _writable(actor, selection)
    candidate = next((c for c in selection.candidates if c.item_id == item_id), None)
    if candidate is None:
        raise NotFound(f"Item {item_id} is not a candidate of this selection.")
    for score in [s for s in selection.scores if s.item_id == item_id]:
        selection.scores.remove(score)
    selection.candidates.remove(candidate)
    _touch(selection)
    session.flush()
    _record(session, actor, "candidate_removed", selection, before={"item_id": item_id})


# ---------------------------------------------------------------------------- criteria


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


def _criterion_errors(session: Session, data: CriterionInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data.capabilities) - _known_capabilities(session, data.capabilities))
    if unknown:
        errors["capabilities"] = [f"Unknown capability codes: {', '.join(unknown)}."]
    if data.kind is CriterionKind.SCORED:
        if data.group is None:
            errors["group"] = ["A scored criterion belongs to a group."]
        if data.weight is None or not 1 <= data.weight <= 100:
            errors["weight"] = ["A scored criterion has a weight of 1 to 100 within its group."]
        if data.scoring is Scoring.CAPABILITY_COVERAGE and not data.capabilities:
            errors.setdefault("capabilities", []).append(
                "Capability coverage needs the capabilities to look for."
            )
        for name in ("requirement", "min_maturity_level", "max_whole_life_cost"):
            if getattr(data, name) is not None:
                errors[name] = ["Only mandatory criteria have this."]
        return errors
    for name in ("group", "weight", "scoring"):
        if getattr(data, name) is not None:
            errors[name] = ["Mandatory criteria eliminate; they have no group, weight or scoring."]
    if data.requirement is None:
        errors["requirement"] = ["Say what the mandatory criterion requires."]
    elif data.requirement is Requirement.CAPABILITY and not data.capabilities:
        errors.setdefault("capabilities", []).append("Name the required capability.")
    elif data.requirement is Requirement.MIN_MATURITY_LEVEL:
        levels = set(session.scalars(select(MaturityLevel.level)))
        if data.min_maturity_level not in levels:
            errors["min_maturity_level"] = [
                "Give a maturity level: " + ", ".join(str(level) for level in sorted(levels)) + "."
            ]
    elif data.requirement is Requirement.MAX_WHOLE_LIFE_COST and (
        data.max_whole_life_cost is None or data.max_whole_life_cost <= 0
    ):
        errors["max_whole_life_cost"] = ["Give the maximum whole-life cost, above zero."]
    for name, requirement in (
        ("min_maturity_level", Requirement.MIN_MATURITY_LEVEL),
        ("max_whole_life_cost", Requirement.MAX_WHOLE_LIFE_COST),
    ):
        if data.requirement is not requirement and getattr(data, name) is not None:
            errors.setdefault(name, []).append(f"Only a {requirement.value} requirement has this.")
    if data.requirement is not Requirement.CAPABILITY and data.capabilities:
        errors.setdefault("capabilities", []).append("Only a capability requirement names these.")
    return errors


def _normalised(data: CriterionInput) -> CriterionInput:
    """Scored criteria that name capabilities are scored by coverage unless told otherwise."""
    if data.kind is CriterionKind.SCORED and data.scoring is None:
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
    _writable(actor, selection)
    data = _normalised(data)
    errors = _criterion_errors(session, data)
    if len(selection.criteria) >= MAX_CRITERIA:
        errors["criteria"] = [f"A selection has at most {MAX_CRITERIA} criteria."]
    if errors:
        raise InvalidInput("The criterion cannot be added as asked.", errors)
    criterion = SelectionCriterion()
    _apply_criterion(criterion, data)
    selection.criteria.append(criterion)
    _touch(selection)
    session.flush()
    _record(session, actor, "criterion_added", selection, after=_criterion_summary(criterion))
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
    _writable(actor, selection)
    criterion = _criterion(selection, criterion_id)
    before = _criterion_summary(criterion)
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
    if errors:
        raise InvalidInput("The criterion cannot be changed as asked.", errors)
    _apply_criterion(criterion, merged)
    changed_before, changed_after = audit.changes(before, _criterion_summary(criterion))
    if changed_after:
        _touch(selection)
        session.flush()
        _record(
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
    _writable(actor, selection)
    criterion = _criterion(selection, criterion_id)
    before = _criterion_summary(criterion)
    for score in [s for s in selection.scores if s.criterion_id == criterion_id]:
        selection.scores.remove(score)
    selection.criteria.remove(criterion)
    _touch(selection)
    session.flush()
    _record(session, actor, "criterion_removed", selection, before=before)


# ------------------------------------------------------------------------------ scores


@dataclass(frozen=True)
class ScoreEntry:
    item_id: int
    criterion_id: int
    score: int
    justification: str


def enter_scores(
    session: Session, actor: Principal, selection: Selection, entries: Sequence[ScoreEntry]
) -> list[SelectionScore]:
    """Enter or replace scores (1-5, justified). An entered score overrides the automatic one."""
    _writable(actor, selection)
    candidates = {c.item_id for c in selection.candidates}
    criteria = {c.id: c for c in selection.criteria}
    errors: dict[str, list[str]] = {}
    seen: set[tuple[int, int]] = set()
    for index, entry in enumerate(entries):
        problems = []
        if entry.item_id not in candidates:
            problems.append(f"Item {entry.item_id} is not a candidate of this selection.")
        criterion = criteria.get(entry.criterion_id)
        if criterion is None:
            problems.append(f"No criterion {entry.criterion_id} in this selection.")
        elif criterion.kind is not CriterionKind.SCORED:
            problems.append(
                f"Criterion {entry.criterion_id} is mandatory: it eliminates, unscored."
            )
        if not MIN_SCORE <= entry.score <= MAX_SCORE:
            errors[f"scores.{index}.score"] = [f"Scores are {MIN_SCORE} to {MAX_SCORE}."]
        if not entry.justification.strip():
            errors[f"scores.{index}.justification"] = ["Every score needs a justification."]
        key = (entry.criterion_id, entry.item_id)
        if key in seen:
            problems.append("The same candidate and criterion are scored twice.")
        seen.add(key)
        if problems:
            errors[f"scores.{index}"] = problems
    if not entries:
        errors["scores"] = ["Give at least one score."]
    if errors:
        raise InvalidInput("The scores cannot be entered as given; none were stored.", errors)
    existing = {(s.criterion_id, s.item_id): s for s in selection.scores}
    stored = []
    changes_before, changes_after = [], []
    for entry in entries:
        key = (entry.criterion_id, entry.item_id)
        score = existing.get(key)
        if score is not None:
            changes_before.append(_score_summary(score))
        else:
            score = SelectionScore(criterion_id=entry.criterion_id, item_id=entry.item_id)
            selection.scores.append(score)
        score.score = entry.score
        score.justification = entry.justification.strip()
        score.entered_by = actor.label
        stored.append(score)
        changes_after.append(_score_summary(score))
    _touch(selection)
    session.flush()
    _record(
        session,
        actor,
        "scores_entered",
        selection,
        before={"scores": changes_before} if changes_before else None,
        after={"scores": changes_after},
    )
    return stored


def _score_summary(score: SelectionScore) -> dict[str, Any]:
    return {
        "criterion_id": score.criterion_id,
        "item_id": score.item_id,
        "score": score.score,
        "justification": score.justification,
    }


def remove_score(
    session: Session, actor: Principal, selection: Selection, criterion_id: int, item_id: int
) -> None:
    """Withdraw an entered score (an automatic score, if any, applies again)."""
    _writable(actor, selection)
    score = next(
        (s for s in selection.scores if s.criterion_id == criterion_id and s.item_id == item_id),
        None,
    )
    if score is None:
        raise NotFound("No score was entered for that candidate and criterion.")
    before = _score_summary(score)
    selection.scores.remove(score)
    _touch(selection)
    session.flush()
    _record(session, actor, "score_removed", selection, before=before)


# --------------------------------------------------------------- facts, result, locking


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


def lock_selection(
    session: Session, actor: Principal, selection: Selection, on: date | None = None
) -> SelectionResult:
    """Freeze the result: the scored listing versions and prices go into the snapshot, and the
    selection becomes read-only. Only a complete result can be locked."""
    _writable(actor, selection)
    _check_candidates_still_published(session, selection)
    facts = live_facts(session, selection, on)
    session.flush()
    result = score_selection(scoring_input(selection, facts, entered_scores(session, selection)))
    if not result.complete:
        raise Conflict("The selection is not ready to lock.", {"selection": list(result.problems)})
    selection.snapshot = snapshot_json(facts)
    selection.status = SelectionStatus.LOCKED
    selection.locked_at = utcnow()
    selection.locked_by = actor.label
    _touch(selection)
    session.flush()
    _record(
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
