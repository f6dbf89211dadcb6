"""selection evaluators may be people who sign in to the web pages (a user account)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A column and a unique index, added in place: on SQLite a batch rebuild of the table would
# drop it, and with it (foreign keys being on) every evaluator's scores by cascade.


FOREIGN_KEY = "fk_selection_evaluator_user_id_user_account"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a reference in place (Alembic would rebuild the table).
        op.execute(
            "ALTER TABLE selection_evaluator ADD COLUMN user_id INTEGER "
            "REFERENCES user_account (id)"
        )
    else:
        op.add_column("selection_evaluator", sa.Column("user_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            FOREIGN_KEY,
            "selection_evaluator",
            "user_account",
            ["user_id"],
            ["id"],
        )
    op.create_index(
        op.f("ix_selection_evaluator_selection_user"),
        "selection_evaluator",
        ["selection_id", "user_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_selection_evaluator_selection_user"), table_name="selection_evaluator")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column with a constraint only by rebuilding the table; the evaluators'
        # scores hang on it, so the column stays (unused) there.
        return
    op.drop_constraint(FOREIGN_KEY, "selection_evaluator", type_="foreignkey")
    op.drop_column("selection_evaluator", "user_id")
