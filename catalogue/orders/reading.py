"""Reading orders: one the viewer may see, a page of them, the revisions of one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from catalogue.errors import NotFound
from catalogue.models import (
    CallOffItem,
    CallOffMigration,
    CallOffOrder,
    CallOffRecipient,
    CallOffUpgrade,
    CatalogueItem,
    OrderStatus,
    Price,
)
from catalogue.principal import Principal, Role


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
