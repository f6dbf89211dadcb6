"""Placing, changing, reading and moving call-off orders.

Inputs are plain dicts of the API's fields (the schemas validate shapes; the rules live here):
framework (slug), supplier_id, description, commencement_date, term_months, recipients (ODS
codes), items ([{catalogue_item_id, price_id, quantities: {ODS: n}}]), and for practices
changing system either `migrations` ([{ods_code, previous_system_id, planned_go_live,
audit_trail_option, audit_trail_quantity, notice_given_on}], one per recipient that changes
system) or the single `migration` object of the same fields but ods_code, applied to every
recipient not already on the ordered system. A previous system left out is the practice's
current one; one given must be it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from catalogue import audit
from catalogue.errors import Conflict, Forbidden, InvalidInput, NotFound
from catalogue.models import (
    AuditTrailOption,
    CallOffCounter,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CallOffUpgrade,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    ItemKind,
    ItemStatus,
    Lot,
    OrderStatus,
    Organisation,
    OrganisationKind,
    PracticeFundingAgreement,
    Price,
    ServiceCategory,
    Supplier,
    utcnow,
)
from catalogue.orders import upgrades
from catalogue.orders.dates import add_months, period_end
from catalogue.orders.from_selection import prefilled
from catalogue.orders.lifecycle import RULES, Transition, allowed_from
from catalogue.orders.migration import audit_trail_sources
from catalogue.orders.terms import copy_terms, terms_of
from catalogue.pricing import PriceTerms, default_quantity
from catalogue.principal import Principal, Role
from catalogue.validation import FieldErrors

OBJECT_TYPE = "call_off_order"
# A practice on GPSoC must run a Level 2 system (shared/seeds: "Choose and Book and ETP must be
# installed"); central funding requires it too.
MIN_SYSTEM_LEVEL = 2
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
    migrations = selectinload(CallOffOrder.migrations).options(
        joinedload(CallOffMigration.organisation),
        joinedload(CallOffMigration.previous_system).options(
            joinedload(CatalogueItem.supplier),
            joinedload(CatalogueItem.lot),
            selectinload(CatalogueItem.prices).selectinload(Price.tiers),
        ),
    )
    if not lines:
        return (
            joinedload(CallOffOrder.framework),
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
        migrations,
        selectinload(CallOffOrder.upgrades).options(
            joinedload(CallOffUpgrade.organisation), joinedload(CallOffUpgrade.system)
        ),
        selectinload(CallOffOrder.recipients).joinedload(CallOffRecipient.organisation),
        selectinload(CallOffOrder.items).options(
            joinedload(CallOffItem.catalogue_item).options(
                joinedload(CatalogueItem.lot),
                joinedload(CatalogueItem.parent),
                joinedload(CatalogueItem.supplier),
            ),
            selectinload(CallOffItem.quantities),
            selectinload(CallOffItem.practice_agreements),
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
    return period_end(start, months)


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


def migration_field(order: CallOffOrder, migration: CallOffMigration) -> str:
    """Where errors about a migration are reported: `migration` while the order has one (as
    the single-migration form says), `migrations.<ODS code>` otherwise."""
    if len(order.migrations) == 1:
        return "migration"
    return f"migrations.{migration.organisation.ods_code}"


def _check_migration_dates(order: CallOffOrder, errors: FieldErrors, today: date) -> None:
    """Each planned business go-live and notice date falls within the order's term."""
    if "commencement_date" in errors or "term_months" in errors:
        return
    end = term_end(order, today)
    for migration in order.migrations:
        field = migration_field(order, migration)
        planned = migration.planned_go_live
        if planned is not None:
            if order.commencement_date is not None and planned < order.commencement_date:
                errors.add(f"{field}.planned_go_live", "Cannot be before the commencement date.")
            elif planned > end:
                errors.add(
                    f"{field}.planned_go_live",
                    f"Must fall within the order's term (by {end.isoformat()}).",
                )
        notice = migration.notice_given_on
        if notice is not None and notice > end:
            errors.add(
                f"{field}.notice_given_on",
                f"Notice must be given within the order's term (by {end.isoformat()}).",
            )
        start = order.commencement_date or today
        if notice is not None and notice < add_months(start, -12):
            errors.add(
                f"{field}.notice_given_on",
                "Cannot be more than 12 months before the commencement date.",
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
        if below_level_2(item):
            errors.add(field, level_2_message(item))
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


def below_level_2(item: CatalogueItem) -> bool:
    return item.kind is ItemKind.SYSTEM and item.maturity_level < MIN_SYSTEM_LEVEL


def level_2_message(item: CatalogueItem) -> str:
    return (
        f"{item.name} is at Level {item.maturity_level}: a practice on GPSoC must run a Level "
        f"{MIN_SYSTEM_LEVEL} system (Choose and Book, Spine, PDS and the Electronic "
        "Prescription Service), so it cannot be ordered as a principal system."
    )


def ordered_systems(order: CallOffOrder) -> list[CatalogueItem]:
    """The principal systems the order is for."""
    systems: dict[int, CatalogueItem] = {}
    for line in order.items:
        if line.catalogue_item.kind is ItemKind.SYSTEM:
            systems.setdefault(line.catalogue_item.id, line.catalogue_item)
    return list(systems.values())


_MIGRATION_FIELDS = (
    "planned_go_live",
    "audit_trail_option",
    "audit_trail_quantity",
    "notice_given_on",
)


def _previous_system(
    session: Session, given: int, field: str, errors: FieldErrors
) -> CatalogueItem | None:
    previous = session.get(CatalogueItem, given)
    if previous is None or not may_be_previous_system(previous):
        # One message whether it does not exist or may not be seen: another supplier's draft
        # does not exist for the commissioner.
        errors.add(field, f"{given} is not a principal system in the catalogue.")
        return None
    return previous


def _wanted_migration(
    session: Session,
    order: CallOffOrder,
    practice: Organisation,
    given: Mapping[str, Any],
    field: str,
    errors: FieldErrors,
    named: CatalogueItem | None,
) -> dict[str, Any] | None:
    """One practice's migration, checked: its previous system is the one it runs, is not the
    system ordered, and offers the chosen audit-trail option."""
    current = practice.current_system
    previous = named or current
    if previous is None:
        errors.add(
            f"{field}.previous_system_id",
            f"{practice.ods_code}: the practice's current system is not recorded; name it.",
        )
        return None
    if current is not None and previous.id != current.id:
        errors.add(
            f"{field}.previous_system_id",
            f"{practice.ods_code} ({practice.name}) runs {current.name}, not {previous.name}: a "
            "practice's previous system is the one it runs. Give one migration per practice "
            "(`migrations`) when they run different systems.",
        )
        return None
    if previous.id in {system.id for system in ordered_systems(order)}:
        errors.add(
            f"{field}.previous_system_id",
            f"{practice.ods_code} already runs {previous.name}, the system this order is for: "
            "a migration is a change of system.",
        )
        return None
    fields = {name: given.get(name) for name in _MIGRATION_FIELDS}
    option = fields["audit_trail_option"]
    if option is not None:
        try:
            option = fields["audit_trail_option"] = AuditTrailOption(option)
        except ValueError:
            errors.add(f"{field}.audit_trail_option", f"No audit-trail option {option!r}.")
            return None
    if option is not None and not audit_trail_sources(session, previous)[option].available:
        errors.add(
            f"{field}.audit_trail_option",
            f"{previous.supplier.name} lists no such service for {previous.name}.",
        )
    return {"organisation": practice, "previous_system": previous, **fields}


def _single_migration(
    session: Session,
    order: CallOffOrder,
    migration: Mapping[str, Any],
    practices: Sequence[Organisation],
    errors: FieldErrors,
) -> list[dict[str, Any]]:
    """The single `migration` form: every recipient not already on an ordered system."""
    named = None
    if migration.get("previous_system_id") is not None:
        named = _previous_system(
            session, migration["previous_system_id"], "migration.previous_system_id", errors
        )
        if named is None:
            return []
    ordered = {system.id for system in ordered_systems(order)}
    wanted = []
    for practice in practices:
        if named is None and practice.current_system_id in ordered:
            continue  # already on the ordered system: it does not change system
        found = _wanted_migration(session, order, practice, migration, "migration", errors, named)
        if found is not None:
            wanted.append(found)
    return wanted


def _per_recipient(
    session: Session,
    order: CallOffOrder,
    migrations: Sequence[Mapping[str, Any]],
    practices: Sequence[Organisation],
    errors: FieldErrors,
) -> list[dict[str, Any]]:
    by_ods = {practice.ods_code: practice for practice in practices}
    wanted, seen = [], set()
    for index, migration in enumerate(migrations):
        code = migration["ods_code"].strip().upper()
        field = f"migrations.{code}"
        practice = by_ods.get(code)
        if practice is None:
            errors.add(f"migrations.{index}.ods_code", f"{code} is not a recipient of the order.")
            continue
        if code in seen:
            errors.add(field, "One migration per practice.")
            continue
        seen.add(code)
        named = None
        if migration.get("previous_system_id") is not None:
            named = _previous_system(
                session, migration["previous_system_id"], f"{field}.previous_system_id", errors
            )
            if named is None:
                continue
        found = _wanted_migration(session, order, practice, migration, field, errors, named)
        if found is not None:
            wanted.append(found)
    return wanted


def _set_migrations(order: CallOffOrder, wanted: Sequence[Mapping[str, Any]]) -> None:
    """The order's migrations as `wanted`, updating the rows of practices that keep one."""
    have = {migration.organisation_id: migration for migration in order.migrations}
    rows = []
    for fields in wanted:
        practice = fields["organisation"]
        row = have.get(practice.id) or CallOffMigration(organisation=practice)
        row.organisation_id = practice.id
        row.previous_system = fields["previous_system"]
        for name in _MIGRATION_FIELDS:
            setattr(row, name, fields[name])
        rows.append(row)
    order.migrations = rows


def _apply_migrations(
    session: Session,
    order: CallOffOrder,
    data: Mapping[str, Any],
    practices: Sequence[Organisation],
    errors: FieldErrors,
) -> None:
    single, several = data.get("migration"), data.get("migrations")
    if single is not None and several is not None:
        errors.add("migrations", "Give either `migration` or `migrations`, not both.")
        return
    if several is not None:
        _set_migrations(order, _per_recipient(session, order, several, practices, errors))
    elif single is not None:
        _set_migrations(order, _single_migration(session, order, single, practices, errors))
    elif "migration" in data or "migrations" in data:
        _set_migrations(order, [])  # null: no practice changes system
    else:
        # Recipients changed: the migrations of practices no longer on the order go with them.
        recipients = {practice.id for practice in practices}
        kept = [m for m in order.migrations if m.organisation_id in recipients]
        if len(kept) != len(order.migrations):
            order.migrations = kept
    ordered = {system.id for system in ordered_systems(order)}
    for migration in order.migrations:
        field = f"{migration_field(order, migration)}.previous_system_id"
        if migration.previous_system.id in ordered and field not in errors:
            errors.add(
                field,
                f"{migration.organisation.ods_code} already runs "
                f"{migration.previous_system.name}, the system this order is for: a migration "
                "is a change of system.",
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
    if {"migration", "migrations", "recipients", "items"} & set(data):
        _apply_migrations(session, order, data, practices, errors)
    if "upgrades" in data:
        upgrades.apply_upgrades(order, data["upgrades"], practices, errors)
    elif "recipients" in data:
        upgrades.keep_recipients(order, practices)
    _check_migration_dates(order, errors, today)


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
        "migrations": [
            {
                "ods_code": migration.organisation.ods_code,
                "previous_system_id": migration.previous_system.id,
                **{name: getattr(migration, name) for name in _MIGRATION_FIELDS},
            }
            for migration in order.migrations
        ],
        "upgrades": upgrades.summary(order),
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
        created_by=actor.label,
    )
    copy.migrations = [
        CallOffMigration(
            organisation=m.organisation,
            previous_system=m.previous_system,
            service_end=m.service_end,
            service_end_reason=m.service_end_reason,
            **{name: getattr(m, name) for name in _MIGRATION_FIELDS},
        )
        for m in order.migrations
    ]
    copy.upgrades = [
        CallOffUpgrade(
            organisation=u.organisation,
            system=u.system,
            from_level=u.from_level,
            to_level=u.to_level,
        )
        for u in order.upgrades
    ]
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
    """A line of the amendment: it keeps the terms the live revision was ordered at, and the
    commissioner's and the practices' agreements to fund it, if any."""
    line = CallOffItem(
        catalogue_item=item.catalogue_item,
        price_id=item.price_id,
        quantities=[
            CallOffQuantity(organisation_id=q.organisation_id, quantity=q.quantity)
            for q in item.quantities
        ],
    )
    copy_terms(line, terms_of(item))
    line.funding_agreed_by = item.funding_agreed_by
    line.funding_agreed_at = item.funding_agreed_at
    line.funding_agreement_reason = item.funding_agreement_reason
    line.practice_agreements = [
        PracticeFundingAgreement(
            practice_id=a.practice_id, agreed_by=a.agreed_by, agreed_at=a.agreed_at, reason=a.reason
        )
        for a in item.practice_agreements
    ]
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
    _check_migration_dates(order, errors, today)
    _check_systems(order, errors)
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
    missing.extend(Missing(field, message) for field, message in upgrades.missing(order))
    for migration in order.migrations:
        field = migration_field(order, migration)
        if migration.planned_go_live is None:
            missing.append(
                Missing(f"{field}.planned_go_live", "Give the planned business go-live date.")
            )
        if migration.audit_trail_option is None:
            missing.append(
                Missing(
                    f"{field}.audit_trail_option",
                    "Choose how the previous system's audit trail stays accessible.",
                )
            )
    return missing


def _check_systems(order: CallOffOrder, errors: FieldErrors) -> None:
    """Every principal system ordered is at Level 2 (now: a level can drop after ordering),
    and no practice migrates to the system it already runs."""
    for index, line in enumerate(order.items):
        if below_level_2(line.catalogue_item):
            errors.add(f"items.{index}", level_2_message(line.catalogue_item))
    ordered = {system.id for system in ordered_systems(order)}
    for migration in order.migrations:
        if migration.previous_system.id in ordered:
            errors.add(
                f"{migration_field(order, migration)}.previous_system_id",
                f"{migration.organisation.ods_code} already runs "
                f"{migration.previous_system.name}, the system this order is for.",
            )


def level_warnings(order: CallOffOrder) -> list[str]:
    """What flags an open order: a principal system on it that has dropped below Level 2."""
    if order.status in {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.TERMINATED}:
        return []
    return [level_2_message(system) for system in ordered_systems(order) if below_level_2(system)]


@dataclass(frozen=True)
class Prompt:
    field: str
    message: str


_PROMPTED = (
    (
        frozenset({ServiceCategory.DEPLOYMENT, ServiceCategory.MIGRATION}),
        "deployment",
        "deploys the new system and migrates the practice's records",
    ),
    (
        frozenset({ServiceCategory.DATA_EXTRACT}),
        "data extract",
        "documents the data taken from the previous system so it migrates correctly",
    ),
)


def prompts(session: Session, order: CallOffOrder) -> list[Prompt]:
    """Advice for a migration (it does not stop submission): the new supplier's deployment and
    data extract services, when the order has none."""
    if not order.migrations:
        return []
    have = {line.catalogue_item.category for line in order.items}
    advice = []
    for categories, label, why in _PROMPTED:
        if have & categories:
            continue
        offered = session.scalars(
            select(CatalogueItem.name)
            .join(Lot, Lot.id == CatalogueItem.lot_id)
            .where(
                CatalogueItem.supplier_id == order.supplier_id,
                CatalogueItem.kind == ItemKind.SERVICE,
                CatalogueItem.status == ItemStatus.PUBLISHED,
                CatalogueItem.category.in_(sorted(categories)),
                Lot.framework_id == order.framework_id,
            )
            .order_by(CatalogueItem.name)
        ).all()
        if offered:
            message = (
                f"The order migrates practices but has no {label} service: "
                f"{order.supplier.name} lists {', '.join(offered)}, which {why}."
            )
        else:
            message = (
                f"The order migrates practices but has no {label} service, and "
                f"{order.supplier.name} lists none: agree how it {why}."
            )
        advice.append(Prompt("items", message))
    return advice


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
        below = [line.catalogue_item for line in order.items if below_level_2(line.catalogue_item)]
        if below:
            raise InvalidInput(
                f"{below[0].name} is below Level {MIN_SYSTEM_LEVEL}; the order cannot be "
                "submitted.",
                {"items": [level_2_message(system) for system in below]},
            )
        _check_complete(session, order, today)
    if name is Transition.GO_LIVE:
        _check_go_live(order, go_live_date, today)

    before = {"status": order.status.value}
    order.status = rule.target
    now = utcnow()
    if name is Transition.SUBMIT:
        order.submitted_at = now
        # Submitting gives notice to each previous supplier, unless a date was recorded.
        for migration in order.migrations:
            if migration.notice_given_on is None:
                migration.notice_given_on = today or date.today()
    elif name is Transition.ACCEPT:
        order.accepted_at = now
    elif name is Transition.GO_LIVE:
        order.go_live_date = go_live_date
    if reason is not None:
        order.status_reason = reason
    order.updated_at = now
    session.flush()  # the version check: of two racing writers, one fails here
    after: dict[str, Any] = {
        "status": order.status.value,
        "reason": reason,
        "go_live_date": go_live_date,
    }
    if name is Transition.SUBMIT and order.migrations:
        after["notice_given_on"] = {
            m.organisation.ods_code: m.notice_given_on for m in order.migrations
        }
    _record(session, actor, f"order.{name.value}", order, before=before, after=after)
    if name is Transition.GO_LIVE:
        upgrades.go_live(session, actor, order)
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
