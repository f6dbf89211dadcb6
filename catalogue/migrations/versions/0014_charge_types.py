"""charge types on prices (who pays follows them, never a price's name), and the practice's
side of an agreement to fund additional IT

Each price gets the charge type the supplier now states (licence, software maintenance, support
service, deployment and migration, data extract, training, hardware, hardware maintenance,
other). Stored prices stated none, so this revision derives one, once, from what was stored:
this is the one place where a price's name is read (see `charge_type_of`). The derivation keeps
every stored price's payer as the rules before this revision decided it, wherever the rule did
not change: before, on a Lot 1 system or module, the words "support", "training",
"deployment" and "migration" in a price's name made the commissioner pay and every other price
was central (at Level 2); so those words become the commissioner's charge types (support
service, training, deployment and migration) and every other system or module price becomes a
licence (or software maintenance, where its name says "maintenance"): the same payers. Services
were the commissioner's whatever their name, and so are all their charge types; on Lots 2 and 3
and for practice IT infrastructure the charge type decides nothing, and is derived as well as
the name allows. Pending revisions' proposed prices get the charge type their proposed names
derive in the same way, so that accepting one still works.

The one rule that changed is core IT with a price stating "practice": the practice paid it,
now the commissioner does (nothing to migrate: the decision is made when a price is read).

The practice's agreement to fund additional IT is a table of its own: one row per order line
and practice that agreed (the commissioner's agreement stays on the line). A line of an order
already submitted with the commissioner's agreement gets its practices' rows, so that its
payers stay as they were; on a draft, the practices now agree for themselves.

Selections record why scoring was closed while an evaluator's sheet was empty
(`selection.scoring_closed_reason`; null for every selection closed before).

Going down, the charge types, the practice's agreements and the closing reasons go (the rules
before read names).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHARGE_TYPES = (
    "licence",
    "software_maintenance",
    "support_service",
    "deployment_and_migration",
    "data_extract",
    "training",
    "hardware",
    "hardware_maintenance",
    "other",
)

# The words that, before this revision, moved a Lot 1 system's or module's price to the
# commissioner, in the order they were tried, and the charge type each becomes.
COMMISSIONER_WORDS = (
    ("support", "support_service"),
    ("training", "training"),
    ("deployment", "deployment_and_migration"),
    ("migration", "deployment_and_migration"),
)
# Further words, for prices whose payer never depended on their name (services, Lots 2 and 3,
# practice IT infrastructure).
OTHER_WORDS = (
    ("extract", "data_extract"),
    ("trainer", "training"),
    ("onboarding", "deployment_and_migration"),
    ("installation", "deployment_and_migration"),
    ("set-up", "deployment_and_migration"),
    ("connection", "deployment_and_migration"),
)


def charge_type_of(name: str, kind: str, infrastructure: bool) -> str:
    """The charge type of a price stored before this revision, from its name (once, here)."""
    lowered = name.lower()
    for word, charge in COMMISSIONER_WORDS:
        if word in lowered:
            return charge
    if kind != "service" and not infrastructure:
        # A system's or module's other prices were central (at Level 2): keep them so.
        return "software_maintenance" if "maintenance" in lowered else "licence"
    if "maintenance" in lowered:
        return "hardware_maintenance" if infrastructure else "software_maintenance"
    for word, charge in OTHER_WORDS:
        if word in lowered:
            return charge
    if "licence" in lowered or "subscription" in lowered:
        return "licence"
    return "hardware" if infrastructure else "other"


SQLITE_DEFAULT = "DEFAULT 'other'"
BACKFILLED = (
    "Recorded with the commissioner''s agreement before the practice''s side was told apart "
    "(schema revision 0014): the order was submitted with it."
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _derive() -> None:
    """Every stored price's charge type, each row written (none keeps a default)."""
    bind = op.get_bind()
    price = sa.table(
        "price", sa.column("id"), sa.column("item_id"), sa.column("name"), sa.column("charge_type")
    )
    item = sa.table(
        "catalogue_item", sa.column("id"), sa.column("kind"), sa.column("infrastructure_category")
    )
    derived: dict[int, str] = {}
    for price_id, name, kind, category in bind.execute(
        sa.select(price.c.id, price.c.name, item.c.kind, item.c.infrastructure_category).join(
            item, item.c.id == price.c.item_id
        )
    ):
        derived[price_id] = charge_type_of(name, kind, category is not None)
    for charge in CHARGE_TYPES:
        ids = [price_id for price_id, each in derived.items() if each == charge]
        if ids:
            bind.execute(price.update().where(price.c.id.in_(ids)).values(charge_type=charge))


def _revisions(up: bool) -> None:
    """Give pending revisions' proposed prices the charge type their proposed names derive
    (as a stored price's would), or take it away again."""
    bind = op.get_bind()
    table = sa.table(
        "item_revision", sa.column("id"), sa.column("item_id"), sa.column("proposed", sa.JSON)
    )
    item = sa.table(
        "catalogue_item", sa.column("id"), sa.column("kind"), sa.column("infrastructure_category")
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.proposed, item.c.kind, item.c.infrastructure_category).join(
            item, item.c.id == table.c.item_id
        )
    ).all()
    for revision_id, proposed, kind, category in rows:
        prices: list[dict[str, Any]] = (proposed or {}).get("prices", [])
        if not prices:
            continue
        for price in prices:
            if up:
                price["charge_type"] = charge_type_of(
                    price.get("name") or "", kind, category is not None
                )
            else:
                price.pop("charge_type", None)
        bind.execute(table.update().where(table.c.id == revision_id).values(proposed=proposed))


def _drop_sqlite_default() -> None:
    """SQLite adds a NOT NULL column only with a default; once every row holds its own value,
    the default goes from the schema (the model has none: a price states its charge type), as
    SQLite documents for changes that leave the stored rows as they are."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'price'"
    ).scalar_one()
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'price'",
        (
            sql.replace(
                f"charge_type VARCHAR(32) NOT NULL {SQLITE_DEFAULT} ",
                "charge_type VARCHAR(32) NOT NULL ",
            ),
        ),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    if _sqlite():
        # ADD COLUMN keeps the rows that reference `price`; a NOT NULL column needs a default
        # there, which every row is given its own value over at once.
        op.execute(
            f"ALTER TABLE price ADD COLUMN charge_type VARCHAR(32) NOT NULL {SQLITE_DEFAULT} "
            f"CONSTRAINT ck_price_charge_type CHECK ({_in('charge_type', CHARGE_TYPES)})"
        )
        _derive()
        _drop_sqlite_default()
    else:
        op.add_column("price", sa.Column("charge_type", sa.String(32), nullable=True))
        op.create_check_constraint(
            op.f("ck_price_charge_type"), "price", _in("charge_type", CHARGE_TYPES)
        )
        _derive()
        op.alter_column("price", "charge_type", nullable=False)
    _revisions(up=True)

    op.create_table(
        "practice_funding_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("agreed_by", sa.String(200), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["call_off_item.id"],
            name=op.f("fk_practice_funding_agreement_line_id_call_off_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["organisation.id"],
            name=op.f("fk_practice_funding_agreement_practice_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_funding_agreement")),
        sa.UniqueConstraint(
            "line_id",
            "practice_id",
            name=op.f("uq_practice_funding_agreement_line_id_practice_id"),
        ),
    )
    op.add_column("selection", sa.Column("scoring_closed_reason", sa.Text(), nullable=True))
    # An order submitted under the commissioner's agreement alone keeps its payers: that
    # agreement stood for both sides then. A draft's practices agree for themselves from now.
    op.execute(
        "INSERT INTO practice_funding_agreement "
        "(line_id, practice_id, agreed_by, agreed_at, reason) "
        "SELECT line.id, quantity.organisation_id, line.funding_agreed_by, "
        "line.funding_agreed_at, '" + BACKFILLED + "' "
        "FROM call_off_item line "
        "JOIN call_off_quantity quantity ON quantity.item_id = line.id "
        "JOIN call_off_order ON call_off_order.id = line.order_id "
        "WHERE line.funding_agreed_at IS NOT NULL AND call_off_order.status <> 'draft'"
    )


def downgrade() -> None:
    op.drop_column("selection", "scoring_closed_reason")
    op.drop_table("practice_funding_agreement")
    _revisions(up=False)
    if not _sqlite():
        op.drop_constraint(op.f("ck_price_charge_type"), "price", type_="check")
    op.drop_column("price", "charge_type")
