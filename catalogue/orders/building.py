"""Building an order from the API's fields: its recipients, its lines and their quantities per
practice, its migrations (one per practice changing system) and upgrades.

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

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalogue.errors import Forbidden
from catalogue.estate import runs_now, system_id_now
from catalogue.models import (
    AuditTrailOption,
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffQuantity,
    CallOffRecipient,
    CatalogueItem,
    ItemStatus,
    Lot,
    Organisation,
    OrganisationKind,
    Price,
)
from catalogue.orders import upgrades
from catalogue.orders.migration import audit_trail_sources
from catalogue.orders.rules import (
    MIGRATION_FIELDS,
    below_level_2,
    check_dates,
    check_migration_dates,
    level_2_message,
    may_be_previous_system,
    migration_field,
    ordered_systems,
)
from catalogue.orders.terms import copy_terms, terms_of
from catalogue.pricing import PriceTerms, default_quantity
from catalogue.principal import Principal
from catalogue.validation import FieldErrors


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
        elif quantity < 0:
            errors.add(field, f"{code}: a quantity must be 0 or more.")
    # 0: the line is not for that practice (e.g. a migration service for one that stays).
    return {
        practice.id: (
            given[practice.ods_code]
            if practice.ods_code in given
            else default_quantity(terms, practice) or 1
        )
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
    running = runs_now(practice)
    current = running.system if running is not None else None
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
    fields = {name: given.get(name) for name in MIGRATION_FIELDS}
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
        if named is None and system_id_now(practice) in ordered:
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
        for name in MIGRATION_FIELDS:
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


def apply_changes(
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
    check_dates(order, errors, today)
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
    check_migration_dates(order, errors, today)
