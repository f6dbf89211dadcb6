"""The audit trail: events chained by hashes, so that editing, deleting or reordering a stored
event is detected; listing scoped to what each viewer may see, newest first, by cursor."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, update

from catalogue import audit
from catalogue.errors import InvalidInput
from catalogue.models import AuditEvent, utcnow
from catalogue.principal import CONSOLE, Principal, Role

EMIS = Principal(Role.SUPPLIER, "emis feed", token_id=7, supplier_id=1)
CCG = Principal(Role.COMMISSIONER, "ccg desk", token_id=8, organisation_id=2)


def _trail(db, count: int = 3) -> list[AuditEvent]:
    events = [
        audit.record(
            db,
            CONSOLE,
            "price.update",
            "price",
            number,
            before={"amount": Decimal("3427.72")},
            after={"amount": Decimal("3500.00"), "from": utcnow().date()},
            supplier_id=1,
        )
        for number in range(count)
    ]
    db.expire_all()
    return events


def test_each_event_carries_the_hash_of_the_one_before(db):
    events = _trail(db)
    assert (events[0].id, events[0].previous_hash) == (1, audit.GENESIS_HASH)
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.previous_hash == earlier.hash
        assert later.id == earlier.id + 1
    report = audit.verify_chain(db)
    assert report.intact
    assert report.events_checked >= 3


def test_values_are_stored_as_they_were_hashed(db):
    event = _trail(db, 1)[0]
    stored = db.get(AuditEvent, event.id)
    assert stored.before == {"amount": "3427.72"}
    assert audit.verify_chain(db).intact


def test_editing_a_stored_event_is_reported_at_that_event(db):
    events = _trail(db)
    db.execute(
        update(AuditEvent).where(AuditEvent.id == events[1].id).values(after={"amount": "1.00"})
    )
    db.expire_all()
    report = audit.verify_chain(db)
    assert not report.intact
    assert report.first_broken_event_id == events[1].id
    assert "hash" in report.reason


def test_rewriting_an_event_and_its_hash_breaks_the_next_link(db):
    events = _trail(db)
    db.execute(update(AuditEvent).where(AuditEvent.id == events[1].id).values(hash="f" * 64))
    db.expire_all()
    report = audit.verify_chain(db)
    assert not report.intact
    assert report.first_broken_event_id == events[1].id  # its own hash no longer matches


def test_deleting_an_event_in_the_middle_or_at_the_end_is_reported(db):
    events = _trail(db)
    db.execute(delete(AuditEvent).where(AuditEvent.id == events[-1].id))
    db.expire_all()
    report = audit.verify_chain(db)
    assert not report.intact
    assert report.first_broken_event_id == events[-1].id

    db.execute(delete(AuditEvent).where(AuditEvent.id == events[0].id))
    db.expire_all()
    report = audit.verify_chain(db)
    assert not report.intact
    assert report.first_broken_event_id == events[1].id
    assert "missing" in report.reason


def test_each_viewer_sees_the_events_on_its_own_objects(db):
    audit.record(db, CONSOLE, "framework.open", "framework", "gpsoc-r")
    mine = audit.record(db, EMIS, "item.update", "catalogue_item", 1, supplier_id=1)
    theirs = audit.record(db, CONSOLE, "item.update", "catalogue_item", 2, supplier_id=3)
    ours = audit.record(db, CONSOLE, "organisation.update", "organisation", 5, organisation_id=2)

    def seen(viewer):
        events, _cursor = audit.list_events(db, viewer, audit.EventFilters(), 100)
        return {event.id for event in events}

    assert {mine.id, theirs.id, ours.id} <= seen(CONSOLE)
    assert mine.id in seen(EMIS) and theirs.id not in seen(EMIS) and ours.id not in seen(EMIS)
    assert seen(CCG) >= {ours.id} and not seen(CCG) & {mine.id, theirs.id}


def test_filters_and_newest_first(db):
    start = utcnow() - timedelta(seconds=1)
    first = audit.record(db, EMIS, "item.update", "catalogue_item", 1, supplier_id=1)
    second = audit.record(db, EMIS, "item.submit", "catalogue_item", 1, supplier_id=1)
    audit.record(db, CONSOLE, "item.publish", "catalogue_item", 1, supplier_id=1)
    audit.record(db, EMIS, "item.update", "catalogue_item", 2, supplier_id=1)

    def ids(**filters):
        events, _ = audit.list_events(db, CONSOLE, audit.EventFilters(**filters), 100)
        return [event.id for event in events]

    on_item = ids(object_type="catalogue_item", object_id="1", actor=EMIS.label)
    assert on_item == [second.id, first.id]
    assert ids(action="item.submit") == [second.id]
    assert set(ids(since=start)) >= {first.id, second.id}
    assert ids(until=start) == [e for e in ids() if e < first.id]


def test_cursor_pages_through_everything_once(db):
    for number in range(7):
        audit.record(db, CONSOLE, "thing.touch", "thing", number)
    seen, cursor = [], None
    while True:
        events, cursor = audit.list_events(
            db, CONSOLE, audit.EventFilters(action="thing.touch"), 3, cursor
        )
        seen.extend(event.object_id for event in events)
        if cursor is None:
            break
    assert seen == [str(number) for number in reversed(range(7))]


def test_a_cursor_not_given_out_is_invalid_input(db):
    with pytest.raises(InvalidInput):
        audit.list_events(db, CONSOLE, audit.EventFilters(), 10, cursor="bm90LWEtY3Vyc29y")
