"""The expected outcome of every write operation of the API, for each kind of caller.

Every non-GET operation in /openapi.json must have a row here (a test checks), so whoever adds
a write endpoint adds its row: who may call it and, ideally, how to build a valid call.

Callers: "anonymous", "authority", "supplier" (EMIS, owner of the items the calls change),
"other_supplier" (TPP), "commissioner" (NHS Newcastle Gateshead CCG), "practice" (Riverside,
A81001, one of its practices). A caller in `allowed` must
succeed (2xx); any other is refused (401 anonymous, 403 or 404 otherwise) and nothing changes.

`build(world)` arranges what the call needs (a draft, a submitted item, a pending revision...)
and returns the call. A row without `build` is checked for role refusals only, with
placeholder path values; add a builder to check its allowed callers too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.common.concurrency import etag_value
from catalogue import accounts, notifications, orders, reference
from catalogue.listings import lifecycle, revisions, writes
from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    ItemKind,
    Lot,
    MaturityLevel,
    NotificationDelivery,
    NotificationEvent,
    Organisation,
    WebhookEndpoint,
)
from catalogue.principal import CONSOLE, Principal, Role
from tests import factories

CALLERS = ("anonymous", "authority", "supplier", "other_supplier", "commissioner", "practice")
SUPPLIERS = frozenset({"supplier", "other_supplier"})
OWNER = frozenset({"supplier"})
AUTHORITY = frozenset({"authority"})
COMMISSIONER = frozenset({"commissioner"})


@dataclass(frozen=True)
class Call:
    path: str  # under /api/v1
    json: Any = None
    etag: str | None = None


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    build: Callable[[World], Call] | None = None
    # Placeholder path values for rows without a builder, where {name} alone is not enough.
    placeholders: dict[str, str] = field(default_factory=dict)


class World:
    """Arranges objects through the domain, inside the test's transaction."""

    def __init__(self, db: Session, supplier_id: int):
        self.db = db
        self.supplier = Principal(Role.SUPPLIER, "matrix supplier", supplier_id=supplier_id)

    # ----------------------------------------------------------------- items
    def item(self, kind: ItemKind, status: str = "draft", revision: bool = False) -> CatalogueItem:
        kinds = frozenset({kind})
        body: dict[str, Any] = {
            "kind": kind.value,
            "name": f"Matrix {kind.value} {status}",
            "framework": "gpsoc-r",
            "lot": 1 if kind is not ItemKind.SERVICE else 2,
            "hosting": "hosted",
            "prices": [
                factories.price_body(
                    name="Licence", amount="100.00", effective_from=date(2015, 4, 1)
                )
            ],
        }
        if kind is ItemKind.SERVICE:
            body["category"] = "training"
        item = writes.create_item(self.db, self.supplier, kinds, body)
        steps = {
            "draft": [],
            "submitted": ["submit"],
            "published": ["submit", "publish"],
            "suspended": ["submit", "publish", "suspend"],
        }[status]
        for step in steps:
            actor = self.supplier if step == "submit" else CONSOLE
            lifecycle.transition(self.db, actor, item, step)
        if revision:
            revisions.propose_fields(self.db, self.supplier, item, {"name": "Matrix renamed"})
        self.db.flush()
        return item

    @staticmethod
    def item_etag(item: CatalogueItem) -> str:
        return f'"{etag_value("catalogue_item", item.id, item.version)}"'

    def capability_not_held(self, item: CatalogueItem) -> str:
        codes = self.db.scalars(select(Capability.code).order_by(Capability.code))
        return next(code for code in codes if code not in item.capability_codes)

    # ----------------------------------------------------------------- authority objects
    def framework(self, slug: str) -> Framework:
        return self.db.scalars(select(Framework).where(Framework.slug == slug)).one()

    def new_framework(self, *steps: str) -> Framework:
        framework = reference.create_framework(self.db, CONSOLE, _framework_body("matrix-fw"))
        for step in steps:
            reference.transition_framework(self.db, CONSOLE, framework, step)
        self.db.flush()
        return framework

    def etag(self, kind: str, obj: Any) -> str:
        return f'"{etag_value(kind, obj.id, obj.version)}"'

    def lot(self, slug: str, number: int) -> Lot:
        return self.db.scalars(
            select(Lot).join(Framework).where(Framework.slug == slug, Lot.number == number)
        ).one()

    def capability(self, code: str) -> Capability:
        return self.db.scalars(select(Capability).where(Capability.code == code)).one()

    def level(self, number: int) -> MaturityLevel:
        return self.db.scalars(select(MaturityLevel).where(MaturityLevel.level == number)).one()

    def organisation(self, ods_code: str) -> Organisation:
        return factories.organisation(self.db, ods_code)

    def token_id(self) -> int:
        issued = accounts.issue_token(self.db, CONSOLE, Role.AUTHORITY, "to be revoked")
        self.db.flush()
        return issued.token.id


def _framework_body(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": "Matrix framework",
        "start_date": date(2030, 1, 1),
        "end_date": date(2034, 12, 31),
        "max_term_months": 48,
        "funding_types": ["central", "commissioner"],
    }


# --------------------------------------------------------------------------- item rows


def _item_rows(collection: str, kind: ItemKind) -> dict[tuple[str, str], Rule]:
    base = f"/{collection}/{{item_id}}"

    def new_item(_world: World) -> Call:
        body: dict[str, Any] = {
            "name": f"New {kind.value}",
            "framework": "gpsoc-r",
            "lot": 1 if kind is not ItemKind.SERVICE else 2,
            "hosting": "hosted",
        }
        if kind is ItemKind.SERVICE:
            body["category"] = "support"
        else:
            body["kind"] = "system"
        return Call(f"/{collection}", body)

    def on(status: str, suffix: str = "", json=None, revision: bool = False, price=False):
        def build(world: World) -> Call:
            item = world.item(kind, status, revision=revision)
            path = f"/{collection}/{item.id}{suffix}"
            if price:
                path += f"/{item.prices[0].id}"
            return Call(path, json, world.item_etag(item))

        return build

    def capability(held: bool):
        def build(world: World) -> Call:
            item = world.item(kind, "published")
            if held:
                from catalogue.listings import accreditation

                code = world.capability_not_held(item)
                accreditation.grant(world.db, CONSOLE, item, code)
                world.db.flush()
                return Call(
                    f"/{collection}/{item.id}/capabilities/{code}", None, world.item_etag(item)
                )
            code = world.capability_not_held(item)
            return Call(
                f"/{collection}/{item.id}/capabilities", {"code": code}, world.item_etag(item)
            )

        return build

    def roadmap(status: str, entry: bool, json=None):
        """A call on the item's roadmap (on a published item the change becomes a revision),
        or on its one entry."""

        def build(world: World) -> Call:
            item = world.item(kind, status)
            path = f"/{collection}/{item.id}/roadmap"
            if entry:
                from catalogue.listings import roadmap_writes

                code = world.capability_not_held(item)
                planned = {"capability": code, "target_date": "2027-06-30"}
                created = roadmap_writes.create_entry(world.db, world.supplier, item, planned)
                world.db.flush()
                path += f"/{created.id}"
            body = json
            if body is None and not entry:
                body = {"capability": world.capability_not_held(item), "target_date": "2027-06-30"}
            return Call(path, body, world.item_etag(item))

        return build

    reason = {"reason": "Not ready."}
    return {
        ("POST", f"{base}/roadmap"): Rule(OWNER, roadmap("published", entry=False)),
        ("PATCH", f"{base}/roadmap/{{entry_id}}"): Rule(
            OWNER, roadmap("draft", entry=True, json={"status": "delivered"})
        ),
        ("DELETE", f"{base}/roadmap/{{entry_id}}"): Rule(OWNER, roadmap("draft", entry=True)),
        ("POST", f"/{collection}"): Rule(SUPPLIERS, new_item),
        ("PATCH", base): Rule(OWNER, on("draft", json={"name": "Renamed"})),
        ("POST", f"{base}/prices"): Rule(
            OWNER, on("draft", "/prices", json=factories.price_body(name="Support", amount="10.00"))
        ),
        ("PATCH", f"{base}/prices/{{price_id}}"): Rule(
            OWNER, on("draft", "/prices", json={"amount": "12.00"}, price=True)
        ),
        ("DELETE", f"{base}/prices/{{price_id}}"): Rule(OWNER, on("draft", "/prices", price=True)),
        ("POST", f"{base}/submit"): Rule(OWNER, on("draft", "/submit")),
        ("POST", f"{base}/publish"): Rule(AUTHORITY, on("submitted", "/publish")),
        ("POST", f"{base}/reject"): Rule(AUTHORITY, on("submitted", "/reject", json=reason)),
        ("POST", f"{base}/suspend"): Rule(AUTHORITY, on("published", "/suspend", json={})),
        ("POST", f"{base}/reinstate"): Rule(AUTHORITY, on("suspended", "/reinstate")),
        ("POST", f"{base}/withdraw"): Rule(AUTHORITY, on("published", "/withdraw", json={})),
        ("POST", f"{base}/capabilities"): Rule(AUTHORITY, capability(held=False)),
        ("DELETE", f"{base}/capabilities/{{code}}"): Rule(AUTHORITY, capability(held=True)),
        ("DELETE", f"{base}/revision"): Rule(OWNER, on("published", "/revision", revision=True)),
        ("POST", f"{base}/revision/approve"): Rule(
            AUTHORITY, on("published", "/revision/approve", revision=True)
        ),
        ("POST", f"{base}/revision/reject"): Rule(
            AUTHORITY, on("published", "/revision/reject", json=reason, revision=True)
        ),
    }


# --------------------------------------------------------------------------- authority rows


def _framework_transition(step: str, *before: str):
    def build(world: World) -> Call:
        framework = world.new_framework(*before)
        return Call(
            f"/frameworks/{framework.slug}/{step}", None, world.etag("framework", framework)
        )

    return build


def _new_framework(_world: World) -> Call:
    body = {**_framework_body("brand-new"), "start_date": "2030-01-01", "end_date": "2034-12-31"}
    return Call("/frameworks", body)


def _patch_framework(world: World) -> Call:
    framework = world.framework("gpsoc-r")
    return Call(
        "/frameworks/gpsoc-r", {"description": "New words."}, world.etag("framework", framework)
    )


def _new_lot(_world: World) -> Call:
    return Call(
        "/frameworks/gpsoc-r/lots",
        {"number": 9, "name": "Lot 9", "default_funding": "commissioner"},
    )


def _patch_lot(world: World) -> Call:
    lot = world.lot("gpsoc-r", 1)
    return Call("/frameworks/gpsoc-r/lots/1", {"description": "New words."}, world.etag("lot", lot))


def _new_capability(_world: World) -> Call:
    body = {"code": "matrix-capability", "name": "Matrix", "category": "clinical"}
    return Call("/capabilities", body)


def _patch_capability(world: World) -> Call:
    capability = world.capability("eps")
    return Call(
        "/capabilities/eps", {"description": "New words."}, world.etag("capability", capability)
    )


def _new_level(_world: World) -> Call:
    return Call("/maturity-levels", {"level": 9, "name": "Level 9", "required_capabilities": []})


def _patch_level(world: World) -> Call:
    level = world.level(3)
    return Call(
        "/maturity-levels/3", {"description": "New words."}, world.etag("maturity_level", level)
    )


def _new_organisation(world: World) -> Call:
    commissioner = world.organisation("13T")
    body = {
        "kind": "practice",
        "ods_code": "Z99999",
        "name": "Matrix Surgery",
        "commissioner_id": commissioner.id,
        "list_size": 5000,
    }
    return Call("/organisations", body)


def _patch_organisation(world: World) -> Call:
    practice = world.organisation("A81001")
    path = f"/organisations/{practice.id}"
    return Call(path, {"list_size": 8500}, world.etag("organisation", practice))


def _new_token(_world: World) -> Call:
    return Call("/tokens", {"role": "authority", "name": "Another"})


def _revoke_token(world: World) -> Call:
    return Call(f"/tokens/{world.token_id()}")


# --------------------------------------------------------------------------- webhook rows
# Endpoints belong to one party: the matrix's supplier (EMIS) owns the one the calls change.

ANY_PARTY = frozenset({"supplier", "other_supplier", "commissioner", "practice"})
HOOK_URL = "https://hooks.example.org/gpsoc"


def _endpoint(world: World) -> WebhookEndpoint:
    endpoint = notifications.register(world.db, world.supplier, HOOK_URL, ["order.submitted"])
    world.db.flush()
    return endpoint


def _endpoint_etag(endpoint: WebhookEndpoint) -> str:
    return f'"{etag_value("webhook_endpoint", endpoint.id, endpoint.version)}"'


def _new_endpoint(world: World) -> Call:
    return Call("/webhook-endpoints", {"url": HOOK_URL, "event_types": ["order.cancelled"]})


def _patch_endpoint(world: World) -> Call:
    endpoint = _endpoint(world)
    return Call(
        f"/webhook-endpoints/{endpoint.id}", {"description": "Renamed"}, _endpoint_etag(endpoint)
    )


def _delete_endpoint(world: World) -> Call:
    endpoint = _endpoint(world)
    return Call(f"/webhook-endpoints/{endpoint.id}", etag=_endpoint_etag(endpoint))


def _replay_delivery(world: World) -> Call:
    endpoint = _endpoint(world)
    event = NotificationEvent(
        type="order.submitted", object_type="call_off_order", object_id="C1", data={}
    )
    world.db.add(event)
    world.db.flush()
    delivery = NotificationDelivery(
        event_id=event.id,
        channel="webhook",
        recipient=f"endpoint:{endpoint.id}",
        endpoint_id=endpoint.id,
        status="sent",
    )
    world.db.add(delivery)
    world.db.flush()
    return Call(f"/webhook-endpoints/{endpoint.id}/deliveries/{delivery.id}/replay")


# --------------------------------------------------------------------------- order rows
# The matrix's commissioner (13T) orders from TPP ("other_supplier") for its practice A81001.


def _commissioner(world: World) -> Principal:
    return Principal(
        Role.COMMISSIONER, "matrix commissioner", organisation_id=world.organisation("13T").id
    )


def _order_body(world: World) -> dict[str, Any]:
    """A81001 runs EMIS LV: moving it to SystmOne is a migration (a valid, complete order)."""
    systmone = factories.item(world.db, "systmone")
    start = date.today().replace(day=1).isoformat()
    return {
        "framework": "gpsoc-r",
        "supplier_id": systmone.supplier_id,
        "commencement_date": start,
        "term_months": 36,
        "recipients": ["A81001"],
        "items": [
            {"catalogue_item_id": systmone.id, "price_id": price.id} for price in systmone.prices
        ],
        "migration": {"planned_go_live": start, "audit_trail_option": "single_user_retention"},
    }


def _domain_data(body: dict[str, Any]) -> dict[str, Any]:
    """The API's body as the domain takes it (dates as dates)."""
    start = date.fromisoformat(body["commencement_date"])
    migration = {**body["migration"], "planned_go_live": start}
    return {**body, "commencement_date": start, "migration": migration}


def _order(world: World, *steps: str):
    """A TPP order of 13T's, moved through `steps`."""
    data = _domain_data(_order_body(world))
    order = orders.create_order(world.db, _commissioner(world), data).order
    tpp = Principal(Role.SUPPLIER, "matrix tpp", supplier_id=order.supplier_id)
    for step in steps:
        actor = tpp if step in {"accept", "go-live"} else _commissioner(world)
        orders.transition(
            world.db, actor, order, orders.Transition(step), go_live_date=date.today()
        )
    world.db.flush()
    return order


def _order_call(order, suffix: str = "", json=None) -> Call:
    etag = f'"{etag_value("order", order.call_off_id, order.version)}"'
    return Call(f"/orders/{order.call_off_id}{suffix}", json, etag)


def _new_order(world: World) -> Call:
    return Call("/orders", _order_body(world))


def _patch_order(world: World) -> Call:
    return _order_call(_order(world), json={"term_months": 24})


def _cancel_submitted_order(world: World) -> Call:
    return _order_call(_order(world, "submit"), "/transitions/cancel", {"reason": "Not needed."})


def _amend_live_order(world: World) -> Call:
    return _order_call(_order(world, "submit", "accept", "go-live"), "/amendments")


def _submitted_migration(world: World):
    """A81001 leaving EMIS LV (EMIS is the matrix's "supplier", the previous supplier) for
    TPP's SystmOne: a submitted order, so notice is given."""
    data = _domain_data(_order_body(world))
    order = orders.create_order(world.db, _commissioner(world), data).order
    orders.transition(world.db, _commissioner(world), order, orders.Transition.SUBMIT)
    world.db.flush()
    (migration,) = order.migrations
    return migration


def _notice_call(migration, suffix: str, json=None) -> Call:
    key = f"{migration.order.call_off_id}/{migration.organisation.ods_code}"
    etag = f'"{etag_value("order-migration", key, migration.version)}"'
    return Call(f"/orders/{key.replace('/', '/migrations/')}{suffix}", json, etag)


def _acknowledge_notice(world: World) -> Call:
    return _notice_call(_submitted_migration(world), "/acknowledgement")


def _agree_go_live(world: World) -> Call:
    return _notice_call(_submitted_migration(world), "/go-live-agreement")


def _extend_notice(world: World) -> Call:
    migration = _submitted_migration(world)
    later = date.fromisoformat(_order_body(world)["commencement_date"]).replace(day=1)
    extended = date(later.year + 1, later.month, 1)
    return _notice_call(
        migration, "/notice-extension", {"service_end": extended.isoformat(), "reason": "Issues."}
    )


def _scanner_order(world: World, agreed: bool = False):
    """13T's draft order of Scanwise's desktop scanner for A81001: additional IT, which the
    practice pays unless the commissioner and the practice agree that the commissioner funds
    it (and, if `agreed`, both have)."""
    scanner = factories.item(world.db, "scanwise-desktop-scanner")
    data = {
        "framework": "gpsoc-r",
        "supplier_id": scanner.supplier_id,
        "commencement_date": date.today().replace(day=1),
        "term_months": 36,
        "recipients": ["A81001"],
        "items": [{"catalogue_item_id": scanner.id, "price_id": p.id} for p in scanner.prices],
    }
    order = orders.create_order(world.db, _commissioner(world), data).order
    if agreed:
        practice = Principal(
            Role.PRACTICE, "matrix practice", organisation_id=world.organisation("A81001").id
        )
        for side in (_commissioner(world), practice):
            orders.agree_funding(world.db, side, order, order.items[0].id, "Paperless plan.")
    world.db.flush()
    return order


def _agree_funding(world: World) -> Call:
    order = _scanner_order(world)
    suffix = f"/items/{order.items[0].id}/funding-agreement"
    return _order_call(order, suffix, {"reason": "Part of the practice's paperless plan."})


def _withdraw_funding(world: World) -> Call:
    order = _scanner_order(world, agreed=True)
    return _order_call(order, f"/items/{order.items[0].id}/funding-agreement")


# --------------------------------------------------------------------------- selection rows
# A selection of 13T's for its practice A81001, arranged through the domain.


def _selection(world: World, candidates=("emis-web",), criterion=False, score=False):
    from catalogue import selections
    from catalogue.models import CriterionGroup, CriterionKind

    owner = _commissioner(world)
    chosen = selections.create_selection(
        world.db, owner, name="Matrix selection", practice="A81001", framework="gpsoc-r"
    )
    ids = [factories.item_id(world.db, slug) for slug in candidates]
    if ids:
        selections.add_candidates(world.db, owner, chosen, ids)
    if criterion or score:
        added = selections.add_criterion(
            world.db,
            owner,
            chosen,
            selections.CriterionInput(
                CriterionKind.SHOULD, "Training", group=CriterionGroup.FEATURES, weight=1
            ),
        )
        if score:
            entry = selections.ScoreEntry(ids[0], added.id, 3, "Adequate")
            selections.enter_scores(world.db, owner, chosen, [entry])
    world.db.flush()
    return chosen


def _selection_call(world: World, chosen, suffix: str = "", json=None) -> Call:
    return Call(f"/selections/{chosen.id}{suffix}", json, world.etag("selection", chosen))


def _selection_rows():
    def new(_world: World) -> Call:
        return Call("/selections", {"name": "New", "practice": "A81001", "framework": "gpsoc-r"})

    def rename(world: World) -> Call:
        return _selection_call(world, _selection(world), json={"name": "Renamed"})

    def add_candidate(world: World) -> Call:
        systmone = world.db.scalars(
            select(CatalogueItem.id).where(CatalogueItem.slug == "systmone")
        ).one()
        return _selection_call(world, _selection(world), "/candidates", {"item_ids": [systmone]})

    def remove_candidate(world: World) -> Call:
        chosen = _selection(world)
        return _selection_call(world, chosen, f"/candidates/{chosen.candidates[0].item_id}")

    def add_criterion(world: World) -> Call:
        body = {"kind": "should", "name": "Support", "group": "service_levels", "weight": 1}
        return _selection_call(world, _selection(world), "/criteria", body)

    def change_criterion(world: World) -> Call:
        chosen = _selection(world, criterion=True)
        return _selection_call(world, chosen, f"/criteria/{chosen.criteria[0].id}", {"weight": 2})

    def remove_criterion(world: World) -> Call:
        chosen = _selection(world, criterion=True)
        return _selection_call(world, chosen, f"/criteria/{chosen.criteria[0].id}")

    def enter_scores(world: World) -> Call:
        chosen = _selection(world, criterion=True)
        score = {
            "item_id": chosen.candidates[0].item_id,
            "criterion_id": chosen.criteria[0].id,
            "score": 4,
            "justification": "Good",
        }
        return _selection_call(world, chosen, "/scores", {"scores": [score]})

    def remove_score(world: World) -> Call:
        chosen = _selection(world, score=True)
        criterion, item = chosen.criteria[0].id, chosen.candidates[0].item_id
        return _selection_call(world, chosen, f"/scores/{criterion}/{item}")

    def exclude(world: World) -> Call:
        chosen = _selection(world)
        item = chosen.candidates[0].item_id
        return _selection_call(
            world, chosen, f"/candidates/{item}/exclusion", {"reason": "Out of budget"}
        )

    def reinstate(world: World) -> Call:
        from catalogue import selections

        chosen = _selection(world)
        item = chosen.candidates[0].item_id
        selections.exclude_candidate(world.db, _commissioner(world), chosen, item, "Too dear")
        world.db.flush()
        return _selection_call(world, chosen, f"/candidates/{item}/exclusion")

    def name_evaluator(world: World) -> Call:
        chosen = _selection(world)
        return _selection_call(world, chosen, "/evaluators", {"token_id": _evaluator_token(world)})

    def remove_evaluator(world: World) -> Call:
        chosen, evaluator = _with_evaluator(world)
        return _selection_call(world, chosen, f"/evaluators/{evaluator.id}")

    def close_scoring(world: World) -> Call:  # the evaluator has entered nothing: say why
        chosen, _ = _with_evaluator(world)
        return _selection_call(world, chosen, "/close-scoring", {"reason": "Agreed together."})

    return (
        ("POST", "", new),
        ("PATCH", "/{selection_id}", rename),
        ("POST", "/{selection_id}/candidates", add_candidate),
        ("DELETE", "/{selection_id}/candidates/{item_id}", remove_candidate),
        ("PUT", "/{selection_id}/candidates/{item_id}/exclusion", exclude),
        ("DELETE", "/{selection_id}/candidates/{item_id}/exclusion", reinstate),
        ("POST", "/{selection_id}/criteria", add_criterion),
        ("PATCH", "/{selection_id}/criteria/{criterion_id}", change_criterion),
        ("DELETE", "/{selection_id}/criteria/{criterion_id}", remove_criterion),
        ("PUT", "/{selection_id}/scores", enter_scores),
        ("DELETE", "/{selection_id}/scores/{criterion_id}/{item_id}", remove_score),
        ("POST", "/{selection_id}/evaluators", name_evaluator),
        ("DELETE", "/{selection_id}/evaluators/{evaluator_id}", remove_evaluator),
        ("POST", "/{selection_id}/close-scoring", close_scoring),
    )


def _lock(world: World) -> Call:  # one candidate: a direct award, complete at once
    return _selection_call(world, _selection(world), "/lock")


def _evaluator_token(world: World) -> int:
    issued = accounts.issue_token(
        world.db,
        CONSOLE,
        Role.PRACTICE,
        "matrix evaluator",
        organisation_id=world.organisation("A81001").id,
    )
    world.db.flush()
    return issued.token.id


def _with_evaluator(world: World, criterion: bool = False):
    from catalogue import selections

    chosen = _selection(world, criterion=criterion)
    evaluator = selections.name_evaluator(
        world.db, _commissioner(world), chosen, _evaluator_token(world)
    )
    world.db.flush()
    return chosen, evaluator


def _evaluator_scores(world: World) -> Call:  # only the evaluator, none of the callers
    chosen, evaluator = _with_evaluator(world, criterion=True)
    entry = {
        "item_id": chosen.candidates[0].item_id,
        "criterion_id": chosen.criteria[0].id,
        "score": 4,
        "justification": "Good",
    }
    return Call(
        f"/selections/{chosen.id}/evaluators/{evaluator.id}/scores",
        {"scores": [entry]},
        world.etag("selection_evaluator", evaluator),
    )


def _sign_off(world: World) -> Call:  # a direct award is complete at once
    return _selection_call(world, _selection(world), "/sign-off")


def _withdraw_sign_off(world: World) -> Call:  # the practice withdraws none: harmless
    from catalogue import selections

    chosen = _selection(world)
    selections.sign_off(world.db, _commissioner(world), chosen)
    world.db.flush()
    return _selection_call(world, chosen, "/sign-off")


PARTIES = frozenset({"commissioner", "practice"})


MATRIX: dict[tuple[str, str], Rule] = {
    **_item_rows("systems", ItemKind.SYSTEM),
    **_item_rows("services", ItemKind.SERVICE),
    ("POST", "/frameworks"): Rule(AUTHORITY, _new_framework),
    ("PATCH", "/frameworks/{slug}"): Rule(AUTHORITY, _patch_framework),
    ("POST", "/frameworks/{slug}/open"): Rule(AUTHORITY, _framework_transition("open")),
    ("POST", "/frameworks/{slug}/go-live"): Rule(
        AUTHORITY, _framework_transition("go-live", "open")
    ),
    ("POST", "/frameworks/{slug}/expire"): Rule(
        AUTHORITY, _framework_transition("expire", "open", "go-live")
    ),
    ("POST", "/frameworks/{slug}/lots"): Rule(AUTHORITY, _new_lot),
    ("PATCH", "/frameworks/{slug}/lots/{number}"): Rule(AUTHORITY, _patch_lot),
    ("POST", "/capabilities"): Rule(AUTHORITY, _new_capability),
    ("PATCH", "/capabilities/{code}"): Rule(AUTHORITY, _patch_capability),
    ("POST", "/maturity-levels"): Rule(AUTHORITY, _new_level),
    ("PATCH", "/maturity-levels/{level}"): Rule(AUTHORITY, _patch_level),
    ("POST", "/organisations"): Rule(AUTHORITY, _new_organisation),
    ("PATCH", "/organisations/{organisation_id}"): Rule(AUTHORITY, _patch_organisation),
    ("POST", "/tokens"): Rule(AUTHORITY, _new_token),
    ("DELETE", "/tokens/{token_id}"): Rule(AUTHORITY, _revoke_token),
    # Orders: the commissioner places and changes; both parties move a submitted order.
    ("POST", "/orders"): Rule(COMMISSIONER, _new_order),
    ("PATCH", "/orders/{call_off_id}"): Rule(COMMISSIONER, _patch_order),
    ("POST", "/orders/{call_off_id}/transitions/{transition}"): Rule(
        frozenset({"commissioner", "other_supplier"}), _cancel_submitted_order
    ),
    ("POST", "/orders/{call_off_id}/amendments"): Rule(COMMISSIONER, _amend_live_order),
    # The ordering commissioner and the practice each agree that the commissioner funds
    # additional IT (each for its own side), or withdraw.
    ("PUT", "/orders/{call_off_id}/items/{line_id}/funding-agreement"): Rule(
        PARTIES, _agree_funding
    ),
    ("DELETE", "/orders/{call_off_id}/items/{line_id}/funding-agreement"): Rule(
        PARTIES, _withdraw_funding
    ),
    # Migration notices: the previous supplier (EMIS) acknowledges; the commissioner extends.
    ("POST", "/orders/{call_off_id}/migrations/{ods_code}/acknowledgement"): Rule(
        OWNER, _acknowledge_notice
    ),
    ("POST", "/orders/{call_off_id}/migrations/{ods_code}/notice-extension"): Rule(
        COMMISSIONER, _extend_notice
    ),
    # The practice (Riverside, A81001) agrees its own migration's planned go-live.
    ("POST", "/orders/{call_off_id}/migrations/{ods_code}/go-live-agreement"): Rule(
        frozenset({"practice"}), _agree_go_live
    ),
    # Selections: the owning commissioner (13T, for its practice A81001) and the authority.
    **{
        (method, f"/selections{suffix}"): Rule(frozenset({"commissioner", "authority"}), build)
        for method, suffix, build in _selection_rows()
    },
    # Nobody locks a selection by hand: both signatures lock it (a direct award too).
    ("POST", "/selections/{selection_id}/lock"): Rule(frozenset(), _lock),
    # Taking part: only the evaluator enters their own sheet (no caller here is one); either
    # party signs off and withdraws its own signature.
    ("PUT", "/selections/{selection_id}/evaluators/{evaluator_id}/scores"): Rule(
        frozenset(), _evaluator_scores
    ),
    ("POST", "/selections/{selection_id}/sign-off"): Rule(PARTIES, _sign_off),
    ("DELETE", "/selections/{selection_id}/sign-off"): Rule(PARTIES, _withdraw_sign_off),
    # Webhook endpoints: each party registers its own; only the owner changes one.
    ("POST", "/webhook-endpoints"): Rule(ANY_PARTY, _new_endpoint),
    ("PATCH", "/webhook-endpoints/{endpoint_id}"): Rule(OWNER, _patch_endpoint),
    ("DELETE", "/webhook-endpoints/{endpoint_id}"): Rule(OWNER, _delete_endpoint),
    ("POST", "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay"): Rule(
        OWNER, _replay_delivery
    ),
}
