"""Signing the result off: the commissioner (the selection's owner) and the practice's lead each
sign (an explicit, audited act; an evaluator signs for no one); once one has signed the result
no longer changes, and when both have, the selection locks with its snapshot. Only the two
signatures lock a selection, a direct award (one candidate) too: nobody locks one by hand. A
signature can be withdrawn until the selection locks."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from catalogue.errors import Conflict, Forbidden
from catalogue.models import Selection, utcnow
from catalogue.principal import Principal
from catalogue.selections.access import (
    ensure_not_evaluator,
    ensure_open_to,
    record_change,
    touch,
)
from catalogue.selections.scoring import SelectionResult
from catalogue.selections.snapshot import complete_result, freeze


def _side(actor: Principal, selection: Selection) -> str:
    """The side the actor signs for: the selection's owner (the commissioner) or the practice's
    lead; never one of the selection's evaluators, who score and nothing else."""
    if actor.is_commissioner(selection.commissioner_id):
        side = "commissioner"
    elif actor.is_practice(selection.practice_id):
        side = "practice"
    else:
        raise Forbidden("The commissioner and the practice sign the result off, no one else.")
    ensure_not_evaluator(actor, selection, f"signing off as the {side}")
    return side


def signatures(selection: Selection) -> dict[str, dict[str, object] | None]:
    return {
        "commissioner": {
            "signed_by": selection.commissioner_signed_by,
            "signed_at": selection.commissioner_signed_at,
        }
        if selection.commissioner_signed_at
        else None,
        "practice": {
            "signed_by": selection.practice_signed_by,
            "signed_at": selection.practice_signed_at,
        }
        if selection.practice_signed_at
        else None,
    }


def sign_off(
    session: Session, actor: Principal, selection: Selection, on: date | None = None
) -> SelectionResult | None:
    """Sign the result as it stands; returns the frozen result when this signature locks it."""
    ensure_open_to(actor, selection)
    side = _side(actor, selection)
    if getattr(selection, f"{side}_signed_at") is not None:
        raise Conflict(f"The {side} has already signed this result off.")
    if selection.evaluators and not selection.scoring_closed:
        raise Conflict("The evaluators are still scoring apart: close scoring and moderate.")
    complete_result(session, selection, on)  # refuses an incomplete result (409)
    setattr(selection, f"{side}_signed_at", utcnow())
    setattr(selection, f"{side}_signed_by", f"{actor.name} ({actor.label})")
    touch(selection)
    session.flush()
    record_change(
        session,
        actor,
        "signed_off",
        selection,
        before={side: None},
        after={side: getattr(selection, f"{side}_signed_by")},
    )
    if selection.commissioner_signed_at and selection.practice_signed_at:
        return freeze(session, actor, selection, on)
    return None


def withdraw_signature(session: Session, actor: Principal, selection: Selection) -> None:
    """Withdraw the actor's side's signature; withdrawing none is harmless (nothing changes)."""
    ensure_open_to(actor, selection)
    side = _side(actor, selection)
    signed_by = getattr(selection, f"{side}_signed_by")
    if signed_by is None:
        return
    setattr(selection, f"{side}_signed_at", None)
    setattr(selection, f"{side}_signed_by", None)
    touch(selection)
    session.flush()
    record_change(
        session,
        actor,
        "signature_withdrawn",
        selection,
        before={side: signed_by},
        after={side: None},
    )
