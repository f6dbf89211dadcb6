"""upgrades in place (a practice's running level, an order's upgrades) and suppliers' roadmaps

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roadmap_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_accreditation",
                "delivered",
                name="roadmap_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("accredited_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capability.id"],
            name=op.f("fk_roadmap_entry_capability_id_capability"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_roadmap_entry_item_id_catalogue_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_entry")),
        sa.UniqueConstraint(
            "item_id", "capability_id", name=op.f("uq_roadmap_entry_item_id_capability_id")
        ),
    )
    with op.batch_alter_table("roadmap_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roadmap_entry_item_id"), ["item_id"], unique=False)

    op.create_table(
        "call_off_upgrade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("from_level", sa.Integer(), nullable=False),
        sa.Column("to_level", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "from_level >= 0", name=op.f("ck_call_off_upgrade_from_level_non_negative")
        ),
        sa.CheckConstraint(
            "to_level > from_level", name=op.f("ck_call_off_upgrade_upgrade_goes_up")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["call_off_order.id"],
            name=op.f("fk_call_off_upgrade_order_id_call_off_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_call_off_upgrade_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_call_off_upgrade_system_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_off_upgrade")),
        sa.UniqueConstraint(
            "order_id", "organisation_id", name=op.f("uq_call_off_upgrade_order_id_organisation_id")
        ),
    )
    # Not a batch (which copies the table, and cannot drop it while other rows refer to it on
    # SQLite): SQLite adds and drops a plain column in place, and only other databases get the
    # check, which SQLite cannot add to an existing table.
    op.add_column("organisation", sa.Column("current_level", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(
            op.f("ck_organisation_current_level_of_a_system"),
            "organisation",
            "current_level IS NULL OR (current_level >= 1 AND current_system_id IS NOT NULL)",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("ck_organisation_current_level_of_a_system"), "organisation", type_="check"
        )
    op.drop_column("organisation", "current_level")

    op.drop_table("call_off_upgrade")
    with op.batch_alter_table("roadmap_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_entry_item_id"))

    op.drop_table("roadmap_entry")
