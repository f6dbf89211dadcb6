"""Agreed scores: 1 to 5 per criterion and candidate, always justified (the reason)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from catalogue.errors import NotFound
from catalogue.models import (
    Selection,
    SelectionScore,
)
from catalogue.principal import Principal
from catalogue.selections.access import ensure_may_moderate, record_change, touch
from catalogue.selections.scoring import (
    MAX_SCORE,
    MIN_SCORE,
)
from catalogue.validation import FieldErrors


@dataclass(frozen=True)
class ScoreEntry:
    item_id: int
    criterion_id: int
    score: int
    justification: str


def check_entries(selection: Selection, entries: Sequence[ScoreEntry]) -> None:
    """Refuse the whole batch, saying what is wrong with each entry, unless every entry is a
    whole score 1-5 with a justification, for a candidate and a should or could."""
    candidates = {c.item_id for c in selection.candidates}
    criteria = {c.id: c for c in selection.criteria}
    errors = FieldErrors()
    seen: set[tuple[int, int]] = set()
    for index, entry in enumerate(entries):
        problems = []
        if entry.item_id not in candidates:
            problems.append(f"Item {entry.item_id} is not a candidate of this selection.")
        criterion = criteria.get(entry.criterion_id)
        if criterion is None:
            problems.append(f"No criterion {entry.criterion_id} in this selection.")
        elif not criterion.kind.is_scored:
            problems.append(f"Criterion {entry.criterion_id} is a must: it eliminates, unscored.")
        if not _is_whole_score(entry.score):
            errors.add(
                f"scores.{index}.score", f"Scores are whole numbers {MIN_SCORE} to {MAX_SCORE}."
            )
        if not entry.justification.strip():
            errors.add(f"scores.{index}.justification", "Every score needs a justification.")
        key = (entry.criterion_id, entry.item_id)
        if key in seen:
            problems.append("The same candidate and criterion are scored twice.")
        seen.add(key)
        errors.extend(f"scores.{index}", problems)
    if not entries:
        errors.add("scores", "Give at least one score.")
    errors.raise_if_any("The scores cannot be entered as given; none were stored.")


def enter_scores(
    session: Session, actor: Principal, selection: Selection, entries: Sequence[ScoreEntry]
) -> list[SelectionScore]:
    """Enter or replace the agreed scores (1-5, each with its reason): directly when no
    evaluators are named, else moderating once scoring has closed. An agreed score overrides
    the automatic one."""
    ensure_may_moderate(actor, selection)
    check_entries(selection, entries)
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
    touch(selection)
    session.flush()
    record_change(
        session,
        actor,
        "scores_entered",
        selection,
        before={"scores": changes_before} if changes_before else None,
        after={"scores": changes_after},
    )
    return stored


def _is_whole_score(score: object) -> bool:
    """1 to 5 exactly: a fraction (4.9) or a boolean is refused, never truncated."""
    return (
        isinstance(score, int) and not isinstance(score, bool) and MIN_SCORE <= score <= MAX_SCORE
    )


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
    """Withdraw an agreed score (an automatic score, if any, applies again)."""
    ensure_may_moderate(actor, selection)
    score = next(
        (s for s in selection.scores if s.criterion_id == criterion_id and s.item_id == item_id),
        None,
    )
    if score is None:
        raise NotFound("No score was entered for that candidate and criterion.")
    before = _score_summary(score)
    selection.scores.remove(score)
    touch(selection)
    session.flush()
    record_change(session, actor, "score_removed", selection, before=before)
