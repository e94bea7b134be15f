"""Service phrases: versioned, editable wording by situation, seeded with the starter set.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from rules.phrases import STARTER_PHRASES

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SITUATIONS = sorted({situation.value for situation, _, _ in STARTER_PHRASES})


def upgrade() -> None:
    allowed = ", ".join(f"'{value}'" for value in SITUATIONS)
    phrases = op.create_table(
        "service_phrases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("situation", sa.String(32), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"situation IN ({allowed})", name="ck_service_phrases_situation"),
        sa.PrimaryKeyConstraint("id", name="pk_service_phrases"),
        sa.UniqueConstraint(
            "situation", "key", "version", name="uq_service_phrases_situation_key_version"
        ),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        phrases,
        [
            dict(
                situation=situation.value,
                key=key,
                version=1,
                text=text,
                changed_by="standard",
                changed_at=now,
            )
            for situation, key, text in STARTER_PHRASES
        ],
    )


def downgrade() -> None:
    op.drop_table("service_phrases")
