"""the estate: what each practice runs (system, level), its call-off lines and their history,
in place of organisation.current_system_id / current_level; an order's frozen business case;
the practice's agreement to a migration's planned go-live

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = ("seeded", "recorded", "migration", "upgrade", "line_started", "line_ended")
FK_NAME = "fk_organisation_current_system_id_catalogue_item"
FK_SQL = (
    f"CONSTRAINT {FK_NAME} FOREIGN KEY(current_system_id) REFERENCES catalogue_item (id) "
    "ON DELETE SET NULL"
)
COMMISSIONER_FIELDS = "ck_organisation_commissioner_fields"
WITH_SYSTEM = (
    "kind <> 'commissioner' OR (list_size IS NULL AND commissioner_id IS NULL"
    " AND current_system_id IS NULL)"
)
WITHOUT_SYSTEM = "kind <> 'commissioner' OR (list_size IS NULL AND commissioner_id IS NULL)"
LEVEL_CHECK = "ck_organisation_current_level_of_a_system"


def _agreement_columns() -> list[sa.Column]:
    """The practice's agreement to a migration's planned go-live (fresh objects each time: a
    column belongs to one table)."""
    return [
        sa.Column("go_live_agreed_on", sa.Date(), nullable=True),
        sa.Column("go_live_agreed_by", sa.String(length=64), nullable=True),
        sa.Column("go_live_agreed_at", sa.DateTime(timezone=True), nullable=True),
    ]


LEVEL_SQL = "current_level IS NULL OR (current_level >= 1 AND current_system_id IS NOT NULL)"


# A line's quantity for a recipient may be 0 (the line is not for that practice).
QUANTITY_POSITIVE = ("ck_call_off_quantity_quantity_positive", "quantity > 0")
QUANTITY_NON_NEGATIVE = ("ck_call_off_quantity_quantity_non_negative", "quantity >= 0")


def _quantity_check(old: tuple[str, str], new: tuple[str, str]) -> None:
    if _sqlite():
        _rewrite_sqlite_table(
            "call_off_quantity",
            [(f"CONSTRAINT {old[0]} CHECK ({old[1]})", f"CONSTRAINT {new[0]} CHECK ({new[1]})")],
        )
    else:
        op.drop_constraint(op.f(old[0]), "call_off_quantity", type_="check")
        op.create_check_constraint(op.f(new[0]), "call_off_quantity", new[1])


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _rewrite_sqlite_table(table: str, replacements: Sequence[tuple[str, str]]) -> None:
    """Edit a table's stored CREATE TABLE text (constraints SQLite cannot alter in place);
    the rows are untouched, and every edit keeps them valid."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    for old, new in replacements:
        if old not in sql:
            raise RuntimeError(f"{table}: expected {old!r} in its schema")
        sql = sql.replace(old, new)
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _create_tables() -> None:
    op.create_table(
        "practice_estate",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("call_off_id", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "level IS NULL OR level >= 1", name=op.f("ck_practice_estate_level_positive")
        ),
        sa.CheckConstraint("version > 0", name=op.f("ck_practice_estate_version_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_practice_estate_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_practice_estate_system_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_practice_estate")),
    )
    op.create_table(
        "estate_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("call_off_id", sa.String(length=16), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("ended_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name=op.f("ck_estate_line_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_estate_line_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_estate_line_system_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estate_line")),
    )
    op.create_index("ix_estate_line_practice", "estate_line", ["organisation_id", "id"])
    op.create_table(
        "estate_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                *EVENTS, name="estate_event", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("previous_system_id", sa.Integer(), nullable=True),
        sa.Column("previous_level", sa.Integer(), nullable=True),
        sa.Column("call_off_id", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_estate_change_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_estate_change_previous_system_id_catalogue_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["catalogue_item.id"],
            name=op.f("fk_estate_change_system_id_catalogue_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estate_change")),
    )
    op.create_index("ix_estate_change_practice", "estate_change", ["organisation_id", "id"])


def upgrade() -> None:
    _create_tables()
    op.add_column("call_off_order", sa.Column("business_case", sa.JSON(), nullable=True))
    for column in _agreement_columns():
        op.add_column("call_off_migration", column)

    # Each practice's recorded system and level become its estate, with a first history row.
    bind = op.get_bind()
    organisation = sa.table(
        "organisation",
        sa.column("id", sa.Integer),
        sa.column("current_system_id", sa.Integer),
        sa.column("current_level", sa.Integer),
    )
    estate = sa.table(
        "practice_estate",
        sa.column("organisation_id", sa.Integer),
        sa.column("system_id", sa.Integer),
        sa.column("level", sa.Integer),
        sa.column("version", sa.Integer),
    )
    change = sa.table(
        "estate_change",
        sa.column("organisation_id", sa.Integer),
        sa.column("event", sa.String),
        sa.column("system_id", sa.Integer),
        sa.column("level", sa.Integer),
        sa.column("detail", sa.Text),
        sa.column("recorded_by", sa.String),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    rows = bind.execute(
        sa.select(organisation.c.id, organisation.c.current_system_id, organisation.c.current_level)
        .where(organisation.c.current_system_id.is_not(None))
        .order_by(organisation.c.id)
    ).all()
    now = datetime.now(UTC)
    if rows:
        bind.execute(
            estate.insert(),
            [
                {"organisation_id": i, "system_id": s, "level": level, "version": 1}
                for i, s, level in rows
            ],
        )
        bind.execute(
            change.insert(),
            [
                {
                    "organisation_id": i,
                    "event": "recorded",
                    "system_id": s,
                    "level": level,
                    "detail": "Carried over from the organisation's record.",
                    "recorded_by": "migration 0013",
                    "recorded_at": now,
                }
                for i, s, level in rows
            ],
        )

    if _sqlite():
        _rewrite_sqlite_table(
            "organisation", [(WITH_SYSTEM, WITHOUT_SYSTEM), (f", \n\t{FK_SQL}", "")]
        )
    else:
        op.drop_constraint(op.f(LEVEL_CHECK), "organisation", type_="check")
        op.drop_constraint(op.f(COMMISSIONER_FIELDS), "organisation", type_="check")
        op.create_check_constraint(op.f(COMMISSIONER_FIELDS), "organisation", WITHOUT_SYSTEM)
        op.drop_constraint(op.f(FK_NAME), "organisation", type_="foreignkey")
    op.drop_column("organisation", "current_level")
    op.drop_column("organisation", "current_system_id")
    _quantity_check(QUANTITY_POSITIVE, QUANTITY_NON_NEGATIVE)


def downgrade() -> None:
    op.add_column("organisation", sa.Column("current_system_id", sa.Integer(), nullable=True))
    op.add_column("organisation", sa.Column("current_level", sa.Integer(), nullable=True))
    bind = op.get_bind()
    estate = sa.table(
        "practice_estate",
        sa.column("organisation_id", sa.Integer),
        sa.column("system_id", sa.Integer),
        sa.column("level", sa.Integer),
    )
    organisation = sa.table(
        "organisation",
        sa.column("id", sa.Integer),
        sa.column("current_system_id", sa.Integer),
        sa.column("current_level", sa.Integer),
    )
    for organisation_id, system_id, level in bind.execute(
        sa.select(estate.c.organisation_id, estate.c.system_id, estate.c.level)
    ).all():
        bind.execute(
            organisation.update()
            .where(organisation.c.id == organisation_id)
            .values(current_system_id=system_id, current_level=level)
        )
    if _sqlite():
        _rewrite_sqlite_table(
            "organisation",
            [
                (WITHOUT_SYSTEM, WITH_SYSTEM),
                (
                    ", \n\tCONSTRAINT uq_organisation_ods_code",
                    f", \n\t{FK_SQL}, \n\tCONSTRAINT uq_organisation_ods_code",
                ),
            ],
        )
    else:
        op.create_foreign_key(
            op.f(FK_NAME),
            "organisation",
            "catalogue_item",
            ["current_system_id"],
            ["id"],
            ondelete="SET NULL",
        )
        op.drop_constraint(op.f(COMMISSIONER_FIELDS), "organisation", type_="check")
        op.create_check_constraint(op.f(COMMISSIONER_FIELDS), "organisation", WITH_SYSTEM)
        op.create_check_constraint(op.f(LEVEL_CHECK), "organisation", LEVEL_SQL)

    op.execute("DELETE FROM call_off_quantity WHERE quantity = 0")  # not for that practice
    _quantity_check(QUANTITY_NON_NEGATIVE, QUANTITY_POSITIVE)
    op.drop_column("call_off_order", "business_case")
    for column in _agreement_columns():
        op.drop_column("call_off_migration", column.name)
    op.drop_index("ix_estate_change_practice", table_name="estate_change")
    op.drop_table("estate_change")
    op.drop_index("ix_estate_line_practice", table_name="estate_line")
    op.drop_table("estate_line")
    op.drop_table("practice_estate")
