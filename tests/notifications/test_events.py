"""Events are written in the transaction of the change: derived from its audit record, one row
each, gone with a change that rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue.models import AuditEvent, NotificationEvent
from catalogue.notifications import EventType
from catalogue.principal import Role
from tests.factories import migration_order_body, supplier_id
from tests.functional.actors import Caller, caller, create_system
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


@pytest.fixture
def supplier(client, db) -> Caller:
    return caller(client, db, Role.SUPPLIER, "supplier", supplier_id=supplier_id(db, "emis"))


@pytest.fixture
def authority(client, db) -> Caller:
    return caller(client, db, Role.AUTHORITY, "authority")


def _typed(db) -> list[tuple[str, dict]]:
    db.expire_all()
    rows = db.scalars(select(NotificationEvent).order_by(NotificationEvent.id))
    return [(e.type, e.data) for e in rows]


def test_a_listing_submitted_published_sent_back_and_its_revisions(supplier, authority, db):
    system, etag = create_system(supplier, name="Notified system")
    path = f"/api/v1/systems/{system['id']}"
    etag = supplier.post(f"{path}/submit", etag=etag).headers["ETag"]
    sent_back = authority.post(f"{path}/reject", json={"reason": "Prices missing VAT"}, etag=etag)
    etag = supplier.post(f"{path}/submit", etag=sent_back.headers["ETag"]).headers["ETag"]
    etag = authority.post(f"{path}/publish", etag=etag).headers["ETag"]
    proposed = supplier.patch(path, json={"summary": "Now with more."}, etag=etag)
    assert proposed.status_code == 202
    revision = authority.get(f"{path}/revision")
    approved = authority.post(f"{path}/revision/approve", etag=revision.headers["ETag"])
    assert approved.status_code == 200

    events = _typed(db)
    assert [kind for kind, _ in events] == [
        "listing.submitted",
        "listing.sent_back",
        "listing.submitted",
        "listing.published",
        "revision.approved",
    ]
    assert all(data["title"] == "Notified system" for _, data in events)
    assert events[1][1]["reason"] == "Prices missing VAT"
    assert events[0][1]["paths"] == {
        "supplier": f"/supplier/listings/{system['id']}",
        "authority": f"/review/listings/{system['id']}",
    }
    assert events[-1][1]["paths"]["authority"] == f"/review/revisions/{system['id']}"
    stored = db.scalars(select(NotificationEvent)).all()
    assert {e.supplier_id for e in stored} == {supplier.supplier_id}


def test_an_evaluator_invited_by_account_and_scoring_closed(db):
    from catalogue import accounts, selections
    from catalogue.principal import CONSOLE
    from tests.factories import commissioner_principal, organisation_id

    owner = commissioner_principal(db)
    chosen = selections.create_selection(
        db, owner, name="Riverside's next system", practice="A81001", framework="gpsoc-r"
    )
    evaluator = accounts.create_user(
        db,
        CONSOLE,
        email="eve@ccg.example",
        name="Eve",
        role=Role.COMMISSIONER,
        organisation_id=organisation_id(db, "13T"),
    )
    selections.name_evaluator(db, owner, chosen, user_id=evaluator.id)
    selections.close_scoring(db, owner, chosen, reason="Eve is away; we moderate without her.")
    events = _typed(db)
    assert [kind for kind, _ in events] == [
        "selection.evaluator_invited",
        "selection.scoring_closed",
    ]
    invited = events[0][1]
    assert invited["user_ids"] == [evaluator.id]
    assert invited["title"] == "Riverside's next system"
    assert invited["path"] == f"/selections/{chosen.id}"
    assert events[1][1]["organisation_ids"] == [organisation_id(db, "A81001")]
