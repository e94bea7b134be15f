"""Knowledge base search: the inverted index of published articles and its term statistics.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_postings",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("weight", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "term", "article_id", name=op.f("pk_kb_postings"), postgresql_include=["weight"]
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_kb_postings_article_id"), "kb_postings", ["article_id"])
    op.create_table(
        "kb_terms",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_kb_terms")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("kb_terms")
    op.drop_index(op.f("ix_kb_postings_article_id"), table_name="kb_postings")
    op.drop_table("kb_postings")
