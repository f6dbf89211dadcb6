"""Who sees and changes a selection, how it is read, and how every change is recorded.

The owning commissioner and the authority see and change a selection; the practice it is made
for sees it and takes part (as an evaluator, and in signing off) but does not change its
settings (Forbidden); to anyone else it does not exist (404), and suppliers are refused
outright. Every change bumps the selection's version (the ETag) and is audited under the owning
commissioner; a locked selection is read-only (Conflict).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, NotFound
from catalogue.models import (
    CatalogueItem,
    Moderation,
    Selection,
    SelectionCandidate,
    SelectionCriterion,
    SelectionEvaluator,
    utcnow,
)
from catalogue.principal import Principal, Role

OBJECT_TYPE = "selection"


LOCKED_MESSAGE = "The selection is locked: it is read-only."
SIGNED_MESSAGE = (
    "The result is being signed off: it no longer changes. Withdraw the signature to change it."
)


def check_role(viewer: Principal) -> None:
    if viewer.role is Role.SUPPLIER:
        raise Forbidden("Suppliers take no part in selections.")


def _can_see(viewer: Principal, selection: Selection) -> bool:
    return (
        viewer.is_authority
        or viewer.is_commissioner(selection.commissioner_id)
        or viewer.is_practice(selection.practice_id)
    )


def ensure_open_to(viewer: Principal, selection: Selection) -> None:
    """The viewer takes part in the selection, and it is still open (not locked)."""
    check_role(viewer)
    if not _can_see(viewer, selection):
        raise NotFound(f"No selection {selection.id} here.")
    if selection.is_locked:
        raise Conflict(LOCKED_MESSAGE)


def _loading_options() -> tuple[ExecutableOption, ...]:
    return (
        joinedload(Selection.practice),
        joinedload(Selection.commissioner),
        joinedload(Selection.framework),
        selectinload(Selection.candidates)
        .joinedload(SelectionCandidate.item)
        .joinedload(CatalogueItem.supplier),
        selectinload(Selection.criteria),
        selectinload(Selection.evaluators).selectinload(SelectionEvaluator.evaluations),
        # Scores load on first use: writes need them as objects, the result reads them as rows.
    )


def get_selection(
    session: Session, viewer: Principal, selection_id: int, for_update: bool = False
) -> Selection:
    """The selection, if the viewer may see it; otherwise it does not exist for them.
    `for_update` row-locks it (PostgreSQL) so that of two racing writers one waits."""
    check_role(viewer)
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
    check_role(viewer)
    query = select(Selection.id)
    if viewer.role is Role.PRACTICE:
        query = query.where(Selection.practice_id == viewer.organisation_id)
    elif not viewer.is_authority:
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
        "moderation": selection.moderation.value if selection.moderation else None,
    }


def criterion_summary(criterion: SelectionCriterion) -> dict[str, Any]:
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


def record_change(
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


def ensure_writable(viewer: Principal, selection: Selection) -> None:
    """The selection's own settings, candidates and criteria: the commissioner's (or the
    authority's) to change."""
    ensure_open_to(viewer, selection)
    if viewer.role is Role.PRACTICE:
        raise Forbidden(
            "The commissioner sets up and changes the selection; the practice takes part by "
            "evaluating and signing off."
        )
    if selection.signed:
        raise Conflict(SIGNED_MESSAGE)


def is_evaluator(viewer: Principal, evaluator: SelectionEvaluator) -> bool:
    """The viewer is this evaluator (the same account on the web pages, or the same token)."""
    if viewer.user_id is not None:
        return viewer.user_id == evaluator.user_id
    return viewer.token_id is not None and viewer.token_id == evaluator.token_id


def ensure_not_evaluator(actor: Principal, selection: Selection, what: str) -> None:
    """Evaluators score and nothing else: closing scoring, moderating and signing off belong
    to the selection's owner (the commissioner) and the practice's lead, who are not among its
    evaluators."""
    if any(is_evaluator(actor, evaluator) for evaluator in selection.evaluators):
        raise Forbidden(
            f"Evaluators score and nothing else: {what} belongs to the selection's owner (the "
            "commissioner) and the practice's lead, not to one of its evaluators."
        )


def touch(selection: Selection) -> None:
    """Mark the selection changed, so its version (the ETag) moves with any child change."""
    selection.updated_at = utcnow()


def ensure_may_moderate(actor: Principal, selection: Selection) -> None:
    """The agreed scores: the commissioner's (with the practice when moderation is joint);
    once evaluators are named, only after scoring has closed."""
    ensure_open_to(actor, selection)
    ensure_not_evaluator(actor, selection, "agreeing the scores")
    joint = selection.moderation is Moderation.JOINT
    if actor.role is Role.PRACTICE and not joint:
        raise Forbidden("The commissioner moderates this selection.")
    if selection.signed:
        raise Conflict(SIGNED_MESSAGE)
    if selection.evaluators and not selection.scoring_closed:
        raise Conflict("The evaluators are still scoring apart: close scoring before moderating.")
