"""one migration per recipient changing system

An order's single migration (previous system, planned go-live, audit-trail option) becomes a
migration of each of its recipients, with the notice given to the previous supplier, any
extension of the old service and the previous supplier's acknowledgement.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPTIONS = ("full_support", "single_user_retention", "audit_trail_retrieval")


def _option_enum() -> sa.Enum:
    return sa.Enum(
        *_OPTIONS, name="audit_trail_option", native_enum=False, create_constraint=True, length=32
    )


# Tables whose rows hang off call_off_order by a cascading foreign key, parents first.
_CHILDREN = ("call_off_recipient", "call_off_item", "call_off_quantity", "call_off_migration")


@contextmanager
def _rebuilding_orders(children: Sequence[str]) -> Iterator[Any]:
    """A batch change of call_off_order that keeps its dependants. On SQLite batch mode copies
    the table and drops the old one, and with foreign keys on (they cannot be turned off inside
    the migration's transaction) the drop would cascade to every recipient, item, quantity and
    migration, and an amendment's reference would refuse it: so they are set aside first and
    put back after. Elsewhere the columns are altered in place."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table("call_off_order", schema=None) as batch_op:
            yield batch_op
        return
    for table in children:
        op.execute(f"CREATE TABLE _keep_{table} AS SELECT * FROM {table}")
    op.execute(
        "CREATE TABLE _keep_amends AS SELECT id, amends_id FROM call_off_order "
        "WHERE amends_id IS NOT NULL"
    )
    op.execute("UPDATE call_off_order SET amends_id = NULL")
    with op.batch_alter_table("call_off_order", schema=None) as batch_op:
        yield batch_op
    op.execute(
        "UPDATE call_off_order SET amends_id = (SELECT k.amends_id FROM _keep_amends k "
        "WHERE k.id = call_off_order.id) WHERE id IN (SELECT id FROM _keep_amends)"
    )
    op.execute("DROP TABLE _keep_amends")
    for table in children:
        op.execute(f"DELETE FROM {table}")
        op.execute(f"INSERT INTO {table} SELECT * FROM _keep_{table}")
        op.execute(f"DROP TABLE _keep_{table}")


def upgrade() -> None:
    op.create_table(
        "call_off_migration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("previous_system_id", sa.Integer(), nullable=False),
        sa.Column("planned_go_live", sa.Date(), nullable=True),
        sa.Column("audit_trail_option", _option_enum(), nullable=True),
        sa.Column("audit_trail_quantity", sa.Integer(), nullable=True),
        sa.Column("notice_given_on", sa.Date(), nullable=True),
        sa.Column("service_end", sa.Date(), nullable=True),
        sa.Column("service_end_reason", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "audit_trail_quantity IS NULL OR audit_trail_quantity > 0",
            name=op.f("ck_call_off_migration_audit_trail_quantity_positive"),
        ),
        sa.CheckConstraint("version > 0", name=op.f("ck_call_off_migration_version_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["call_off_order.id"],
            name=op.f("fk_call_off_migration_order_id_call_off_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_call_off_migration_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["previous_system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_call_off_migration_previous_system_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_off_migration")),
        sa.UniqueConstraint(
            "order_id",
            "organisation_id",
            name=op.f("uq_call_off_migration_order_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("call_off_migration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_off_migration_previous_system",
            ["previous_system_id", "order_id"],
            unique=False,
        )

    # Each order's one migration becomes the migration of each of its recipients.
    op.execute(
        """
        INSERT INTO call_off_migration (order_id, organisation_id, previous_system_id,
            planned_go_live, audit_trail_option, audit_trail_quantity, version)
        SELECT o.id, r.organisation_id, o.previous_system_id, o.planned_go_live,
            o.audit_trail_option, o.audit_trail_quantity, 1
        FROM call_off_order o JOIN call_off_recipient r ON r.order_id = o.id
        WHERE o.previous_system_id IS NOT NULL
        """
    )

    with _rebuilding_orders(_CHILDREN) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_call_off_order_previous_system_id_catalogue_item"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            op.f("ck_call_off_order_audit_trail_quantity_positive"), type_="check"
        )
        batch_op.drop_constraint(op.f("ck_call_off_order_audit_trail_option"), type_="check")
        batch_op.drop_column("audit_trail_quantity")
        batch_op.drop_column("audit_trail_option")
        batch_op.drop_column("planned_go_live")
        batch_op.drop_column("previous_system_id")


def downgrade() -> None:
    with _rebuilding_orders(_CHILDREN) as batch_op:
        batch_op.add_column(sa.Column("previous_system_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("planned_go_live", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("audit_trail_option", _option_enum(), nullable=True))
        batch_op.add_column(sa.Column("audit_trail_quantity", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_call_off_order_audit_trail_quantity_positive"),
            "audit_trail_quantity IS NULL OR audit_trail_quantity > 0",
        )
        batch_op.create_foreign_key(
            op.f("fk_call_off_order_previous_system_id_catalogue_item"),
            "catalogue_item",
            ["previous_system_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    # One migration per order fits the old shape: the first recipient's.
    op.execute(
        """
        UPDATE call_off_order SET
            previous_system_id = (SELECT m.previous_system_id FROM call_off_migration m
                WHERE m.order_id = call_off_order.id ORDER BY m.id LIMIT 1),
            planned_go_live = (SELECT m.planned_go_live FROM call_off_migration m
                WHERE m.order_id = call_off_order.id ORDER BY m.id LIMIT 1),
            audit_trail_option = (SELECT m.audit_trail_option FROM call_off_migration m
                WHERE m.order_id = call_off_order.id ORDER BY m.id LIMIT 1),
            audit_trail_quantity = (SELECT m.audit_trail_quantity FROM call_off_migration m
                WHERE m.order_id = call_off_order.id ORDER BY m.id LIMIT 1)
        """
    )
    with op.batch_alter_table("call_off_migration", schema=None) as batch_op:
        batch_op.drop_index("ix_call_off_migration_previous_system")
    op.drop_table("call_off_migration")
