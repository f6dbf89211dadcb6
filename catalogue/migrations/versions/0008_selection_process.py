"""the selection process: practice tokens, MoSCoW criteria, exclusions with reasons,
evaluators scoring apart, moderation and sign-off

Existing data: mandatory criteria become `must` and scored ones `should`; the scores entered
so far are the agreed (moderated) scores, and each selection that has some gains one evaluator
standing for whoever entered them, holding the same scores as its own.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = ("authority", "supplier", "commissioner")
NEW_ROLES = (*OLD_ROLES, "practice")
OLD_BINDING = (
    "(role = 'authority' AND supplier_id IS NULL AND organisation_id IS NULL)"
    " OR (role = 'supplier' AND supplier_id IS NOT NULL AND organisation_id IS NULL)"
    " OR (role = 'commissioner' AND organisation_id IS NOT NULL AND supplier_id IS NULL)"
)
NEW_BINDING = (
    "(role = 'authority' AND supplier_id IS NULL AND organisation_id IS NULL)"
    " OR (role = 'supplier' AND supplier_id IS NOT NULL AND organisation_id IS NULL)"
    " OR (role IN ('commissioner', 'practice') AND organisation_id IS NOT NULL"
    " AND supplier_id IS NULL)"
)
OLD_KINDS = ("scored", "mandatory")
NEW_KINDS = ("must", "should", "could")
OLD_KIND_FIELDS = (
    "(kind = 'scored' AND criterion_group IS NOT NULL AND weight IS NOT NULL"
    " AND scoring IS NOT NULL AND requirement IS NULL)"
    " OR (kind = 'mandatory' AND requirement IS NOT NULL AND criterion_group IS NULL"
    " AND weight IS NULL AND scoring IS NULL)"
)
NEW_KIND_FIELDS = (
    "(kind IN ('should', 'could') AND criterion_group IS NOT NULL AND weight IS NOT NULL"
    " AND scoring IS NOT NULL AND requirement IS NULL)"
    " OR (kind = 'must' AND requirement IS NOT NULL AND criterion_group IS NULL"
    " AND weight IS NULL AND scoring IS NULL)"
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _rebind(
    table: str,
    column: str,
    enum_name: str,
    values: Sequence[str],
    fields_name: str,
    fields_check: str,
) -> None:
    """Replace an enum column's CHECK and the table's rule tying the enum to other columns."""
    with op.batch_alter_table(table) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{enum_name}"), type_="check")
        batch_op.drop_constraint(op.f(f"ck_{table}_{fields_name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{enum_name}"), _in(column, values))
        batch_op.create_check_constraint(op.f(f"ck_{table}_{fields_name}"), fields_check)


@contextmanager
def _keeping(*children: str) -> Iterator[None]:
    """Keep the rows of `children` (in parent-first order) across a batch rebuild of the table
    they reference. SQLite rebuilds a table by dropping it, and with foreign keys on (they
    cannot be turned off inside the migration's transaction) the drop deletes the rows that
    reference it ON DELETE CASCADE. PostgreSQL alters in place and needs none of this."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for child in children:
            op.execute(f"CREATE TEMP TABLE kept_{child} AS SELECT * FROM {child}")
    yield
    if sqlite:
        for child in reversed(children):
            op.execute(f"DELETE FROM {child}")
        for child in children:
            op.execute(f"INSERT INTO {child} SELECT * FROM kept_{child}")
            op.execute(f"DROP TABLE kept_{child}")


def _set_kinds(mapping: dict[str, str], kinds: Sequence[str], fields_check: str) -> None:
    """Rename criterion kinds, with the checks on the kind lifted meanwhile."""
    with _keeping("selection_score"):
        with op.batch_alter_table("selection_criterion") as batch_op:
            batch_op.drop_constraint(op.f("ck_selection_criterion_criterion_kind"), type_="check")
            batch_op.drop_constraint(op.f("ck_selection_criterion_kind_fields"), type_="check")
        criterion = sa.table("selection_criterion", sa.column("kind", sa.String))
        for old, new in mapping.items():
            op.execute(criterion.update().where(criterion.c.kind == old).values(kind=new))
        with op.batch_alter_table("selection_criterion") as batch_op:
            batch_op.create_check_constraint(
                op.f("ck_selection_criterion_criterion_kind"), _in("kind", kinds)
            )
            batch_op.create_check_constraint(
                op.f("ck_selection_criterion_kind_fields"), fields_check
            )


SELECTION_CHILDREN = ("selection_candidate", "selection_criterion", "selection_score")


def _add_selection_columns() -> None:
    with op.batch_alter_table("selection") as batch_op:
        batch_op.add_column(
            sa.Column(
                "moderation",
                _enum("selection_moderation", "commissioner", "joint"),
                nullable=False,
                server_default="commissioner",
            )
        )
        batch_op.add_column(
            sa.Column("scoring_closed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("scoring_closed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("commissioner_signed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("commissioner_signed_by", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("practice_signed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("practice_signed_by", sa.String(length=200), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_selection_closed_by_someone"),
            "(scoring_closed_at IS NULL) = (scoring_closed_by IS NULL)",
        )
        batch_op.create_check_constraint(
            op.f("ck_selection_signed_by_someone"),
            "(commissioner_signed_at IS NULL) = (commissioner_signed_by IS NULL)"
            " AND (practice_signed_at IS NULL) = (practice_signed_by IS NULL)",
        )
    with op.batch_alter_table("selection") as batch_op:
        batch_op.alter_column("moderation", server_default=None)


def upgrade() -> None:
    _rebind("api_token", "role", "token_role", NEW_ROLES, "role_binding", NEW_BINDING)

    _set_kinds({"mandatory": "must", "scored": "should"}, NEW_KINDS, NEW_KIND_FIELDS)

    with op.batch_alter_table("selection_candidate") as batch_op:
        batch_op.add_column(sa.Column("excluded_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("excluded_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_selection_candidate_exclusion_explained"),
            "(excluded_at IS NULL) = (excluded_reason IS NULL AND excluded_by IS NULL)",
        )

    with _keeping(*SELECTION_CHILDREN):
        _add_selection_columns()

    op.create_table(
        "selection_evaluator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("side", _enum("evaluator_side", "commissioner", "practice"), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("version > 0", name=op.f("ck_selection_evaluator_version_positive")),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selection.id"],
            name=op.f("fk_selection_evaluator_selection_id_selection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
            name=op.f("fk_selection_evaluator_token_id_api_token"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_evaluator")),
        sa.UniqueConstraint(
            "selection_id", "token_id", name=op.f("uq_selection_evaluator_selection_id_token_id")
        ),
    )
    op.create_table(
        "selection_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 1 AND 5", name=op.f("ck_selection_evaluation_score_range")
        ),
        sa.CheckConstraint(
            "length(justification) > 0", name=op.f("ck_selection_evaluation_justified")
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["selection_criterion.id"],
            name=op.f("fk_selection_evaluation_criterion_id_selection_criterion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_id"],
            ["selection_evaluator.id"],
            name=op.f("fk_selection_evaluation_evaluator_id_selection_evaluator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_item.id"],
            name=op.f("fk_selection_evaluation_item_id_catalogue_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selection.id"],
            name=op.f("fk_selection_evaluation_selection_id_selection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_evaluation")),
        sa.UniqueConstraint(
            "evaluator_id",
            "criterion_id",
            "item_id",
            name=op.f("uq_selection_evaluation_evaluator_id_criterion_id_item_id"),
        ),
    )
    with op.batch_alter_table("selection_evaluation") as batch_op:
        batch_op.create_index(
            "ix_selection_evaluation_selection",
            ["selection_id", "criterion_id", "item_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_selection_evaluation_criterion_id"), ["criterion_id"], unique=False
        )
    _migrate_scores()


def _migrate_scores() -> None:
    """Scores entered before evaluators existed become one evaluator's own scores; they stay
    the agreed scores, so every existing result is unchanged."""
    op.execute(
        """
        INSERT INTO selection_evaluator
            (selection_id, token_id, name, side, added_by, added_at, updated_at, version)
        SELECT s.id, NULL, 'Scores entered before evaluators were named', 'commissioner',
               'migration 0008', s.updated_at, s.updated_at, 1
        FROM selection s
        WHERE EXISTS (SELECT 1 FROM selection_score sc WHERE sc.selection_id = s.id)
        """
    )
    op.execute(
        """
        INSERT INTO selection_evaluation
            (selection_id, evaluator_id, criterion_id, item_id, score, justification, entered_at)
        SELECT sc.selection_id, e.id, sc.criterion_id, sc.item_id, sc.score, sc.justification,
               sc.entered_at
        FROM selection_score sc
        JOIN selection_evaluator e ON e.selection_id = sc.selection_id AND e.token_id IS NULL
        """
    )
    # Scoring by that evaluator is over: its scores are the moderated ones.
    op.execute(
        """
        UPDATE selection SET scoring_closed_at = updated_at, scoring_closed_by = 'migration 0008'
        WHERE id IN (SELECT selection_id FROM selection_evaluator WHERE token_id IS NULL)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("selection_evaluation") as batch_op:
        batch_op.drop_index(batch_op.f("ix_selection_evaluation_criterion_id"))
        batch_op.drop_index("ix_selection_evaluation_selection")
    op.drop_table("selection_evaluation")
    op.drop_table("selection_evaluator")
    with _keeping(*SELECTION_CHILDREN), op.batch_alter_table("selection") as batch_op:
        batch_op.drop_constraint(op.f("ck_selection_signed_by_someone"), type_="check")
        batch_op.drop_constraint(op.f("ck_selection_closed_by_someone"), type_="check")
        batch_op.drop_constraint(op.f("ck_selection_selection_moderation"), type_="check")
        for column in (
            "practice_signed_by",
            "practice_signed_at",
            "commissioner_signed_by",
            "commissioner_signed_at",
            "scoring_closed_by",
            "scoring_closed_at",
            "moderation",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("selection_candidate") as batch_op:
        batch_op.drop_constraint(op.f("ck_selection_candidate_exclusion_explained"), type_="check")
        batch_op.drop_column("excluded_at")
        batch_op.drop_column("excluded_by")
        batch_op.drop_column("excluded_reason")

    # Could-have criteria were weighed like the should-haves they become.
    _set_kinds(
        {"must": "mandatory", "should": "scored", "could": "scored"}, OLD_KINDS, OLD_KIND_FIELDS
    )

    # Practice tokens cannot exist before this revision.
    op.execute("DELETE FROM api_token WHERE role = 'practice'")
    _rebind("api_token", "role", "token_role", OLD_ROLES, "role_binding", OLD_BINDING)
