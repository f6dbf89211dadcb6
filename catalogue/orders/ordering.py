"""Placing, changing, reading and moving call-off orders.

Inputs are plain dicts of the API's fields (the schemas validate shapes; the rules live here):
framework (slug), supplier_id, description, commencement_date, term_months, recipients (ODS
codes), items ([{catalogue_item_id, price_id, quantities: {ODS: n}}]), migration
({previous_system_id, planned_go_live, audit_trail_option, audit_trail_quantity} or None).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import (
    CallOffCounter,
    CallOffItem,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    ItemKind,
    ItemStatus,
    Lot,
    OrderStatus,
    Organisation,
    OrganisationKind,
    Price,
    Supplier,
    utcnow,
)
from catalogue.orders.dates import add_months
from catalogue.orders.from_selection import prefilled
from catalogue.orders.lifecycle import RULES, Transition, allowed_from
from catalogue.orders.migration import audit_trail_sources
from catalogue.orders.terms import copy_terms, terms_of
from catalogue.pricing import PriceTerms, default_quantity
from catalogue.principal import Principal, Role
from catalogue.validation import FieldErrors

OBJECT_TYPE = "call_off_order"
MAX_COMMENCEMENT_AGE_MONTHS = 3
# An order is placed for a service about to start: commencement at most this far ahead of
# today, or up to the framework's (continuity) end date where that is later.
MAX_COMMENCEMENT_AHEAD_MONTHS = 12


def format_call_off_id(number: int, revision: int) -> str:
    return f"C{number:06d}-{revision:02d}"


def request_fingerprint(data: Mapping[str, Any]) -> str:
    """A digest of a create request, to tell a retry from a different request under one key."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# ----------------------------------------------------------------------------------- reading


def _loading_options(lines: bool = True) -> tuple[ExecutableOption, ...]:
    """What reading an order loads; without `lines`, only the order and its items (the cost
    estimate reads recipients and quantities as plain rows)."""
    if not lines:
        return (
            joinedload(CallOffOrder.framework),
            joinedload(CallOffOrder.previous_system).options(
                joinedload(CatalogueItem.supplier),
                joinedload(CatalogueItem.lot),
                selectinload(CatalogueItem.prices).selectinload(Price.tiers),
            ),
            selectinload(CallOffOrder.items).options(
                joinedload(CallOffItem.catalogue_item).options(
                    joinedload(CatalogueItem.lot),
                    joinedload(CatalogueItem.parent),
                    joinedload(CatalogueItem.supplier),
                ),
            ),
        )
    return (
        joinedload(CallOffOrder.commissioner),
        joinedload(CallOffOrder.supplier),
        joinedload(CallOffOrder.framework),
        joinedload(CallOffOrder.previous_system).joinedload(CatalogueItem.supplier),
        selectinload(CallOffOrder.recipients).joinedload(CallOffRecipient.organisation),
        selectinload(CallOffOrder.items).options(
            joinedload(CallOffItem.catalogue_item).options(
                joinedload(CatalogueItem.lot),
                joinedload(CatalogueItem.parent),
                joinedload(CatalogueItem.supplier),
            ),
            selectinload(CallOffItem.quantities),
        ),
    )


def _visible_to(query: Select, viewer: Principal) -> Select:
    """A commissioner sees its own orders; a supplier those placed with it (once submitted:
    a draft is the commissioner's work in progress); a practice those it receives; the
    authority all."""
    if viewer.role is Role.COMMISSIONER:
        return query.where(CallOffOrder.commissioner_id == viewer.organisation_id)
    if viewer.role is Role.SUPPLIER:
        return query.where(
            CallOffOrder.supplier_id == viewer.supplier_id,
            CallOffOrder.submitted_at.is_not(None),
        )
    if viewer.role is Role.PRACTICE:  # read-only: the orders it is a service recipient of
        return query.where(
            CallOffOrder.id.in_(
                select(CallOffRecipient.order_id).where(
                    CallOffRecipient.organisation_id == viewer.organisation_id
                )
            )
        )
    if viewer.role is not Role.AUTHORITY:
        return query.where(false())  # a role added later sees nothing until it is given a rule
    return query


def get_order(
    session: Session,
    viewer: Principal,
    call_off_id: str,
    *,
    for_update: bool = False,
    lines: bool = True,
) -> CallOffOrder:
    """One order the viewer may see (others are 404, so their existence is not revealed)."""
    query = _visible_to(select(CallOffOrder), viewer).where(
        CallOffOrder.call_off_id == call_off_id.upper()
    )
    if for_update:
        # Lock the row first (no joins: FOR UPDATE cannot apply to outer joins), then load.
        order_id = session.scalar(
            query.with_only_columns(CallOffOrder.id).with_for_update(of=CallOffOrder)
        )
        if order_id is None:
            raise NotFound(f"No order {call_off_id}.")
        query = select(CallOffOrder).where(CallOffOrder.id == order_id)
    order = session.scalars(
        query.options(*_loading_options(lines)).execution_options(populate_existing=for_update)
    ).first()
    if order is None:
        raise NotFound(f"No order {call_off_id}.")
    return order


def list_orders(
    session: Session,
    viewer: Principal,
    page: int,
    page_size: int,
    status: OrderStatus | None = None,
) -> tuple[list[CallOffOrder], int]:
    query = _visible_to(select(CallOffOrder.id), viewer)
    if status is not None:
        query = query.where(CallOffOrder.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page_ids = (
        query.order_by(CallOffOrder.number.desc(), CallOffOrder.revision.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    orders = session.scalars(
        select(CallOffOrder)
        .where(CallOffOrder.id.in_(page_ids.scalar_subquery()))
        .options(*_loading_options())
        .order_by(CallOffOrder.number.desc(), CallOffOrder.revision.desc())
    ).unique()
    return list(orders), total


def revisions_of(session: Session, order: CallOffOrder) -> list[str]:
    return list(
        session.scalars(
            select(CallOffOrder.call_off_id)
            .where(CallOffOrder.number == order.number)
            .order_by(CallOffOrder.revision)
        )
    )


# ------------------------------------------------------------------------------ validation


INVALID_ORDER = "The order is not valid."


def _check_framework(framework: Framework, errors: FieldErrors) -> None:
    if framework.status is not FrameworkStatus.LIVE:
        errors.add(
            "framework",
            f"{framework.name} is {framework.status.value}; orders need a live framework.",
        )


def latest_commencement(framework: Framework, today: date) -> date:
    ahead = add_months(today, MAX_COMMENCEMENT_AHEAD_MONTHS)
    return max(ahead, framework.continuity_end_date or framework.end_date)


def term_end(order: CallOffOrder, today: date) -> date:
    """The last day a go-live may fall on: the end of the term (the longest the framework
    allows while the term is open, from the latest commencement while that is open)."""
    start = order.commencement_date or latest_commencement(order.framework, today)
    months = order.term_months or order.framework.max_term_months
    return add_months(start, months) - timedelta(days=1)


def _check_dates(order: CallOffOrder, errors: FieldErrors, today: date) -> None:
    earliest = add_months(today, -MAX_COMMENCEMENT_AGE_MONTHS)
    latest = latest_commencement(order.framework, today)
    if order.commencement_date is not None and order.commencement_date < earliest:
        errors.add(
            "commencement_date",
            f"Cannot be more than {MAX_COMMENCEMENT_AGE_MONTHS} months in the past "
            f"(earliest {earliest.isoformat()}).",
        )
    elif order.commencement_date is not None and order.commencement_date > latest:
        errors.add("commencement_date", f"Cannot be later than {latest.isoformat()}.")
    maximum = order.framework.max_term_months
    if order.term_months is not None and not 1 <= order.term_months <= maximum:
        errors.add("term_months", f"Between 1 and the framework's maximum of {maximum} months.")


def _check_planned_go_live(order: CallOffOrder, errors: FieldErrors, today: date) -> None:
    """The planned business go-live falls within the order's term."""
    planned = order.planned_go_live
    if planned is None or "commencement_date" in errors or "term_months" in errors:
        return
    if order.commencement_date is not None and planned < order.commencement_date:
        errors.add("migration.planned_go_live", "Cannot be before the commencement date.")
        return
    end = term_end(order, today)
    if planned > end:
        errors.add(
            "migration.planned_go_live",
            f"Must fall within the order's term (by {end.isoformat()}).",
        )


def _resolve_practices(
    session: Session, actor: Principal, ods_codes: Sequence[str], errors: FieldErrors
) -> list[Organisation]:
    codes = [code.strip().upper() for code in ods_codes]
    if len(set(codes)) != len(codes):
        errors.add("recipients", "Each practice may appear once.")
    found = {
        organisation.ods_code: organisation
        for organisation in session.scalars(
            select(Organisation).where(Organisation.ods_code.in_(set(codes)))
        )
    }
    practices: list[Organisation] = []
    foreign: list[str] = []
    for code in dict.fromkeys(codes):
        organisation = found.get(code)
        if organisation is None or organisation.kind is not OrganisationKind.PRACTICE:
            errors.add("recipients", f"{code} is not the ODS code of a known practice.")
        elif organisation.commissioner_id != actor.organisation_id:
            foreign.append(code)
        else:
            practices.append(organisation)
    if foreign:
        raise Forbidden(
            f"Not practices of your organisation: {', '.join(foreign)}. A commissioner orders "
            "only for its own practices.",
            {"recipients": [f"{code} belongs to another commissioner." for code in foreign]},
        )
    return practices


def _load_items(session: Session, ids: set[int]) -> dict[int, CatalogueItem]:
    items = session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.id.in_(ids))
        .options(
            joinedload(CatalogueItem.lot).joinedload(Lot.framework),
            joinedload(CatalogueItem.parent),
            selectinload(CatalogueItem.prices).selectinload(Price.tiers),
        )
    ).unique()
    return {item.id: item for item in items}


def _line_quantities(
    line: Mapping[str, Any],
    field: str,
    practices: Sequence[Organisation],
    terms: PriceTerms,
    errors: FieldErrors,
) -> dict[int, int]:
    """A line's quantity per recipient, by practice id: as given, else the price's default."""
    recipients = {practice.ods_code for practice in practices}
    given = {code.strip().upper(): n for code, n in (line.get("quantities") or {}).items()}
    for code, quantity in given.items():
        if code not in recipients:
            errors.add(field, f"{code} is not a recipient of the order.")
        elif quantity <= 0:
            errors.add(field, f"{code}: a quantity must be at least 1.")
    return {
        practice.id: given.get(practice.ods_code) or default_quantity(terms, practice) or 1
        for practice in practices
    }


def _build_items(
    session: Session,
    order: CallOffOrder,
    lines: Sequence[Mapping[str, Any]],
    practices: Sequence[Organisation],
    errors: FieldErrors,
) -> list[CallOffItem]:
    catalogue = _load_items(session, {line["catalogue_item_id"] for line in lines})
    # Lines already on the order are kept as they are (their terms, and no delete-and-insert of
    # the same price, which the unique (order, price) constraint would refuse mid-flush).
    existing = {
        (line.catalogue_item_id, line.price_id): line
        for line in order.items
        if line.price_id is not None
    }
    built: list[CallOffItem] = []
    seen_prices: set[int] = set()
    for index, line in enumerate(lines):
        field = f"items.{index}"
        item = catalogue.get(line["catalogue_item_id"])
        if item is None or item.status is not ItemStatus.PUBLISHED:
            errors.add(field, f"No published catalogue item {line['catalogue_item_id']}.")
            continue
        if item.supplier_id != order.supplier_id:
            errors.add(field, f"{item.name} is not an item of {order.supplier.name}.")
            continue
        if item.lot.framework_id != order.framework_id:
            errors.add(field, f"{item.name} is not on {order.framework.name}.")
            continue
        price = next((p for p in item.prices if p.id == line["price_id"]), None)
        frozen: PriceTerms | None = line.get("terms")  # a locked selection's snapshot
        if frozen is not None and frozen.price_id != line["price_id"]:
            frozen = None
        if price is None and frozen is None:
            errors.add(field, f"Price {line['price_id']} is not a price of {item.name}.")
            continue
        if line["price_id"] in seen_prices:
            name = frozen.name if frozen is not None else cast(Price, price).name
            errors.add(field, f"{item.name}: {name} is already on the order.")
            continue
        seen_prices.add(line["price_id"])
        ordered = existing.get((item.id, line["price_id"]))
        if ordered is not None:
            terms = terms_of(ordered)  # already on this order: the terms it was ordered at
        else:
            # The snapshot's price may since have been deleted from the catalogue: no reference.
            ordered = CallOffItem(catalogue_item=item, price=price)
            # One of them is there (checked above).
            terms = (
                frozen if frozen is not None else PriceTerms.from_price(item, cast(Price, price))
            )
            copy_terms(ordered, terms)
        quantities = _line_quantities(line, f"{field}.quantities", practices, terms, errors)
        _set_quantities(ordered, quantities)
        built.append(ordered)
    return built


def _set_quantities(line: CallOffItem, wanted: Mapping[int, int]) -> None:
    """Quantities by organisation id, updating the rows a line already has."""
    have = {quantity.organisation_id: quantity for quantity in line.quantities}
    rows = []
    for organisation_id, amount in wanted.items():
        row = have.get(organisation_id)
        if row is None:
            row = CallOffQuantity(organisation_id=organisation_id, quantity=amount)
        else:
            row.quantity = amount
        rows.append(row)
    line.quantities = rows


def _reconcile_quantities(order: CallOffOrder, practices: Sequence[Organisation]) -> None:
    """After the recipients change: keep quantities of those who stay, default the new."""
    wanted = {practice.id: practice for practice in practices}
    for item in order.items:
        kept = [q for q in item.quantities if q.organisation_id in wanted]
        have = {q.organisation_id for q in kept}
        for practice in practices:
            if practice.id not in have:
                quantity = default_quantity(terms_of(item), practice) or 1
                kept.append(CallOffQuantity(organisation_id=practice.id, quantity=quantity))
        item.quantities = kept


def _set_recipients(order: CallOffOrder, practices: Sequence[Organisation]) -> None:
    existing = {recipient.organisation_id: recipient for recipient in order.recipients}
    order.recipients = [
        existing.get(practice.id) or CallOffRecipient(organisation=practice)
        for practice in practices
    ]


# A practice's previous system may since have been suspended or withdrawn, but it must once have
# been published: a draft (or one never approved) was never in the catalogue for anyone to use.
_ONCE_PUBLISHED = frozenset({ItemStatus.SUSPENDED, ItemStatus.WITHDRAWN})


def may_be_previous_system(item: CatalogueItem) -> bool:
    """Whether an order may name `item` as the system a practice is leaving."""
    if item.kind is not ItemKind.SYSTEM:
        return False
    if item.status is ItemStatus.PUBLISHED:
        return True
    return item.status in _ONCE_PUBLISHED and item.published_at is not None


def _apply_migration(
    session: Session, order: CallOffOrder, migration: Mapping[str, Any] | None, errors: FieldErrors
) -> None:
    if migration is None:
        order.previous_system_id = None
        order.previous_system = None
        order.planned_go_live = order.audit_trail_option = order.audit_trail_quantity = None
        return
    previous = session.get(CatalogueItem, migration["previous_system_id"])
    if previous is None or not may_be_previous_system(previous):
        # One message whether it does not exist or may not be seen: another supplier's draft
        # does not exist for the commissioner.
        errors.add(
            "migration.previous_system_id",
            f"{migration['previous_system_id']} is not a principal system in the catalogue.",
        )
        return
    order.previous_system = previous
    order.planned_go_live = migration.get("planned_go_live")
    order.audit_trail_option = migration.get("audit_trail_option")
    order.audit_trail_quantity = migration.get("audit_trail_quantity")
    option = order.audit_trail_option
    if option is not None and not audit_trail_sources(session, previous)[option].available:
        errors.add(
            "migration.audit_trail_option",
            f"{previous.supplier.name} lists no such service for {previous.name}.",
        )


def _apply(
    session: Session,
    actor: Principal,
    order: CallOffOrder,
    data: Mapping[str, Any],
    errors: FieldErrors,
    today: date,
) -> None:
    """Set the fields present in `data`, checking every rule; errors collect in `errors`."""
    for name in ("description", "commencement_date", "term_months"):
        if name in data:
            setattr(order, name, data[name] if name != "description" else data[name] or "")
    _check_dates(order, errors, today)
    if "recipients" in data:
        practices = _resolve_practices(session, actor, data["recipients"], errors)
    else:
        practices = [recipient.organisation for recipient in order.recipients]
    if "items" in data:
        order.items = _build_items(session, order, data["items"], practices, errors)
    elif "recipients" in data:
        _reconcile_quantities(order, practices)
    if "recipients" in data:
        _set_recipients(order, practices)
    if "migration" in data:
        _apply_migration(session, order, data["migration"], errors)
    _check_planned_go_live(order, errors, today)


def summary(order: CallOffOrder) -> dict[str, Any]:
    """What the audit trail records of an order."""
    return {
        "status": order.status.value,
        "supplier_id": order.supplier_id,
        "framework_id": order.framework_id,
        "description": order.description,
        "commencement_date": order.commencement_date,
        "term_months": order.term_months,
        "recipients": sorted(r.organisation.ods_code for r in order.recipients),
        "items": [
            {
                "catalogue_item_id": item.catalogue_item.id,
                "price_id": item.price_id,
                "terms": {k: v for k, v in terms_of(item).to_json().items() if k != "price_id"},
                "quantities": {str(q.organisation_id): q.quantity for q in item.quantities},
            }
            for item in order.items
        ],
        "previous_system_id": order.previous_system.id if order.previous_system else None,
        "planned_go_live": order.planned_go_live,
        "audit_trail_option": order.audit_trail_option,
        "audit_trail_quantity": order.audit_trail_quantity,
        "go_live_date": order.go_live_date,
        "status_reason": order.status_reason,
    }


def _record(
    session: Session, actor: Principal, action: str, order: CallOffOrder, **changes: Any
) -> None:
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        order.call_off_id,
        # The supplier sees an order's events from submission on, as it sees the order: a
        # draft (and a draft amendment) is the commissioner's work in progress.
        supplier_id=order.supplier_id if order.submitted_at is not None else None,
        organisation_id=order.commissioner_id,
        **changes,
    )


# ---------------------------------------------------------------------------------- placing


def _next_number(session: Session) -> int:
    """The next call-off number, from a counter row locked for the rest of the transaction."""
    counter = session.scalars(select(CallOffCounter).with_for_update()).first()
    if counter is None:
        # The migration creates the row; a schema made another way may lack it (a second
        # creator racing to add it fails on the primary key: a 409, never a duplicate number).
        counter = CallOffCounter(id=1, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return counter.last_number


def _by_key(session: Session, commissioner_id: int, key: str) -> CallOffOrder | None:
    return session.scalars(
        select(CallOffOrder).where(
            CallOffOrder.commissioner_id == commissioner_id,
            CallOffOrder.idempotency_key == key,
        )
    ).first()


def _replay(existing: CallOffOrder, fingerprint: str) -> CallOffOrder:
    if existing.request_fingerprint != fingerprint:
        # As the IETF Idempotency-Key draft says: reuse with another payload is a 422.
        raise InvalidInput(
            "This Idempotency-Key was used for a different request.",
            {"Idempotency-Key": ["Already used with another body; use a new key."]},
        )
    return existing


@dataclass(frozen=True)
class Placed:
    order: CallOffOrder
    created: bool  # False when a retried request returned the first order


def _framework_and_supplier(
    session: Session, data: Mapping[str, Any]
) -> tuple[Framework, Supplier]:
    """The framework (live) and the supplier (active) a new order names."""
    errors = FieldErrors()
    framework = session.scalars(
        select(Framework).where(Framework.slug == data["framework"])
    ).first()
    supplier = session.get(Supplier, data["supplier_id"])
    if framework is None:
        errors.add("framework", f"No framework {data['framework']!r}.")
    else:
        _check_framework(framework, errors)
    if supplier is None or not supplier.active:
        errors.add("supplier_id", f"No active supplier {data['supplier_id']}.")
    errors.raise_if_any(INVALID_ORDER)
    assert framework is not None and supplier is not None
    return framework, supplier


def create_order(
    session: Session,
    actor: Principal,
    data: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    today: date | None = None,
) -> Placed:
    """Place a draft order. With an idempotency key, a retry returns the first order."""
    if actor.role is not Role.COMMISSIONER or actor.organisation_id is None:
        raise Forbidden("Only a commissioner places orders.")
    today = today or date.today()
    fingerprint = request_fingerprint(data)
    if idempotency_key is not None:
        existing = _by_key(session, actor.organisation_id, idempotency_key)
        if existing is not None:
            return Placed(_replay(existing, fingerprint), created=False)

    if data.get("selection_id") is not None:
        data = prefilled(session, actor, data)
    framework, supplier = _framework_and_supplier(session, data)

    order = CallOffOrder(
        commissioner_id=actor.organisation_id,
        supplier=supplier,
        supplier_id=supplier.id,
        framework=framework,
        framework_id=framework.id,
        status=OrderStatus.DRAFT,
        selection_id=data.get("selection_id"),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint if idempotency_key is not None else None,
        created_by=actor.label,
    )
    errors = FieldErrors()
    _apply(session, actor, order, data, errors, today)
    errors.raise_if_any(INVALID_ORDER)

    # Taking a number locks the counter row until commit, so creators queue here. Looking the
    # key up again after the lock sees an order committed by a request that got there first
    # (on PostgreSQL each statement reads what is committed); the unique constraint on
    # (commissioner, key) is the backstop, an IntegrityError answered with 409.
    number = _next_number(session)
    if idempotency_key is not None:
        existing = _by_key(session, actor.organisation_id, idempotency_key)
        if existing is not None:
            return Placed(_replay(existing, fingerprint), created=False)
    order.number, order.revision = number, 1
    order.call_off_id = format_call_off_id(number, 1)
    session.add(order)
    session.flush()
    _record(session, actor, "order.create", order, after=summary(order))
    return Placed(order, created=True)


def _require_owner(actor: Principal, order: CallOffOrder) -> None:
    if not actor.is_commissioner(order.commissioner_id):
        raise Forbidden("Only the commissioner that placed the order may change it.")


def update_order(
    session: Session,
    actor: Principal,
    order: CallOffOrder,
    data: Mapping[str, Any],
    *,
    today: date | None = None,
) -> CallOffOrder:
    """Change a draft: the fields present in `data` replace the current ones."""
    _require_owner(actor, order)
    if order.status is not OrderStatus.DRAFT:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}; only a draft can be changed.",
            {"status": ["Only a draft can be changed; amend a live order instead."]},
        )
    before = summary(order)
    errors = FieldErrors()
    _check_framework(order.framework, errors)
    _apply(session, actor, order, data, errors, today or date.today())
    errors.raise_if_any(INVALID_ORDER)
    session.flush()
    changed_before, changed_after = audit.changes(before, summary(order))
    if changed_after:
        order.updated_at = utcnow()
        _record(session, actor, "order.update", order, before=changed_before, after=changed_after)
    return order


def amend_order(session: Session, actor: Principal, order: CallOffOrder) -> CallOffOrder:
    """A new draft revision copied from a live order; both stay readable."""
    _require_owner(actor, order)
    if order.status is not OrderStatus.LIVE:
        raise Conflict(
            f"Order {order.call_off_id} is {order.status.value}; only a live order is amended.",
            {"status": ["Only a live order can be amended."]},
        )
    revision = _next_revision(session, order)
    copy = CallOffOrder(
        number=order.number,
        revision=revision,
        call_off_id=format_call_off_id(order.number, revision),
        commissioner_id=order.commissioner_id,
        supplier=order.supplier,
        supplier_id=order.supplier_id,
        framework=order.framework,
        framework_id=order.framework_id,
        status=OrderStatus.DRAFT,
        description=order.description,
        commencement_date=order.commencement_date,
        term_months=order.term_months,
        selection_id=order.selection_id,
        amends=order,
        previous_system=order.previous_system,
        planned_go_live=order.planned_go_live,
        audit_trail_option=order.audit_trail_option,
        audit_trail_quantity=order.audit_trail_quantity,
        created_by=actor.label,
    )
    copy.recipients = [CallOffRecipient(organisation=r.organisation) for r in order.recipients]
    copy.items = [_copied_item(item) for item in order.items]
    session.add(copy)
    session.flush()
    _record(
        session,
        actor,
        "order.amend",
        copy,
        after={"amends": order.call_off_id, **summary(copy)},
    )
    return copy


def _next_revision(session: Session, order: CallOffOrder) -> int:
    """The revision number of a new amendment; none while another one is open."""
    latest = session.scalars(
        select(CallOffOrder)
        .where(CallOffOrder.number == order.number)
        .order_by(CallOffOrder.revision.desc())
    ).first()
    if (
        latest is not None
        and latest.id != order.id  # an open amendment
        and latest.status is not OrderStatus.CANCELLED
    ):
        raise Conflict(
            f"{latest.call_off_id} already amends this order ({latest.status.value}).",
            {"revision": [f"Finish or cancel {latest.call_off_id} first."]},
        )
    return (latest.revision if latest is not None else order.revision) + 1


def _copied_item(item: CallOffItem) -> CallOffItem:
    """A line of the amendment: it keeps the terms the live revision was ordered at."""
    line = CallOffItem(
        catalogue_item=item.catalogue_item,
        price_id=item.price_id,
        quantities=[
            CallOffQuantity(organisation_id=q.organisation_id, quantity=q.quantity)
            for q in item.quantities
        ],
    )
    copy_terms(line, terms_of(item))
    return line


# ------------------------------------------------------------------------------ lifecycle


@dataclass(frozen=True)
class Missing:
    field: str
    message: str


def completeness(session: Session, order: CallOffOrder, today: date | None = None) -> list[Missing]:
    """What stops the order being submitted; empty when it is complete."""
    today = today or date.today()
    missing: list[Missing] = []
    errors = FieldErrors()
    _check_framework(order.framework, errors)
    _check_dates(order, errors, today)
    _check_planned_go_live(order, errors, today)
    for field, messages in errors.items():
        missing.extend(Missing(field, message) for message in messages)
    if order.commencement_date is None:
        missing.append(Missing("commencement_date", "Give the commencement date."))
    if order.term_months is None:
        missing.append(Missing("term_months", "Give the term in months."))
    if not order.recipients:
        missing.append(Missing("recipients", "Add at least one practice."))
    if not order.items:
        missing.append(Missing("items", "Add at least one catalogue item."))
    recipients = {r.organisation_id for r in order.recipients}
    for index, item in enumerate(order.items):
        if item.catalogue_item.status is not ItemStatus.PUBLISHED:
            missing.append(
                Missing(f"items.{index}", f"{item.catalogue_item.name} is no longer published.")
            )
        if {q.organisation_id for q in item.quantities} != recipients:
            missing.append(
                Missing(f"items.{index}.quantities", "Give a quantity for every recipient.")
            )
    if order.is_migration:
        if order.planned_go_live is None:
            missing.append(
                Missing("migration.planned_go_live", "Give the planned business go-live date.")
            )
        if order.audit_trail_option is None:
            missing.append(
                Missing(
                    "migration.audit_trail_option",
                    "Choose how the previous system's audit trail stays accessible.",
                )
            )
    return missing


def transition(
    session: Session,
    actor: Principal,
    order: CallOffOrder,
    name: Transition,
    *,
    reason: str | None = None,
    go_live_date: date | None = None,
    today: date | None = None,
) -> CallOffOrder:
    rule = RULES[name]
    _check_may(actor, order, name)
    reason = (reason or "").strip() or None
    if rule.needs_reason and reason is None:
        raise InvalidInput(f"Say why you {name.value} the order.", {"reason": ["Required."]})
    if name is Transition.SUBMIT:
        _check_complete(session, order, today)
    if name is Transition.GO_LIVE:
        _check_go_live(order, go_live_date, today)

    before = {"status": order.status.value}
    order.status = rule.target
    now = utcnow()
    if name is Transition.SUBMIT:
        order.submitted_at = now
    elif name is Transition.ACCEPT:
        order.accepted_at = now
    elif name is Transition.GO_LIVE:
        order.go_live_date = go_live_date
    if reason is not None:
        order.status_reason = reason
    order.updated_at = now
    session.flush()  # the version check: of two racing writers, one fails here
    after = {"status": order.status.value, "reason": reason, "go_live_date": go_live_date}
    _record(session, actor, f"order.{name.value}", order, before=before, after=after)
    if name is Transition.GO_LIVE and order.amends is not None:
        _supersede(session, actor, order.amends, order)
    return order


def _check_may(actor: Principal, order: CallOffOrder, name: Transition) -> None:
    """The actor is a party the transition is for, and the order is in one of its sources."""
    rule = RULES[name]
    party = actor.is_commissioner(order.commissioner_id) or actor.is_supplier(order.supplier_id)
    if actor.role not in rule.roles or not party:
        names = " or ".join(sorted(role.value for role in rule.roles))
        raise Forbidden(f"Only the order's {names} may {name.value} it.")
    if order.status not in rule.sources:
        allowed = [t.value for t in allowed_from(order.status)]
        listed = ", ".join(allowed) if allowed else "none (the order is closed)"
        raise Conflict(
            f"Cannot {name.value} an order that is {order.status.value}. Allowed: {listed}.",
            {"transition": [f"Allowed from {order.status.value}: {listed}."]},
        )


def _check_complete(session: Session, order: CallOffOrder, today: date | None) -> None:
    incomplete = FieldErrors()
    for item in completeness(session, order, today):
        incomplete.add(item.field, item.message)
    incomplete.raise_if_any("The order is not complete; see what is missing.", Conflict)


def _check_go_live(order: CallOffOrder, go_live_date: date | None, today: date | None) -> None:
    """Business go-live is recorded, within the order's term."""
    if go_live_date is None:
        raise InvalidInput("Record the business go-live date.", {"go_live_date": ["Required."]})
    if order.commencement_date is not None and go_live_date < order.commencement_date:
        raise InvalidInput(
            "Business go-live cannot precede commencement.",
            {"go_live_date": ["Cannot be before the commencement date."]},
        )
    end = term_end(order, today or date.today())
    if go_live_date > end:
        raise InvalidInput(
            "Business go-live must fall within the order's term.",
            {"go_live_date": [f"Cannot be after the end of the term ({end.isoformat()})."]},
        )


def _supersede(
    session: Session, actor: Principal, previous: CallOffOrder, successor: CallOffOrder
) -> None:
    """An amendment going live completes the revision it amends."""
    if previous.status is not OrderStatus.LIVE:
        return
    previous.status = OrderStatus.COMPLETED
    previous.status_reason = f"Superseded by {successor.call_off_id}."
    previous.updated_at = utcnow()
    session.flush()
    _record(
        session,
        actor,
        "order.supersede",
        previous,
        before={"status": OrderStatus.LIVE.value},
        after={"status": previous.status.value, "reason": previous.status_reason},
    )
