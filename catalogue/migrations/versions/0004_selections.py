"""selections

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("commissioner_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "locked",
                name="selection_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price_weight", sa.Integer(), nullable=False),
        sa.Column("features_weight", sa.Integer(), nullable=False),
        sa.Column("implementation_weight", sa.Integer(), nullable=False),
        sa.Column("interoperability_weight", sa.Integer(), nullable=False),
        sa.Column("service_levels_weight", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("snapshot", sa.JSON(none_as_null=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'locked') = (locked_at IS NOT NULL AND snapshot IS NOT NULL)",
            name=op.f("ck_selection_locked_has_snapshot"),
        ),
        sa.CheckConstraint(
            "features_weight + implementation_weight + interoperability_weight + service_levels_weight = 100",
            name=op.f("ck_selection_group_weights_sum"),
        ),
        sa.CheckConstraint(
            "price_weight BETWEEN 30 AND 90 AND price_weight % 5 = 0",
            name=op.f("ck_selection_price_weight_range"),
        ),
        sa.CheckConstraint("term_months > 0", name=op.f("ck_selection_term_positive")),
        sa.CheckConstraint("version > 0", name=op.f("ck_selection_version_positive")),
        sa.ForeignKeyConstraint(
            ["commissioner_id"],
            ["organisation.id"],
            name=op.f("fk_selection_commissioner_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
            name=op.f("fk_selection_framework_id_framework"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["organisation.id"],
            name=op.f("fk_selection_practice_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection")),
    )
    with op.batch_alter_table("selection", schema=None) as batch_op:
        batch_op.create_index("ix_selection_commissioner", ["commissioner_id", "id"], unique=False)

    op.create_table(
        "selection_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_selection_candidate_item_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selection.id"],
            name=op.f("fk_selection_candidate_selection_id_selection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_candidate")),
        sa.UniqueConstraint(
            "selection_id", "item_id", name=op.f("uq_selection_candidate_selection_id_item_id")
        ),
    )
    with op.batch_alter_table("selection_candidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_candidate_item_id"), ["item_id"], unique=False
        )

    op.create_table(
        "selection_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "scored",
                "mandatory",
                name="criterion_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "criterion_group",
            sa.Enum(
                "features",
                "implementation",
                "interoperability",
                "service_levels",
                name="criterion_group",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("weight", sa.Integer(), nullable=True),
        sa.Column(
            "scoring",
            sa.Enum(
                "manual",
                "capability_coverage",
                "interoperability",
                name="criterion_scoring",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column(
            "requirement",
            sa.Enum(
                "capability",
                "min_maturity_level",
                "max_whole_life_cost",
                name="criterion_requirement",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("min_maturity_level", sa.Integer(), nullable=True),
        sa.Column("max_whole_life_cost", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'scored' AND criterion_group IS NOT NULL AND weight IS NOT NULL AND scoring IS NOT NULL AND requirement IS NULL) OR (kind = 'mandatory' AND requirement IS NOT NULL AND criterion_group IS NULL AND weight IS NULL AND scoring IS NULL)",
            name=op.f("ck_selection_criterion_kind_fields"),
        ),
        sa.CheckConstraint(
            "weight IS NULL OR (weight BETWEEN 1 AND 100)",
            name=op.f("ck_selection_criterion_weight_range"),
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selection.id"],
            name=op.f("fk_selection_criterion_selection_id_selection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_criterion")),
    )
    with op.batch_alter_table("selection_criterion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_selection_criterion_selection", ["selection_id", "id"], unique=False
        )

    op.create_table(
        "selection_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(justification) > 0", name=op.f("ck_selection_score_justified")),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_selection_score_score_range")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["selection_criterion.id"],
            name=op.f("fk_selection_score_criterion_id_selection_criterion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_selection_score_item_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selection.id"],
            name=op.f("fk_selection_score_selection_id_selection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_score")),
        sa.UniqueConstraint(
            "selection_id",
            "criterion_id",
            "item_id",
            name=op.f("uq_selection_score_selection_id_criterion_id_item_id"),
        ),
    )
    with op.batch_alter_table("selection_score", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_selection_score_criterion_id"), ["criterion_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("selection_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_score_criterion_id"))

    op.drop_table("selection_score")
    with op.batch_alter_table("selection_criterion", schema=None) as batch_op:
        batch_op.drop_index("ix_selection_criterion_selection")

    op.drop_table("selection_criterion")
    with op.batch_alter_table("selection_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_candidate_item_id"))

    op.drop_table("selection_candidate")
    with op.batch_alter_table("selection", schema=None) as batch_op:
        batch_op.drop_index("ix_selection_commissioner")

    op.drop_table("selection")
