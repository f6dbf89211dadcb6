"""Reading frameworks, lots, capabilities, maturity levels, suppliers and organisations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from .errors import NotFound
from .models import (
    Capability,
    Framework,
    Lot,
    MaturityLevel,
    Organisation,
    OrganisationKind,
    Supplier,
)


def list_frameworks(session: Session) -> list[Framework]:
    query = select(Framework).options(selectinload(Framework.lots)).order_by(Framework.start_date)
    return list(session.scalars(query))


def get_framework(session: Session, slug: str) -> Framework:
    framework = session.scalars(
        select(Framework).where(Framework.slug == slug).options(selectinload(Framework.lots))
    ).first()
    if framework is None:
        raise NotFound(f"No framework {slug!r}.")
    return framework


def get_lot(session: Session, framework_slug: str, number: int) -> Lot:
    lot = session.scalars(
        select(Lot)
        .join(Framework)
        .where(Framework.slug == framework_slug, Lot.number == number)
        .options(joinedload(Lot.framework))
    ).first()
    if lot is None:
        raise NotFound(f"No lot {number} in framework {framework_slug!r}.")
    return lot


def list_capabilities(session: Session) -> list[Capability]:
    return list(session.scalars(select(Capability).order_by(Capability.code)))


def list_maturity_levels(session: Session) -> list[MaturityLevel]:
    query = (
        select(MaturityLevel)
        .options(selectinload(MaturityLevel.required_capabilities))
        .order_by(MaturityLevel.level)
    )
    return list(session.scalars(query))


def list_suppliers(session: Session, page: int, page_size: int) -> tuple[list[Supplier], int]:
    total = session.scalar(select(func.count(Supplier.id))) or 0
    query = select(Supplier).order_by(Supplier.name, Supplier.id)
    suppliers = session.scalars(query.limit(page_size).offset((page - 1) * page_size))
    return list(suppliers), total


def get_supplier(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(f"No supplier {supplier_id}.")
    return supplier


def list_organisations(
    session: Session,
    page: int,
    page_size: int,
    kind: OrganisationKind | None = None,
    commissioner_id: int | None = None,
    ods_code: str | None = None,
) -> tuple[list[Organisation], int]:
    query = select(Organisation)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if commissioner_id is not None:
        query = query.where(Organisation.commissioner_id == commissioner_id)
    if ods_code is not None:
        query = query.where(Organisation.ods_code == ods_code.upper())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.options(
        joinedload(Organisation.commissioner), joinedload(Organisation.current_system)
    ).order_by(Organisation.kind, Organisation.name, Organisation.id)
    return list(session.scalars(query.limit(page_size).offset((page - 1) * page_size))), total


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(
        Organisation,
        organisation_id,
        options=[joinedload(Organisation.commissioner), joinedload(Organisation.current_system)],
    )
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    return organisation
