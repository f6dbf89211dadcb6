"""Schema revision 0007 keeps existing orders: an order's single migration becomes the
migration of each of its recipients, and going back restores the order's single migration."""

from datetime import date

from alembic import command
from sqlalchemy import select, text

from catalogue import orders
from catalogue.db import make_session_factory
from catalogue.migrate import alembic_config
from catalogue.models import CatalogueItem, Organisation, Price, Supplier
from catalogue.principal import Principal, Role
from tests.databases import fresh_database


def _place_migration_order(session) -> str:
    commissioner = session.scalars(select(Organisation).where(Organisation.ods_code == "13T")).one()
    systmone = session.scalars(select(CatalogueItem).where(CatalogueItem.slug == "systmone")).one()
    prices = session.scalars(select(Price).where(Price.item_id == systmone.id)).all()
    actor = Principal(Role.COMMISSIONER, "test", organisation_id=commissioner.id)
    order = orders.create_order(
        session,
        actor,
        {
            "framework": "gpsoc-r",
            "supplier_id": session.scalars(select(Supplier.id).where(Supplier.slug == "tpp")).one(),
            "commencement_date": date(2026, 12, 1),
            "term_months": 36,
            "recipients": ["A81001"],
            "items": [{"catalogue_item_id": systmone.id, "price_id": p.id} for p in prices],
            "migration": {
                "planned_go_live": date(2027, 1, 31),
                "audit_trail_option": "single_user_retention",
                "audit_trail_quantity": 2,
            },
        },
        today=date(2026, 12, 1),
    ).order
    return order.call_off_id


_COUNTS = text(
    "SELECT (SELECT count(*) FROM call_off_order), (SELECT count(*) FROM call_off_recipient), "
    "(SELECT count(*) FROM call_off_item), (SELECT count(*) FROM call_off_quantity), "
    "(SELECT count(*) FROM call_off_order WHERE amends_id IS NOT NULL)"
)


def test_an_orders_migration_survives_downgrade_and_upgrade(tmp_path):
    with fresh_database(tmp_path) as engine:
        with make_session_factory(engine).begin() as session:
            call_off_id = _place_migration_order(session)
            amended = _place_migration_order(session)
        with engine.begin() as connection:
            # Recipients, items, quantities and amendments outlive the change of the order
            # table (on SQLite a copy whose drop would cascade).
            connection.execute(
                text(
                    "UPDATE call_off_order SET amends_id = (SELECT id FROM call_off_order "
                    "WHERE call_off_id = :first) WHERE call_off_id = :second"
                ),
                {"first": call_off_id, "second": amended},
            )
            counts = connection.execute(_COUNTS).one()
            assert tuple(counts) == (2, 2, 6, 6, 1)
            command.downgrade(alembic_config(connection=connection), "0005")
            assert connection.execute(_COUNTS).one() == counts
            row = connection.execute(
                text(
                    "SELECT o.planned_go_live, o.audit_trail_option, o.audit_trail_quantity, "
                    "i.slug FROM call_off_order o JOIN catalogue_item i "
                    "ON i.id = o.previous_system_id WHERE o.call_off_id = :id"
                ),
                {"id": call_off_id},
            ).one()
            assert str(row[0]) == "2027-01-31"
            assert tuple(row[1:]) == ("single_user_retention", 2, "emis-lv")
            # An order of the old shape for two practices becomes two migrations.
            order_id = connection.execute(
                text("SELECT id FROM call_off_order WHERE call_off_id = :id"), {"id": call_off_id}
            ).scalar_one()
            second = connection.execute(
                text("SELECT id FROM organisation WHERE ods_code = 'A81002'")
            ).scalar_one()
            connection.execute(
                text("INSERT INTO call_off_recipient (order_id, organisation_id) VALUES (:o, :p)"),
                {"o": order_id, "p": second},
            )
            command.upgrade(alembic_config(connection=connection), "head")
            assert tuple(connection.execute(_COUNTS).one()) == (2, 3, 6, 6, 1)
            rows = connection.execute(
                text(
                    "SELECT r.ods_code, i.slug, m.planned_go_live, m.audit_trail_option, "
                    "m.audit_trail_quantity FROM call_off_migration m "
                    "JOIN organisation r ON r.id = m.organisation_id "
                    "JOIN catalogue_item i ON i.id = m.previous_system_id "
                    "WHERE m.order_id = :o ORDER BY r.ods_code"
                ),
                {"o": order_id},
            ).all()
        assert [(r[0], r[1], str(r[2]), r[3], r[4]) for r in rows] == [
            ("A81001", "emis-lv", "2027-01-31", "single_user_retention", 2),
            ("A81002", "emis-lv", "2027-01-31", "single_user_retention", 2),
        ]
