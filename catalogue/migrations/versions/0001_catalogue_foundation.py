"""catalogue foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "capability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capability")),
        sa.UniqueConstraint("code", name=op.f("uq_capability_code")),
    )
    op.create_table(
        "framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "coming",
                "open",
                "live",
                "expired",
                name="framework_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("continuity_end_date", sa.Date(), nullable=True),
        sa.Column("max_term_months", sa.Integer(), nullable=False),
        sa.Column("funding_types", sa.JSON(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_framework_dates_ordered")),
        sa.CheckConstraint("max_term_months > 0", name=op.f("ck_framework_max_term_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework")),
        sa.UniqueConstraint("slug", name=op.f("uq_framework_slug")),
    )
    op.create_table(
        "maturity_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.CheckConstraint("level > 0", name=op.f("ck_maturity_level_level_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maturity_level")),
        sa.UniqueConstraint("level", name=op.f("uq_maturity_level_level")),
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("company_number", sa.String(length=16), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("company_number", name=op.f("uq_supplier_company_number")),
        sa.UniqueConstraint("slug", name=op.f("uq_supplier_slug")),
    )
    op.create_table(
        "lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "default_funding",
            sa.Enum(
                "central",
                "local",
                name="lot_funding",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_lot_number_positive")),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
            name=op.f("fk_lot_framework_id_framework"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot")),
        sa.UniqueConstraint("framework_id", "number", name=op.f("uq_lot_framework_id_number")),
    )
    op.create_table(
        "maturity_level_capability",
        sa.Column("maturity_level_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capability.id"],
            name=op.f("fk_maturity_level_capability_capability_id_capability"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["maturity_level_id"],
            ["maturity_level.id"],
            name=op.f("fk_maturity_level_capability_maturity_level_id_maturity_level"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "maturity_level_id", "capability_id", name=op.f("pk_maturity_level_capability")
        ),
    )
    op.create_table(
        "catalogue_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "system",
                "module",
                "service",
                name="item_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "deployment",
                "migration",
                "data_extract",
                "training",
                "audit_trail_retrieval",
                "single_user_retention",
                "hosting",
                "support",
                "hardware",
                "other",
                name="service_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("rfa_version", sa.String(length=32), nullable=True),
        sa.Column(
            "hosting",
            sa.Enum(
                "practice_based",
                "hosted",
                name="hosting",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "published",
                "suspended",
                "withdrawn",
                name="item_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("maturity_level", sa.Integer(), nullable=False),
        sa.Column("capability_bits", sa.BigInteger(), nullable=False),
        sa.Column("accredited_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind <> 'system' OR parent_id IS NULL",
            name=op.f("ck_catalogue_item_system_has_no_parent"),
        ),
        sa.CheckConstraint(
            "kind = 'service' OR category IS NULL",
            name=op.f("ck_catalogue_item_category_only_on_services"),
        ),
        sa.CheckConstraint(
            "maturity_level >= 0", name=op.f("ck_catalogue_item_maturity_level_non_negative")
        ),
        sa.CheckConstraint("version > 0", name=op.f("ck_catalogue_item_version_positive")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_catalogue_item_lot_id_lot"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["catalogue_item.id"],
            name=op.f("fk_catalogue_item_parent_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
            name=op.f("fk_catalogue_item_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_item")),
        sa.UniqueConstraint("slug", name=op.f("uq_catalogue_item_slug")),
    )
    with op.batch_alter_table("catalogue_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalogue_item_listing", ["status", "name", "id", "kind"], unique=False
        )
        batch_op.create_index(
            "ix_catalogue_item_filters",
            [
                "kind",
                "status",
                "lot_id",
                "maturity_level",
                "category",
                "hosting",
                "supplier_id",
                "name",
                "capability_bits",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_catalogue_item_category",
            ["kind", "status", "category", "name"],
            unique=False,
        )
        batch_op.create_index("ix_catalogue_item_lot", ["lot_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalogue_item_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index("ix_catalogue_item_supplier", ["supplier_id", "status"], unique=False)

    op.create_table(
        "item_capability",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capability_id"],
            ["capability.id"],
            name=op.f("fk_item_capability_capability_id_capability"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_item_capability_item_id_catalogue_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "capability_id", name=op.f("pk_item_capability")),
    )
    with op.batch_alter_table("item_capability", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_capability_capability_id", ["capability_id", "item_id"], unique=False
        )

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "commissioner",
                "practice",
                name="organisation_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ods_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("commissioner_type", sa.String(length=8), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("commissioner_id", sa.Integer(), nullable=True),
        sa.Column("list_size", sa.Integer(), nullable=True),
        sa.Column("current_system_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind <> 'commissioner' OR (list_size IS NULL AND commissioner_id IS NULL AND current_system_id IS NULL)",
            name=op.f("ck_organisation_commissioner_fields"),
        ),
        sa.CheckConstraint(
            "kind <> 'practice' OR (list_size IS NOT NULL AND commissioner_id IS NOT NULL)",
            name=op.f("ck_organisation_practice_has_list_and_commissioner"),
        ),
        sa.CheckConstraint(
            "list_size IS NULL OR list_size >= 0",
            name=op.f("ck_organisation_list_size_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["commissioner_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_commissioner_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["current_system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_organisation_current_system_id_catalogue_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("ods_code", name=op.f("uq_organisation_ods_code")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_commissioner_id"), ["commissioner_id"], unique=False
        )

    op.create_table(
        "price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "practice",
                "patient",
                "user",
                "day",
                "migration",
                "device",
                "item",
                name="price_unit",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "period",
            sa.Enum(
                "one_off",
                "month",
                "year",
                name="price_period",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "tier_calculation",
            sa.Enum(
                "volume",
                "cumulative",
                name="tier_calculation",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "funding",
            sa.Enum(
                "central",
                "local",
                name="price_funding",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.CheckConstraint("currency = 'GBP'", name=op.f("ck_price_currency_gbp")),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_price_effective_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_price_item_id_catalogue_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price")),
    )
    with op.batch_alter_table("price", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_item_id"), ["item_id"], unique=False)

    op.create_table(
        "price_tier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_id", sa.Integer(), nullable=False),
        sa.Column("lower_bound", sa.Integer(), nullable=False),
        sa.Column("upper_bound", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_price_tier_amount_non_negative")),
        sa.CheckConstraint("lower_bound >= 1", name=op.f("ck_price_tier_lower_bound_positive")),
        sa.CheckConstraint(
            "upper_bound IS NULL OR upper_bound >= lower_bound",
            name=op.f("ck_price_tier_bounds_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["price_id"],
            ["price.id"],
            name=op.f("fk_price_tier_price_id_price"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_tier")),
        sa.UniqueConstraint(
            "price_id", "lower_bound", name=op.f("uq_price_tier_price_id_lower_bound")
        ),
    )
    with op.batch_alter_table("price_tier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_tier_price_id"), ["price_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("price_tier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_tier_price_id"))

    op.drop_table("price_tier")
    with op.batch_alter_table("price", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_item_id"))

    op.drop_table("price")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_commissioner_id"))

    op.drop_table("organisation")
    with op.batch_alter_table("item_capability", schema=None) as batch_op:
        batch_op.drop_index("ix_item_capability_capability_id")

    op.drop_table("item_capability")
    with op.batch_alter_table("catalogue_item", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_item_supplier")
        batch_op.drop_index(batch_op.f("ix_catalogue_item_parent_id"))
        batch_op.drop_index("ix_catalogue_item_lot")
        batch_op.drop_index("ix_catalogue_item_category")
        batch_op.drop_index("ix_catalogue_item_filters")
        batch_op.drop_index("ix_catalogue_item_listing")

    op.drop_table("catalogue_item")
    op.drop_table("maturity_level_capability")
    op.drop_table("lot")
    op.drop_table("supplier")
    op.drop_table("maturity_level")
    op.drop_table("framework")
    op.drop_table("capability")
