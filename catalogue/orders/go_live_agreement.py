"""The practice agrees a migration's planned go-live (seed 002: "the PCT, practice and supplier
will need to agree a planned date").

The practice agrees the date the order plans, on its own order, before go-live; the agreement
is audited and stands while the planned date is the one agreed (a new planned date asks for
the practice's agreement again). An order whose practice has not agreed is not refused: the
completeness check prompts for it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue import audit
from catalogue.errors import Conflict, Forbidden
from catalogue.models import CallOffMigration, OrderStatus, utcnow
from catalogue.orders.rules import OBJECT_TYPE
from catalogue.principal import Principal

_BEFORE_GO_LIVE = frozenset({OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED})


def go_live_agreed(migration: CallOffMigration) -> bool:
    """Whether the practice agreed the planned go-live as it now stands."""
    return (
        migration.planned_go_live is not None
        and migration.go_live_agreed_on == migration.planned_go_live
    )


def agree_go_live(session: Session, actor: Principal, migration: CallOffMigration) -> None:
    """The practice agrees its migration's planned go-live (audited)."""
    order = migration.order
    if not actor.is_practice(migration.organisation_id):
        raise Forbidden("Only the practice agrees its own migration's planned go-live.")
    if order.status not in _BEFORE_GO_LIVE:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}: go-live is agreed before it.",
            {"status": ["Only before go-live (draft, submitted or accepted)."]},
        )
    if migration.planned_go_live is None:
        raise Conflict(
            "The order plans no go-live for the practice yet.",
            {"planned_go_live": ["The commissioner sets the planned go-live first."]},
        )
    if go_live_agreed(migration):
        raise Conflict(
            "The practice has agreed this planned go-live already.",
            {"go_live_agreed_on": [migration.planned_go_live.isoformat()]},
        )
    before = {"ods_code": migration.organisation.ods_code, "agreed_on": migration.go_live_agreed_on}
    migration.go_live_agreed_on = migration.planned_go_live
    migration.go_live_agreed_by = actor.label
    migration.go_live_agreed_at = utcnow()
    order.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "order.migration.agree-go-live",
        OBJECT_TYPE,
        order.call_off_id,
        before=before,
        after={
            "ods_code": migration.organisation.ods_code,
            "agreed_on": migration.go_live_agreed_on,
            "agreed_by": actor.label,
        },
        supplier_id=order.supplier_id if order.submitted_at is not None else None,
        organisation_id=order.commissioner_id,
    )
