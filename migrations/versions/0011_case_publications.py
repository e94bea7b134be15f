"""The centre's public wording of a case, the only case text Open311 may publish.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_publications",
        sa.Column("case_no", sa.String(length=32), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.String(length=64), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_no", name=op.f("pk_case_publications")),
    )


def downgrade() -> None:
    op.drop_table("case_publications")
