"""The console's lists: the moment a case's clock reached its warning, and saved filters.

`cases.warn_at` is when the case's clock reached the escalation ladder's warning (written by
the transition store from the workflow's warning milestone, cleared when the clocks move), so
a list row shows on time / warning / overdue / level 2 from the case's own deadlines (indexed:
the warned-stage filter reads it). Existing rows start without it; each case writes it at its
next warning. `saved_filters` keeps each
user's named filters of the list pages (a query string of filters, no personal data).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_cases_warn_at"), "cases", ["warn_at"])

    op.create_table(
        "saved_filters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("list_page", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_filters_user_id_users")
        ),
        sa.UniqueConstraint(
            "user_id", "list_page", "name", name=op.f("uq_saved_filters_user_id_list_page_name")
        ),
    )
    op.create_index(
        op.f("ix_saved_filters_user_id_list_page"), "saved_filters", ["user_id", "list_page"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_filters_user_id_list_page"), table_name="saved_filters")
    op.drop_table("saved_filters")
    op.drop_index(op.f("ix_cases_warn_at"), table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("warn_at")
