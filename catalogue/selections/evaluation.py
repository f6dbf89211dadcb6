"""Evaluators score apart, then the scores are moderated.

The commissioner names the evaluators: its own people and the practice's (each a principal,
that is a token). Each evaluator keeps a score sheet of their own, 1 to 5 with a justification
per criterion and candidate, unseen by the other evaluators until the commissioner closes
scoring. Then the commissioner (or, if the selection says so, the commissioner and the practice
together) agrees a score with a reason for each cell: the moderated scores are what the result
ranks by. A cell whose evaluators' scores spread by SPREAD_THRESHOLD or more is flagged for
discussion.

A selection with no evaluators named is scored by the commissioner directly, as before: its
entered scores are the agreed ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import (
    ApiToken,
    EvaluatorSide,
    Selection,
    SelectionEvaluation,
    SelectionEvaluator,
    UserAccount,
    utcnow,
)
from catalogue.principal import Principal, Role
from catalogue.selections.access import (
    SIGNED_MESSAGE,
    ensure_not_evaluator,
    ensure_open_to,
    ensure_writable,
    is_evaluator,
    record_change,
    touch,
)
from catalogue.selections.scores import ScoreEntry, check_entries
from catalogue.validation import REASON_MAX

# Evaluators' scores for one cell that differ by this much or more (say 2 and 4) are flagged:
# the evaluators read the requirement differently and should discuss it before agreeing.
SPREAD_THRESHOLD = 2

_SIDES = {Role.COMMISSIONER: EvaluatorSide.COMMISSIONER, Role.PRACTICE: EvaluatorSide.PRACTICE}


def _evaluator_token(session: Session, selection: Selection, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    belongs = token is not None and (
        (token.role is Role.COMMISSIONER and token.organisation_id == selection.commissioner_id)
        or (token.role is Role.PRACTICE and token.organisation_id == selection.practice_id)
    )
    if token is None or not belongs:
        raise InvalidInput(
            "The evaluator cannot be named.",
            {
                "token_id": [
                    "An evaluator is one of the commissioner's or the practice's principals "
                    "(a commissioner token of the selection's commissioner, or a practice token "
                    "of its practice)."
                ]
            },
        )
    if token.revoked_at is not None:
        raise InvalidInput(
            "The evaluator cannot be named.", {"token_id": ["That token is revoked."]}
        )
    return token


def _evaluator_account(session: Session, selection: Selection, user_id: int) -> UserAccount:
    user = session.get(UserAccount, user_id)
    belongs = user is not None and (
        (user.role is Role.COMMISSIONER and user.organisation_id == selection.commissioner_id)
        or (user.role is Role.PRACTICE and user.organisation_id == selection.practice_id)
    )
    if user is None or not belongs:
        raise InvalidInput(
            "The evaluator cannot be named.",
            {
                "user_id": [
                    "An evaluator is one of the commissioner's or the practice's people "
                    "(an account of the selection's commissioner or of its practice)."
                ]
            },
        )
    if user.disabled_at is not None:
        raise InvalidInput(
            "The evaluator cannot be named.", {"user_id": ["That account is disabled."]}
        )
    return user


def people_to_name(session: Session, selection: Selection) -> list[UserAccount]:
    """The accounts that may be named evaluators and are not yet: the commissioner's people
    and the practice's, active."""
    named = {e.user_id for e in selection.evaluators if e.user_id is not None}
    people = session.scalars(
        select(UserAccount)
        .where(
            UserAccount.disabled_at.is_(None),
            (
                (UserAccount.role == Role.COMMISSIONER)
                & (UserAccount.organisation_id == selection.commissioner_id)
            )
            | (
                (UserAccount.role == Role.PRACTICE)
                & (UserAccount.organisation_id == selection.practice_id)
            ),
        )
        .order_by(UserAccount.role, UserAccount.name, UserAccount.id)
    )
    return [person for person in people if person.id not in named]


def _ensure_scoring_open(selection: Selection) -> None:
    if selection.scoring_closed:
        raise Conflict(
            f"Scoring closed at {selection.scoring_closed_at:%Y-%m-%d %H:%M} UTC "
            f"({selection.scoring_closed_by}); nothing was stored."
        )


def evaluator_summary(evaluator: SelectionEvaluator) -> dict[str, Any]:
    return {
        "id": evaluator.id,
        "name": evaluator.name,
        "side": evaluator.side.value,
        "token_id": evaluator.token_id,
        "user_id": evaluator.user_id,
    }


def name_evaluator(
    session: Session,
    actor: Principal,
    selection: Selection,
    token_id: int | None = None,
    name: str | None = None,
    *,
    user_id: int | None = None,
) -> SelectionEvaluator:
    """Name a principal of the commissioner or the practice as an evaluator: a token (the
    API), or a person's account (`user_id`, the web pages)."""
    ensure_writable(actor, selection)
    _ensure_scoring_open(selection)
    principal: ApiToken | UserAccount
    if user_id is not None:
        principal = _evaluator_account(session, selection, user_id)
        if any(e.user_id == user_id for e in selection.evaluators):
            raise Conflict(f"{principal.name} is already an evaluator of this selection.")
    else:
        if token_id is None:
            raise InvalidInput("The evaluator cannot be named.", {"token_id": ["Name a token."]})
        principal = _evaluator_token(session, selection, token_id)
        if any(e.token_id == token_id for e in selection.evaluators):
            raise Conflict(f"Token {token_id} is already an evaluator of this selection.")
    evaluator = SelectionEvaluator(
        token_id=principal.id if isinstance(principal, ApiToken) else None,
        user_id=principal.id if isinstance(principal, UserAccount) else None,
        name=(name or principal.name).strip(),
        side=_SIDES[principal.role],
        added_by=actor.label,
    )
    selection.evaluators.append(evaluator)
    touch(selection)
    session.flush()
    record_change(session, actor, "evaluator_named", selection, after=evaluator_summary(evaluator))
    return evaluator


def remove_evaluator(
    session: Session, actor: Principal, selection: Selection, evaluator_id: int
) -> None:
    """Take an evaluator off, with their scores, while scoring is open."""
    ensure_writable(actor, selection)
    _ensure_scoring_open(selection)
    evaluator = _evaluator(selection, evaluator_id)
    before = {**evaluator_summary(evaluator), "scores": len(evaluator.evaluations)}
    selection.evaluators.remove(evaluator)
    touch(selection)
    session.flush()
    record_change(session, actor, "evaluator_removed", selection, before=before)


def _evaluator(selection: Selection, evaluator_id: int) -> SelectionEvaluator:
    evaluator = next((e for e in selection.evaluators if e.id == evaluator_id), None)
    if evaluator is None:
        raise NotFound(f"No evaluator {evaluator_id} in this selection.")
    return evaluator


def get_sheet(viewer: Principal, selection: Selection, evaluator_id: int) -> SelectionEvaluator:
    """An evaluator's score sheet: their own, or anyone's once scoring has closed."""
    evaluator = _evaluator(selection, evaluator_id)
    if not (selection.scoring_closed or _is_evaluator(viewer, evaluator)):
        raise Forbidden(
            "Evaluators score apart: another evaluator's scores are shown once the "
            "commissioner closes scoring."
        )
    return evaluator


def _is_evaluator(viewer: Principal, evaluator: SelectionEvaluator) -> bool:
    return is_evaluator(viewer, evaluator)


def sheet_of(viewer: Principal, selection: Selection) -> SelectionEvaluator | None:
    """The viewer's own score sheet in the selection, if they are one of its evaluators."""
    return next((e for e in selection.evaluators if _is_evaluator(viewer, e)), None)


def enter_evaluations(
    session: Session,
    actor: Principal,
    selection: Selection,
    evaluator: SelectionEvaluator,
    entries: Sequence[ScoreEntry],
) -> list[SelectionEvaluation]:
    """Enter or replace scores on the evaluator's own sheet (all or nothing). The selection's
    version does not move: evaluators scoring at once never block one another."""
    ensure_open_to(actor, selection)
    if not _is_evaluator(actor, evaluator):
        raise Forbidden("Evaluators enter their own scores only.")
    if selection.signed:
        raise Conflict(SIGNED_MESSAGE)
    _ensure_scoring_open(selection)
    check_entries(selection, entries)
    existing = {(e.criterion_id, e.item_id): e for e in evaluator.evaluations}
    before, after, stored = [], [], []
    for entry in entries:
        row = existing.get((entry.criterion_id, entry.item_id))
        if row is not None:
            before.append(_evaluation_summary(row))
        else:
            row = SelectionEvaluation(
                selection_id=selection.id, criterion_id=entry.criterion_id, item_id=entry.item_id
            )
            evaluator.evaluations.append(row)
        row.score = entry.score
        row.justification = entry.justification.strip()
        stored.append(row)
        after.append(_evaluation_summary(row))
    evaluator.updated_at = utcnow()  # the sheet changed: its version (ETag) moves
    session.flush()
    record_change(
        session,
        actor,
        "evaluation_entered",
        selection,
        before={"evaluator_id": evaluator.id, "scores": before} if before else None,
        after={"evaluator_id": evaluator.id, "scores": after},
    )
    return stored


def _evaluation_summary(row: SelectionEvaluation) -> dict[str, Any]:
    return {
        "criterion_id": row.criterion_id,
        "item_id": row.item_id,
        "score": row.score,
        "justification": row.justification,
    }


def empty_sheets(selection: Selection) -> list[str]:
    """The evaluators who have entered nothing yet."""
    return [evaluator.name for evaluator in selection.evaluators if not evaluator.evaluations]


def close_scoring(
    session: Session, actor: Principal, selection: Selection, reason: str | None = None
) -> Selection:
    """End scoring apart: the evaluators' scores become visible and moderation starts. The
    selection's owner closes it (not one of its evaluators); while an evaluator's sheet is
    empty, only with a reason in words, recorded on the selection and audited."""
    ensure_writable(actor, selection)
    ensure_not_evaluator(actor, selection, "closing scoring")
    _ensure_scoring_open(selection)
    if not selection.evaluators:
        raise Conflict("Name the evaluators first: there is no scoring to close.")
    empty = empty_sheets(selection)
    reason = (reason or "").strip() or None
    if empty and reason is None:
        raise InvalidInput(
            f"{_names(empty)} {'has' if len(empty) == 1 else 'have'} entered no scores yet.",
            {
                "reason": [
                    "Wait for every evaluator to score, or say why scoring closes without "
                    f"{_names(empty)}."
                ]
            },
        )
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput(
            "The reason is too long.", {"reason": [f"At most {REASON_MAX} characters."]}
        )
    selection.scoring_closed_at = utcnow()
    selection.scoring_closed_by = actor.label
    selection.scoring_closed_reason = reason
    touch(selection)
    session.flush()
    scored = {e.name: len(e.evaluations) for e in selection.evaluators}
    record_change(
        session,
        actor,
        "scoring_closed",
        selection,
        before={"scoring": "open"},
        after={"scoring": "closed", "scores_by_evaluator": scored, "reason": reason},
    )
    return selection


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class EvaluatorScore:
    evaluator_id: int
    evaluator: str
    side: str
    score: int
    justification: str


def evaluations_by_cell(
    session: Session, selection: Selection
) -> dict[tuple[int, int], list[EvaluatorScore]]:
    """Every evaluator's score per (criterion, item): shown once scoring has closed."""
    if not selection.scoring_closed:
        return {}
    rows = session.execute(
        select(
            SelectionEvaluation.criterion_id,
            SelectionEvaluation.item_id,
            SelectionEvaluator.id,
            SelectionEvaluator.name,
            SelectionEvaluator.side,
            SelectionEvaluation.score,
            SelectionEvaluation.justification,
        )
        .join(SelectionEvaluator, SelectionEvaluator.id == SelectionEvaluation.evaluator_id)
        .where(SelectionEvaluation.selection_id == selection.id)
        .order_by(SelectionEvaluator.id)
    )
    cells: dict[tuple[int, int], list[EvaluatorScore]] = {}
    for criterion_id, item_id, evaluator_id, name, side, score, why in rows:
        cells.setdefault((criterion_id, item_id), []).append(
            EvaluatorScore(evaluator_id, name, side.value, score, why)
        )
    return cells


def spread(scores: Sequence[EvaluatorScore]) -> int | None:
    return max(s.score for s in scores) - min(s.score for s in scores) if scores else None
