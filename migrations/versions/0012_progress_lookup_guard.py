"""Wrong retrieval codes per case number, and the lock of a case number's progress lookup.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "progress_lookup_guards",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_no", name=op.f("pk_progress_lookup_guards")),
    )
    op.create_index(
        op.f("ix_progress_lookup_guards_last_failure_at"),
        "progress_lookup_guards",
        ["last_failure_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_progress_lookup_guards_last_failure_at"), table_name="progress_lookup_guards"
    )
    op.drop_table("progress_lookup_guards")
