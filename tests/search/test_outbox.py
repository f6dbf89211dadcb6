"""The outbox rows are written in the transaction of every change a document shows."""

from decimal import Decimal

from sqlalchemy import delete, func, select

from catalogue.models import (
    Capability,
    CatalogueItem,
    Framework,
    FrameworkStatus,
    SearchOutbox,
    Supplier,
)
from catalogue.outbox import take_committed
from tests.factories import item


def pending_items(db) -> list[int]:
    return list(db.scalars(select(SearchOutbox.item_id).order_by(SearchOutbox.id)))


def clear(db) -> None:
    db.execute(delete(SearchOutbox))


def test_changing_an_item_writes_a_row_for_it(db):
    clear(db)
    synergy = item(db, "synergy")
    synergy.summary = "Changed."
    db.flush()
    assert pending_items(db) == [synergy.id]


def test_changing_a_price_tier_writes_a_row_for_its_item(db):
    clear(db)
    systmone = item(db, "systmone")
    systmone.prices[0].tiers[0].amount = Decimal("1.00")
    db.flush()
    assert pending_items(db) == [systmone.id]


def test_changing_capabilities_writes_a_row(db):
    clear(db)
    synergy = item(db, "synergy")
    synergy.capabilities.pop()
    db.flush()
    assert pending_items(db) == [synergy.id]


def test_renaming_a_supplier_writes_a_row_per_item(db):
    clear(db)
    tpp = db.scalars(select(Supplier).where(Supplier.slug == "tpp")).one()
    tpp.name = "The Phoenix Partnership"
    db.flush()
    owned = db.scalars(select(CatalogueItem.id).where(CatalogueItem.supplier_id == tpp.id))
    assert sorted(pending_items(db)) == sorted(owned)


def test_renaming_a_capability_or_expiring_a_framework_reaches_their_items(db):
    clear(db)
    eps = db.scalars(select(Capability).where(Capability.code == "eps")).one()
    eps.name = "EPS"
    db.flush()
    assert len(pending_items(db)) == 9  # the nine systems that hold EPS
    clear(db)
    framework = db.scalars(select(Framework).where(Framework.slug == "gpsoc-r")).one()
    framework.name = "GPSoC-R"
    db.flush()
    assert len(pending_items(db)) == db.scalar(select(func.count(CatalogueItem.id)))


def test_a_framework_status_change_reaches_its_items(db):
    """Whether an item is searchable depends on its framework's status (live), so a status
    change alone writes a row per item of the framework's lots."""
    clear(db)
    framework = db.scalars(select(Framework).where(Framework.slug == "gpsoc-r")).one()
    framework.status = FrameworkStatus.EXPIRED
    db.flush()
    assert len(pending_items(db)) == db.scalar(select(func.count(CatalogueItem.id)))


def test_changes_no_document_shows_write_nothing(db):
    clear(db)
    tpp = db.scalars(select(Supplier).where(Supplier.slug == "tpp")).one()
    tpp.contact_email = "sales@example.org"
    db.flush()
    assert pending_items(db) == []


def test_a_rolled_back_change_leaves_no_row(db):
    clear(db)
    nested = db.begin_nested()
    item(db, "synergy").summary = "Never committed."
    db.flush()
    nested.rollback()
    assert pending_items(db) == []


def test_a_commit_with_rows_asks_for_a_drain_once(db):
    item(db, "synergy").summary = "Committed."
    db.commit()
    assert take_committed(db) is True
    assert take_committed(db) is False
