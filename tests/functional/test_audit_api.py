"""/api/v1/audit-events and /audit-events/verify over HTTP: every write leaves an event with
the actor taken from the token; each caller sees what concerns it; the chain verifies, and an
edit made directly in the database is reported at the edited row."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import delete, update

from catalogue.models import AuditChainHead, AuditEvent
from tests.factories import organisation_id
from tests.functional.actors import (  # noqa: F401 (fixtures)
    anonymous_caller,
    authority_caller,
    commissioner_caller,
    create_system,
    other_supplier_caller,
    supplier_caller,
)

EVENTS = "/api/v1/audit-events"
VERIFY = "/api/v1/audit-events/verify"


def _events(caller, **query) -> list[dict]:
    response = caller.get(EVENTS + "?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_a_write_is_audited_with_the_actor_from_the_token(supplier, authority):
    system, _etag = create_system(supplier)
    events = _events(authority, object_type="catalogue_item", object_id=system["id"])
    assert [e["action"] for e in events] == ["item.create"]
    event = events[0]
    assert event["actor"].startswith("supplier:token:")
    assert event["actor_role"] == "supplier"
    assert event["supplier_id"] == supplier.supplier_id
    assert event["after"]["name"] == system["name"]
    assert event["after"]["prices"][0]["tiers"][0]["amount"] == "3000.00"


def test_the_actor_cannot_be_given_in_the_request(supplier):
    response = supplier.post(
        "/api/v1/systems", json={"name": "Sneaky", "actor": "authority:console"}
    )
    assert response.status_code == 422
    assert "actor" in response.get_json()["errors"]


def test_each_caller_sees_the_events_on_its_own_objects(
    supplier, other_supplier, commissioner, authority, db
):
    system, _ = create_system(supplier)
    practice = organisation_id(db, "A81001")
    etag = authority.get(f"/api/v1/organisations/{practice}").headers["ETag"]
    response = authority.patch(
        f"/api/v1/organisations/{practice}", json={"list_size": 9000}, etag=etag
    )
    assert response.status_code == 200

    assert {e["action"] for e in _events(supplier)} >= {"item.create"}
    assert all(e["supplier_id"] == supplier.supplier_id for e in _events(supplier))
    assert str(system["id"]) not in {e["object_id"] for e in _events(other_supplier)}
    commissioner_events = _events(commissioner)  # its practice's change, and its own token
    assert [e["action"] for e in commissioner_events] == ["organisation.update", "token.issue"]
    assert commissioner_events[0]["after"] == {"list_size": 9000}
    assert {"item.create", "organisation.update"} <= {e["action"] for e in _events(authority)}


def test_filters_newest_first_and_a_cursor(supplier, authority):
    created = [create_system(supplier, name=f"System {n}")[0]["id"] for n in range(5)]
    response = authority.get(f"{EVENTS}?action=item.create&limit=2")
    page = response.get_json()
    assert [int(e["object_id"]) for e in page["items"]] == created[::-1][:2]
    seen = [e["object_id"] for e in page["items"]]
    while page["next_cursor"]:
        page = authority.get(
            f"{EVENTS}?action=item.create&limit=2&cursor={page['next_cursor']}"
        ).get_json()
        seen.extend(e["object_id"] for e in page["items"])
    assert [int(object_id) for object_id in seen[:5]] == created[::-1]
    actor = _events(authority, action="item.create")[0]["actor"]
    assert {e["actor"] for e in _events(authority, actor=actor)} == {actor}
    assert _events(authority, since="2999-01-01T00:00:00Z") == []
    bad = authority.get(f"{EVENTS}?cursor=not-a-cursor")
    assert bad.status_code == 422


def test_the_audit_trail_cannot_be_changed_through_the_api(supplier, authority):
    create_system(supplier)
    event_id = _events(authority)[0]["id"]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert authority.open(method, EVENTS, json={}).status_code == 405
        assert authority.open(method, f"{EVENTS}/{event_id}", json={}).status_code == 404
    assert _events(authority)[0]["id"] == event_id


def test_verify_reports_intact_then_the_row_edited_in_the_database(supplier, authority, db):
    system, _ = create_system(supplier)
    create_system(supplier, name="Another")
    report = authority.get(VERIFY).get_json()
    assert report["intact"] is True
    assert report["first_broken_event_id"] is None

    event = _events(authority, object_type="catalogue_item", object_id=system["id"])[0]
    db.execute(
        update(AuditEvent)
        .where(AuditEvent.id == event["id"])
        .values(actor_name="someone else entirely")
    )
    db.flush()
    report = authority.get(VERIFY).get_json()
    assert report["intact"] is False
    assert report["first_broken_event_id"] == event["id"]
    assert report["reason"]


def test_only_the_authority_verifies(supplier, commissioner):
    assert supplier.get(VERIFY).status_code == 403
    assert commissioner.get(VERIFY).status_code == 403


HEAD = "/api/v1/audit-events/head"


@pytest.fixture
def anchor_key(app, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "GPSOC_AUDIT_ANCHOR_KEY", "a key kept by the operator")
    return "a key kept by the operator"


def _verify_against(caller, anchor: dict):
    query = "&".join(f"{name}={anchor[name]}" for name in ("sequence", "head_hash", "signature"))
    return caller.get(f"{VERIFY}?{query}")


def test_the_head_is_signed_and_verify_accepts_it_while_the_chain_holds(
    supplier, authority, anchor_key
):
    create_system(supplier)
    head = authority.get(HEAD)
    assert head.status_code == 200, head.get_json()
    anchor = head.get_json()
    assert anchor["algorithm"] == "HMAC-SHA256"
    expected = hmac.new(
        anchor_key.encode(),
        f"gpsoc-audit-head:{anchor['sequence']}:{anchor['head_hash']}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert anchor["signature"] == expected

    create_system(supplier, name="Later")  # the chain grows past the anchor: still intact
    report = _verify_against(authority, anchor).get_json()
    assert report == {**report, "intact": True, "anchor_checked": True}


def test_an_anchor_detects_the_newest_events_deleted_with_a_rewound_head(
    supplier, authority, db, anchor_key
):
    create_system(supplier)
    before = authority.get(HEAD).get_json()
    create_system(supplier, name="To be erased")
    anchor = authority.get(HEAD).get_json()
    assert anchor["sequence"] > before["sequence"]

    # Whoever holds the database erases the newest events and rewinds the head row with them.
    db.execute(delete(AuditEvent).where(AuditEvent.id > before["sequence"]))
    db.execute(
        update(AuditChainHead).values(
            last_event_id=before["sequence"], last_hash=before["head_hash"]
        )
    )
    db.flush()
    assert authority.get(VERIFY).get_json()["intact"] is True  # undetectable from inside

    report = _verify_against(authority, anchor).get_json()
    assert report["intact"] is False and report["anchor_checked"] is True
    assert report["first_broken_event_id"] == before["sequence"] + 1
    assert "removed" in report["reason"]


def test_an_anchor_detects_a_rewritten_head_event(supplier, authority, db, anchor_key):
    create_system(supplier)
    anchor = authority.get(HEAD).get_json()
    db.execute(update(AuditEvent).where(AuditEvent.id == anchor["sequence"]).values(hash="f" * 64))
    db.flush()
    report = _verify_against(authority, anchor).get_json()
    assert report["intact"] is False
    assert report["first_broken_event_id"] == anchor["sequence"]


def test_a_forged_or_partial_anchor_is_a_422(supplier, authority, anchor_key):
    create_system(supplier)
    anchor = authority.get(HEAD).get_json()
    forged = {**anchor, "sequence": anchor["sequence"] + 5}
    response = _verify_against(authority, forged)
    assert response.status_code == 422
    assert "signature" in str(response.get_json()["errors"])
    response = authority.get(f"{VERIFY}?sequence={anchor['sequence']}")
    assert response.status_code == 422


def test_without_a_key_the_head_is_unsigned_and_anchors_are_refused(supplier, authority):
    create_system(supplier)
    anchor = authority.get(HEAD).get_json()
    assert anchor["signature"] is None
    response = _verify_against(authority, {**anchor, "signature": "0" * 64})
    assert response.status_code == 422


def test_only_the_authority_reads_the_head(supplier, commissioner, anonymous):
    assert supplier.get(HEAD).status_code == 403
    assert commissioner.get(HEAD).status_code == 403
    assert anonymous.get(HEAD).status_code == 401


def test_the_service_anchors_by_itself_and_verify_checks_its_newest_anchor(
    supplier, authority, db, app, tmp_path, monkeypatch, anchor_key
):
    """Without an anchor kept by anyone, events deleted with a rewound head are found all the
    same: the serving process anchored the head (here its timer's one tick, called directly)."""
    from api.audit_events import anchoring

    monkeypatch.setitem(app.config, anchoring.FILE_CONFIG, str(tmp_path / "anchors.jsonl"))
    create_system(supplier)
    before = authority.get(HEAD).get_json()
    create_system(supplier, name="To be erased")
    assert anchoring.anchor_now(app) is not None
    assert anchoring.anchor_now(app) is None  # the head has not moved: nothing more to keep
    assert authority.get(VERIFY).get_json() == {
        "intact": True,
        "events_checked": before["sequence"] + 1,
        "first_broken_event_id": None,
        "reason": None,
        "anchor_checked": True,
    }

    db.execute(delete(AuditEvent).where(AuditEvent.id > before["sequence"]))
    db.execute(
        update(AuditChainHead).values(
            last_event_id=before["sequence"], last_hash=before["head_hash"]
        )
    )
    db.flush()
    report = authority.get(VERIFY).get_json()
    assert report["intact"] is False and report["anchor_checked"] is True
    assert report["first_broken_event_id"] == before["sequence"] + 1
