"""The order lifecycle: which transition is allowed from which status, and to whom.

draft -> submitted (commissioner; only when complete) -> accepted (supplier) -> live (business
go-live recorded) -> completed; cancelled before live and terminated after, each with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from catalogue.models import OrderStatus
from catalogue.principal import Role


class Transition(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    GO_LIVE = "go-live"
    COMPLETE = "complete"
    CANCEL = "cancel"
    TERMINATE = "terminate"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[OrderStatus]
    target: OrderStatus
    roles: frozenset[Role]
    needs_reason: bool = False


_PARTIES = frozenset({Role.COMMISSIONER, Role.SUPPLIER})

RULES: dict[Transition, Rule] = {
    Transition.SUBMIT: Rule(
        frozenset({OrderStatus.DRAFT}), OrderStatus.SUBMITTED, frozenset({Role.COMMISSIONER})
    ),
    Transition.ACCEPT: Rule(
        frozenset({OrderStatus.SUBMITTED}), OrderStatus.ACCEPTED, frozenset({Role.SUPPLIER})
    ),
    Transition.GO_LIVE: Rule(frozenset({OrderStatus.ACCEPTED}), OrderStatus.LIVE, _PARTIES),
    Transition.COMPLETE: Rule(frozenset({OrderStatus.LIVE}), OrderStatus.COMPLETED, _PARTIES),
    Transition.CANCEL: Rule(
        frozenset({OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED}),
        OrderStatus.CANCELLED,
        _PARTIES,
        needs_reason=True,
    ),
    Transition.TERMINATE: Rule(
        frozenset({OrderStatus.LIVE}), OrderStatus.TERMINATED, _PARTIES, needs_reason=True
    ),
}


def allowed_from(status: OrderStatus) -> list[Transition]:
    return [transition for transition, rule in RULES.items() if status in rule.sources]
