"""Events are written in the transaction of the change: derived from its audit record, one row
each, gone with a change that rolls back."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.models import AuditEvent, NotificationEvent
from catalogue.notifications import EventType
from tests.factories import migration_order_body, supplier_id
from tests.functional.orders import commissioner_caller, move, place, supplier_caller


def _events(db) -> list[tuple[str, int | None, int | None]]:
    db.expire_all()
    rows = db.scalars(select(NotificationEvent).order_by(NotificationEvent.id))
    return [(e.type, e.supplier_id, e.audit_event_id) for e in rows]


def test_submitting_a_migration_order_tells_its_supplier_and_gives_notice_to_the_previous(
    client, db
):
    commissioner = commissioner_caller(client, db, "13T")
    order, etag = place(commissioner, migration_order_body(db))
    assert _events(db) == []  # a draft is the commissioner's work in progress
    response = move(commissioner, order["call_off_id"], "submit", etag)
    assert response.status_code == 200, response.get_json()
    submit = db.scalars(select(AuditEvent).where(AuditEvent.action == "order.submit")).one()
    assert _events(db) == [
        (EventType.ORDER_SUBMITTED, supplier_id(db, "tpp"), submit.id),
        (EventType.MIGRATION_NOTICE_GIVEN, supplier_id(db, "emis"), submit.id),
    ]
    event = db.scalars(select(NotificationEvent)).first()
    assert event is not None
    assert event.data["path"] == f"/orders/{order['call_off_id']}"
    assert event.actor_role == "commissioner"

    tpp = supplier_caller(client, db, "tpp")
    etag = response.headers["ETag"]
    assert move(tpp, order["call_off_id"], "accept", etag).status_code == 200
    assert [t for t, _, _ in _events(db)][-1] == EventType.ORDER_ACCEPTED


def test_an_event_is_gone_with_a_change_that_rolls_back(client, db):
    from catalogue import orders
    from tests.factories import supplier_principal

    commissioner = commissioner_caller(client, db, "13T")
    order, etag = place(commissioner, migration_order_body(db))
    move(commissioner, order["call_off_id"], "submit", etag)
    before = _events(db)
    tpp = supplier_principal(db, "tpp")
    nested = db.begin_nested()
    stored = orders.get_order(db, tpp, order["call_off_id"])
    orders.transition(db, tpp, stored, orders.Transition.ACCEPT)
    assert [t for t, _, _ in _events(db)] == [t for t, _, _ in before] + ["order.accepted"]
    nested.rollback()
    assert _events(db) == before
