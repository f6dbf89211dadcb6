"""A selection's candidates: published items of the selection's framework, by id or from a
search; 2 to 8 for a competition, exactly one makes a direct award. Candidates are alternatives
for one need, so they share the framework, the lot and the kind (a clinical system is never
weighed against a self check-in kiosk).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.listings.queries import ItemFilters, list_items
from catalogue.models import (
    CatalogueItem,
    ItemStatus,
    Lot,
    Selection,
    SelectionCandidate,
    utcnow,
)
from catalogue.principal import Principal
from catalogue.selections.access import ensure_writable, record_change, touch
from catalogue.selections.scoring import (
    MAX_CANDIDATES,
)


def _items_for_candidates(session: Session, item_ids: Sequence[int]) -> dict[int, CatalogueItem]:
    items = session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.id.in_(item_ids))
        .options(joinedload(CatalogueItem.lot).joinedload(Lot.framework))
    ).unique()
    return {item.id: item for item in items}


def _need_of(selection: Selection, wanted: Sequence[CatalogueItem]) -> CatalogueItem | None:
    """The item that sets the lot and kind: the first candidate, or the first item asked for."""
    if selection.candidates:
        return selection.candidates[0].item
    return wanted[0] if wanted else None


def _described(item: CatalogueItem) -> str:
    return f"a {item.kind.value} on Lot {item.lot.number} ({item.lot.name})"


def add_candidates(
    session: Session, actor: Principal, selection: Selection, item_ids: Sequence[int]
) -> list[SelectionCandidate]:
    """Add items to the shortlist: published, on the selection's framework, at most 8."""
    ensure_writable(actor, selection)
    wanted = list(dict.fromkeys(item_ids))
    items = _items_for_candidates(session, wanted)
    present = {candidate.item_id for candidate in selection.candidates}
    problems = []
    need = _need_of(selection, [items[i] for i in wanted if i in items])
    for item_id in wanted:
        item = items.get(item_id)
        if item is None or item.status is not ItemStatus.PUBLISHED:
            # An unpublished item answers exactly as a missing one: its name, and whether it
            # exists at all, are its supplier's and the authority's business.
            problems.append(f"No published catalogue item {item_id}.")
        elif item.lot.framework_id != selection.framework_id:
            problems.append(
                f"{item.name} ({item_id}) is on the {item.lot.framework.slug} framework, outside "
                f"this selection's framework ({selection.framework.slug})."
            )
        elif item_id in present:
            problems.append(f"{item.name} ({item_id}) is already a candidate.")
        elif need is not None and (item.lot_id, item.kind) != (need.lot_id, need.kind):
            problems.append(
                f"{item.name} ({item_id}) is {_described(item)}, but {need.name} is "
                f"{_described(need)}: the candidates of one selection are alternatives for one "
                "need, of the same framework, lot and kind."
            )
    if not problems and len(present) + len(wanted) > MAX_CANDIDATES:
        problems.append(
            f"A selection takes at most {MAX_CANDIDATES} candidates; it has {len(present)} and "
            f"{len(wanted)} more were asked for."
        )
    if problems:
        raise InvalidInput("The candidates cannot be added.", {"item_ids": problems})
    added = [SelectionCandidate(item_id=item_id) for item_id in wanted]
    selection.candidates.extend(added)
    touch(selection)
    session.flush()
    record_change(
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
    ensure_writable(actor, selection)
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
    ensure_writable(actor, selection)
    return add_candidates(
        session, actor, selection, new_candidates_from_matches(selection, matched_ids, total)
    )


def remove_candidate(
    session: Session, actor: Principal, selection: Selection, item_id: int
) -> None:
    ensure_writable(actor, selection)
    candidate = _candidate(selection, item_id)
    for score in [s for s in selection.scores if s.item_id == item_id]:
        selection.scores.remove(score)
    for evaluator in selection.evaluators:
        for evaluation in [e for e in evaluator.evaluations if e.item_id == item_id]:
            evaluator.evaluations.remove(evaluation)
    selection.candidates.remove(candidate)
    touch(selection)
    session.flush()
    record_change(session, actor, "candidate_removed", selection, before={"item_id": item_id})


def _candidate(selection: Selection, item_id: int) -> SelectionCandidate:
    candidate = next((c for c in selection.candidates if c.item_id == item_id), None)
    if candidate is None:
        raise NotFound(f"Item {item_id} is not a candidate of this selection.")
    return candidate


def exclude_candidate(
    session: Session, actor: Principal, selection: Selection, item_id: int, reason: str
) -> SelectionCandidate:
    """Eliminate a candidate by hand: it stays on the record, with the reason, unranked."""
    ensure_writable(actor, selection)
    candidate = _candidate(selection, item_id)
    if not reason.strip():
        raise InvalidInput(
            "A candidate is excluded only with a reason.",
            {"reason": ["Say why the candidate is excluded."]},
        )
    if candidate.excluded_at is not None:
        raise Conflict(f"Item {item_id} is already excluded: {candidate.excluded_reason}")
    candidate.excluded_reason = reason.strip()
    candidate.excluded_by = actor.label
    candidate.excluded_at = utcnow()
    touch(selection)
    session.flush()
    record_change(
        session,
        actor,
        "candidate_excluded",
        selection,
        before={"item_id": item_id, "excluded": False},
        after={"item_id": item_id, "excluded": True, "reason": candidate.excluded_reason},
    )
    return candidate


def reinstate_candidate(
    session: Session, actor: Principal, selection: Selection, item_id: int
) -> SelectionCandidate:
    """Take back an exclusion made by hand (the audit trail keeps its reason)."""
    ensure_writable(actor, selection)
    candidate = _candidate(selection, item_id)
    if candidate.excluded_at is None:
        raise Conflict(f"Item {item_id} is not excluded.")
    reason = candidate.excluded_reason
    candidate.excluded_reason = candidate.excluded_by = candidate.excluded_at = None
    touch(selection)
    session.flush()
    record_change(
        session,
        actor,
        "candidate_reinstated",
        selection,
        before={"item_id": item_id, "excluded": True, "reason": reason},
        after={"item_id": item_id, "excluded": False},
    )
    return candidate
