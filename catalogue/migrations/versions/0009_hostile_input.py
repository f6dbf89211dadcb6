"""failed authentications counted in the database, shared by every server process

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_failure_window",
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("window_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_key", "window_number", name=op.f("pk_auth_failure_window")),
    )
    op.create_index(
        op.f("ix_auth_failure_window_window_number"),
        "auth_failure_window",
        ["window_number"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_failure_window_window_number"), table_name="auth_failure_window")
    op.drop_table("auth_failure_window")
