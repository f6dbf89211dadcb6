"""Suppliers: reads (suppliers are seeded; they keep their listings through catalogue.listings)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.errors import NotFound
from catalogue.models import (
    Supplier,
)


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
