"""three payers (central, commissioner, practice), items' infrastructure class, and the
commissioner's agreement to fund additional IT on an order line

"local" becomes "commissioner" everywhere a payer is stored: prices, lots' defaults, order
lines, frameworks' funding types, and the prices frozen in selection snapshots and pending
revisions (audit events keep what they recorded: the chain is append-only). Going back,
"commissioner" and "practice" become "local" again and the new columns go, so data written
before this revision comes back exactly; a line the practice was to pay reads "local" again,
as it did before the payers were told apart.

SQLite cannot alter a CHECK constraint, and rebuilding `price` or `lot` would drop rows that
reference them (foreign keys stay on inside the migration's transaction). Their CHECK
constraints are rewritten in the schema instead, as SQLite documents for changes that leave the
stored rows as they are (writable_schema, then a new schema version). PostgreSQL drops and
creates the constraints.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PAYERS = ("central", "local")
NEW_PAYERS = ("central", "commissioner", "practice")
BOTH = ("central", "local", "commissioner", "practice")
UP = {"local": "commissioner"}
DOWN = {"commissioner": "local", "practice": "local"}

# (table, column, constraint name) of every payer column with its CHECK constraint.
PAYER_COLUMNS = (
    ("price", "funding", "ck_price_price_funding"),
    ("lot", "default_funding", "ck_lot_lot_funding"),
    ("call_off_item", "funding", "ck_call_off_item_price_funding"),
)

CATEGORIES = (
    "servers",
    "pcs",
    "monitors",
    "printers",
    "business_applications",
    "microsoft_office",
    "anti_virus",
    "desktop_asset_patch_management",
    "disaster_recovery",
    "cabling",
    "wireless_networking",
    "switches",
    "routers_firewalls",
    "n3_connection",
    "branch_links",
    "scanning_document_management",
    "additional_clinical_applications",
)
CLASSES = ("core", "additional")
AGREEMENT_COLUMNS = ("funding_agreed_by", "funding_agreed_at", "funding_agreement_reason")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _set_payers(values: Sequence[str]) -> None:
    """Make every payer column's CHECK constraint allow `values`."""
    if not _sqlite():
        for table, column, name in PAYER_COLUMNS:
            op.drop_constraint(op.f(name), table, type_="check")
            op.create_check_constraint(op.f(name), table, _in(column, values))
        return
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    for table, column, name in PAYER_COLUMNS:
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar_one()
        start = sql.index(f"CONSTRAINT {name} CHECK (")
        end = sql.index(")", sql.index("IN (", start) + 4) + 1  # the IN list's bracket
        end = sql.index(")", end) + 1  # the CHECK's
        rewritten = f"{sql[:start]}CONSTRAINT {name} CHECK ({_in(column, values)}){sql[end:]}"
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (rewritten, table),
        )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _rename_payers(mapping: dict[str, str]) -> None:
    for table, column, _name in PAYER_COLUMNS:
        rows = sa.table(table, sa.column(column, sa.String))
        for old, new in mapping.items():
            op.execute(rows.update().where(rows.c[column] == old).values({column: new}))


def _renamed(value: Any, mapping: dict[str, str]) -> Any:
    return mapping.get(value, value) if isinstance(value, str) else value


def _rewrite_json(mapping: dict[str, str]) -> None:
    """Payers kept inside JSON: frameworks' funding types, and the prices of selection
    snapshots and of pending revisions."""
    bind = op.get_bind()
    framework = sa.table("framework", sa.column("id"), sa.column("funding_types", sa.JSON))
    for framework_id, types in bind.execute(sa.select(framework.c.id, framework.c.funding_types)):
        renamed = sorted({_renamed(t, mapping) for t in types or []})
        if renamed != (types or []):
            bind.execute(
                framework.update()
                .where(framework.c.id == framework_id)
                .values(funding_types=renamed)
            )

    def prices_renamed(prices: list[dict[str, Any]]) -> bool:
        changed = False
        for price in prices:
            new = _renamed(price.get("funding"), mapping)
            if new != price.get("funding"):
                price["funding"], changed = new, True
        return changed

    selection = sa.table(
        "selection", sa.column("id"), sa.column("snapshot", sa.JSON(none_as_null=True))
    )
    rows = bind.execute(
        sa.select(selection.c.id, selection.c.snapshot).where(selection.c.snapshot.is_not(None))
    ).all()
    for selection_id, snapshot in rows:
        changed = False
        for candidate in snapshot.get("candidates", []):
            changed |= prices_renamed(candidate.get("prices", []))
        if changed:
            bind.execute(
                selection.update().where(selection.c.id == selection_id).values(snapshot=snapshot)
            )

    revision_table = sa.table("item_revision", sa.column("id"), sa.column("proposed", sa.JSON))
    for revision_id, proposed in bind.execute(
        sa.select(revision_table.c.id, revision_table.c.proposed)
    ).all():
        if prices_renamed((proposed or {}).get("prices", [])):
            bind.execute(
                revision_table.update()
                .where(revision_table.c.id == revision_id)
                .values(proposed=proposed)
            )


def upgrade() -> None:
    _set_payers(BOTH)
    _rename_payers(UP)
    _set_payers(NEW_PAYERS)
    _rewrite_json(UP)

    # New columns without a table rebuild (on SQLite ADD COLUMN keeps the referencing rows):
    # each column's CHECK constraint is its own, so that SQLite can drop it again.
    if _sqlite():
        op.execute(
            "ALTER TABLE catalogue_item ADD COLUMN infrastructure_category VARCHAR(32) "
            "CONSTRAINT ck_catalogue_item_infrastructure_category "
            f"CHECK ({_in('infrastructure_category', CATEGORIES)})"
        )
        op.execute(
            "ALTER TABLE catalogue_item ADD COLUMN infrastructure_class VARCHAR(32) "
            "CONSTRAINT ck_catalogue_item_infrastructure_class "
            f"CHECK ({_in('infrastructure_class', CLASSES)}) "
            "CONSTRAINT ck_catalogue_item_infrastructure_category_with_class "
            "CHECK ((infrastructure_category IS NULL) = (infrastructure_class IS NULL))"
        )
    else:
        op.add_column(
            "catalogue_item", sa.Column("infrastructure_category", sa.String(32), nullable=True)
        )
        op.add_column(
            "catalogue_item", sa.Column("infrastructure_class", sa.String(32), nullable=True)
        )
        op.create_check_constraint(
            op.f("ck_catalogue_item_infrastructure_category"),
            "catalogue_item",
            _in("infrastructure_category", CATEGORIES),
        )
        op.create_check_constraint(
            op.f("ck_catalogue_item_infrastructure_class"),
            "catalogue_item",
            _in("infrastructure_class", CLASSES),
        )
        op.create_check_constraint(
            op.f("ck_catalogue_item_infrastructure_category_with_class"),
            "catalogue_item",
            "(infrastructure_category IS NULL) = (infrastructure_class IS NULL)",
        )
    op.add_column("call_off_item", sa.Column("funding_agreed_by", sa.String(200), nullable=True))
    op.add_column(
        "call_off_item",
        sa.Column("funding_agreed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("call_off_item", sa.Column("funding_agreement_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in AGREEMENT_COLUMNS:
        op.drop_column("call_off_item", column)
    if not _sqlite():
        for name in (
            "ck_catalogue_item_infrastructure_category_with_class",
            "ck_catalogue_item_infrastructure_class",
            "ck_catalogue_item_infrastructure_category",
        ):
            op.drop_constraint(op.f(name), "catalogue_item", type_="check")
    # The class first: its CHECK constraints name the category too.
    op.drop_column("catalogue_item", "infrastructure_class")
    op.drop_column("catalogue_item", "infrastructure_category")

    _rewrite_json(DOWN)
    _set_payers(BOTH)
    _rename_payers(DOWN)
    _set_payers(OLD_PAYERS)
