"""Who reads which audit events: objects of every kind and owner, arranged through the domain,
and the callers (of tests/functional/actors.py) that must find their events in
`GET /audit-events`; every other caller must find none.

Callers: "anonymous" (401), "authority", "supplier" (EMIS), "other_supplier" (TPP),
"commissioner" (13T), "practice" (A81001, one of 13T's practices).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalogue import accounts, orders, reference, selections
from catalogue.listings import writes
from catalogue.models import ItemKind
from catalogue.principal import CONSOLE, Principal, Role
from tests import factories
from tests.functional.authz_matrix import _commissioner, _order, _selection

AUTHORITY = frozenset({"authority"})


@dataclass(frozen=True)
class Seen:
    """The events of one object (optionally of one action), and who must read them."""

    object_type: str
    object_id: str
    readers: frozenset[str]
    action: str | None = None

    def query(self) -> str:
        query = f"object_type={self.object_type}&object_id={self.object_id}"
        return query + (f"&action={self.action}" if self.action else "")


def _draft_system(db: Session, slug: str) -> str:
    supplier = Principal(Role.SUPPLIER, slug, supplier_id=factories.supplier_id(db, slug))
    body: dict[str, Any] = {
        "kind": "system",
        "name": f"Audit matrix {slug}",
        "framework": "gpsoc-r",
        "lot": 1,
        "hosting": "hosted",
    }
    return str(writes.create_item(db, supplier, frozenset({ItemKind.SYSTEM}), body).id)


def _scanner_order(db: Session, commissioner: Principal, ods_code: str) -> str:
    """A draft order of additional IT (a scanner) for one practice."""
    scanner = factories.item(db, "scanwise-desktop-scanner")
    data = {
        "framework": "gpsoc-r",
        "supplier_id": scanner.supplier_id,
        "commencement_date": date.today().replace(day=1),
        "term_months": 36,
        "recipients": [ods_code],
        "items": [{"catalogue_item_id": scanner.id, "price_id": p.id} for p in scanner.prices],
    }
    return orders.create_order(db, commissioner, data).order.call_off_id


def _token(db: Session, ods_code: str) -> int:
    organisation = factories.organisation_id(db, ods_code)
    issued = accounts.issue_token(
        db, CONSOLE, Role.PRACTICE, f"{ods_code} person", organisation_id=organisation
    )
    db.flush()
    return issued.token.id


def _rename(db: Session, ods_code: str) -> str:
    organisation = factories.organisation(db, ods_code)
    reference.update_organisation(db, CONSOLE, organisation, {"list_size": 7777})
    return str(organisation.id)


def _blind_sheet(world: Any, closed: bool) -> Seen:
    """A practice evaluator (not the practice caller) scores in A81001's selection; with
    `closed`, the commissioner then closes scoring."""
    db = world.db
    chosen = _selection(world, criterion=True)
    token_id = _token(db, "A81001")
    evaluator = selections.name_evaluator(db, _commissioner(world), chosen, token_id)
    scorer = Principal(
        Role.PRACTICE,
        "evaluator",
        token_id=token_id,
        organisation_id=factories.organisation_id(db, "A81001"),
    )
    entry = selections.ScoreEntry(chosen.candidates[0].item_id, chosen.criteria[0].id, 2, "Thin")
    selections.enter_evaluations(db, scorer, chosen, evaluator, [entry])
    if closed:
        selections.close_scoring(db, _commissioner(world), chosen)
    db.flush()
    readers = frozenset({"authority", "commissioner", "practice"}) if closed else frozenset()
    return Seen("selection", str(chosen.id), readers, "selection.evaluation_entered")


def arrange(world: Any) -> dict[str, Seen]:
    """Every kind of object with events, named; `world` is authz_matrix.World."""
    db = world.db
    foreign = Principal(
        Role.COMMISSIONER, "05X", organisation_id=factories.organisation_id(db, "05X")
    )
    own_selection = _selection(world)
    other_selection = selections.create_selection(
        db, _commissioner(world), name="Other practice's", practice="A81002", framework="gpsoc-r"
    )
    submitted = _order(world, "submit")  # TPP's, for A81001
    db.flush()
    parties = frozenset({"authority", "commissioner", "practice"})
    rows = {
        "emis listing": Seen(
            "catalogue_item", _draft_system(db, "emis"), frozenset({"authority", "supplier"})
        ),
        "tpp listing": Seen(
            "catalogue_item", _draft_system(db, "tpp"), frozenset({"authority", "other_supplier"})
        ),
        "order placed with tpp for the practice": Seen(
            "call_off_order", submitted.call_off_id, parties | {"other_supplier"}
        ),
        "draft order for another practice": Seen(
            "call_off_order",
            _scanner_order(db, _commissioner(world), "A81002"),
            frozenset({"authority", "commissioner"}),
        ),
        "another commissioner's order": Seen(
            "call_off_order", _scanner_order(db, foreign, "M82001"), AUTHORITY
        ),
        "the practice's selection": Seen("selection", str(own_selection.id), parties),
        "another practice's selection": Seen(
            "selection", str(other_selection.id), frozenset({"authority", "commissioner"})
        ),
        "the practice itself": Seen("organisation", _rename(db, "A81001"), parties),
        "another practice": Seen(
            "organisation", _rename(db, "A81002"), frozenset({"authority", "commissioner"})
        ),
        "another commissioner's practice": Seen("organisation", _rename(db, "M82001"), AUTHORITY),
        "the practice's token": Seen(
            "token", str(_token(db, "A81001")), frozenset({"authority", "practice"})
        ),
        "another practice's token": Seen("token", str(_token(db, "A81002")), AUTHORITY),
        "blind scores while scoring is open": _blind_sheet(world, closed=False),
        "blind scores once scoring has closed": _blind_sheet(world, closed=True),
    }
    db.flush()
    return rows
