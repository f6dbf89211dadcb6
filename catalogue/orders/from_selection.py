"""An order made from a locked selection: the winner, its supplier and its prices as the
selection's snapshot froze them, the practice, and the migration from the practice's current
system when it changes system."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from catalogue import selections
from catalogue.errors import Conflict
from catalogue.estate import runs_now
from catalogue.listings.queries import get_item
from catalogue.models import ItemKind
from catalogue.principal import Principal


def prefilled(session: Session, actor: Principal, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` completed from its selection. Fields the caller gave win, except items: the
    caller's items are added to the winner's prices (the migration service, say). The winner's
    lines carry their snapshot terms under "terms" (a `PriceTerms`)."""
    chosen = selections.get_selection(session, actor, data["selection_id"])
    if not chosen.is_locked:
        raise Conflict(
            "Only a locked selection can be ordered from; lock it first.",
            {"selection_id": ["The selection is not locked."]},
        )
    leaders = selections.result_of(session, chosen).leader_item_ids
    if len(leaders) != 1:
        raise Conflict(
            "The selection has no single winner; order directly from the supplier you choose.",
            {"selection_id": [f"Tied leaders: {', '.join(map(str, leaders)) or 'none'}."]},
        )
    winner = get_item(session, leaders[0], {ItemKind.SYSTEM, ItemKind.MODULE})
    practice = chosen.practice
    filled: dict[str, Any] = {
        "framework": chosen.framework.slug,
        "supplier_id": winner.supplier_id,
        "term_months": min(chosen.term_months, chosen.framework.max_term_months),
        "recipients": [practice.ods_code],
        "description": f"From selection {chosen.id}: {chosen.name}",
    }
    running = runs_now(practice)
    current = running.system if running is not None else None
    if current is not None and current.id != winner.id:
        filled["migration"] = {"previous_system_id": current.id}
    filled.update({key: value for key, value in data.items() if key != "items"})
    # The winner's prices as the selection froze them at lock, not the live catalogue: a later
    # price change (or deletion) does not change what was chosen on price.
    frozen = next(
        (
            c.prices
            for c in selections.facts_for(session, chosen).candidates
            if c.item_id == winner.id
        ),
        None,
    )
    if frozen is None:
        raise Conflict(
            "The selection's snapshot has no prices for its winner.",
            {"selection_id": ["The snapshot does not list the winner."]},
        )
    winner_lines = [
        {
            "catalogue_item_id": winner.id,
            "price_id": terms.price_id,
            "quantities": {},
            "terms": terms,
        }
        for terms in frozen
    ]
    extra = [
        line
        for line in data.get("items") or []
        if line["price_id"] not in {terms.price_id for terms in frozen}
    ]
    filled["items"] = winner_lines + extra
    return filled
