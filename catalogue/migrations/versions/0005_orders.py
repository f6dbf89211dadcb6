"""call-off orders

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "call_off_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_call_off_counter_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_off_counter")),
    )
    # The one counter row, locked by every order that takes a number.
    counter = sa.table("call_off_counter", sa.column("id"), sa.column("last_number"))
    op.bulk_insert(counter, [{"id": 1, "last_number": 0}])
    op.create_table(
        "call_off_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("call_off_id", sa.String(length=16), nullable=False),
        sa.Column("commissioner_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum(
                "order_status",
                "draft",
                "submitted",
                "accepted",
                "live",
                "completed",
                "cancelled",
                "terminated",
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("commencement_date", sa.Date(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("selection_id", sa.Integer(), nullable=True),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("previous_system_id", sa.Integer(), nullable=True),
        sa.Column("planned_go_live", sa.Date(), nullable=True),
        sa.Column(
            "audit_trail_option",
            _enum(
                "audit_trail_option",
                "full_support",
                "single_user_retention",
                "audit_trail_retrieval",
            ),
            nullable=True,
        ),
        sa.Column("audit_trail_quantity", sa.Integer(), nullable=True),
        sa.Column("go_live_date", sa.Date(), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "audit_trail_quantity IS NULL OR audit_trail_quantity > 0",
            name=op.f("ck_call_off_order_audit_trail_quantity_positive"),
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_call_off_order_number_positive")),
        sa.CheckConstraint("revision > 0", name=op.f("ck_call_off_order_revision_positive")),
        sa.CheckConstraint(
            "term_months IS NULL OR term_months > 0", name=op.f("ck_call_off_order_term_positive")
        ),
        sa.CheckConstraint("version > 0", name=op.f("ck_call_off_order_version_positive")),
        sa.ForeignKeyConstraint(
            ["amends_id"],
            ["call_off_order.id"],
            name=op.f("fk_call_off_order_amends_id_call_off_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["commissioner_id"],
            ["organisation.id"],
            name=op.f("fk_call_off_order_commissioner_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
            name=op.f("fk_call_off_order_framework_id_framework"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["previous_system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_call_off_order_previous_system_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_call_off_order_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_off_order")),
        sa.UniqueConstraint("call_off_id", name=op.f("uq_call_off_order_call_off_id")),
        sa.UniqueConstraint(
            "commissioner_id",
            "idempotency_key",
            name=op.f("uq_call_off_order_commissioner_id_idempotency_key"),
        ),
        sa.UniqueConstraint("number", "revision", name=op.f("uq_call_off_order_number_revision")),
    )
    with op.batch_alter_table("call_off_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_off_order_commissioner", ["commissioner_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_call_off_order_supplier", ["supplier_id", "status", "id"], unique=False
        )

    op.create_table(
        "call_off_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("catalogue_item_id", sa.Integer(), nullable=False),
        sa.Column("price_id", sa.Integer(), nullable=True),
        sa.Column("price_name", sa.String(length=200), nullable=False),
        sa.Column(
            "unit",
            _enum(
                "price_unit", "practice", "patient", "user", "day", "migration", "device", "item"
            ),
            nullable=False,
        ),
        sa.Column("period", _enum("price_period", "one_off", "month", "year"), nullable=False),
        sa.Column(
            "tier_calculation", _enum("tier_calculation", "volume", "cumulative"), nullable=False
        ),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("funding", _enum("price_funding", "central", "local"), nullable=True),
        sa.Column("funding_reason", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalogue_item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_call_off_item_catalogue_item_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["call_off_order.id"],
            name=op.f("fk_call_off_item_order_id_call_off_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_id"],
            ["price.id"],
            name=op.f("fk_call_off_item_price_id_price"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_off_item")),
        sa.UniqueConstraint(
            "order_id", "price_id", name=op.f("uq_call_off_item_order_id_price_id")
        ),
    )
    op.create_table(
        "call_off_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["call_off_order.id"],
            name=op.f("fk_call_off_recipient_order_id_call_off_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_call_off_recipient_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_off_recipient")),
        sa.UniqueConstraint(
            "order_id",
            "organisation_id",
            name=op.f("uq_call_off_recipient_order_id_organisation_id"),
        ),
    )
    op.create_table(
        "call_off_quantity",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_call_off_quantity_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["call_off_item.id"],
            name=op.f("fk_call_off_quantity_item_id_call_off_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_call_off_quantity_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("item_id", "organisation_id", name=op.f("pk_call_off_quantity")),
    )


def downgrade() -> None:
    op.drop_table("call_off_quantity")
    op.drop_table("call_off_recipient")
    op.drop_table("call_off_item")
    with op.batch_alter_table("call_off_order", schema=None) as batch_op:
        batch_op.drop_index("ix_call_off_order_supplier")
        batch_op.drop_index("ix_call_off_order_commissioner")
    op.drop_table("call_off_order")
    op.drop_table("call_off_counter")
