"""Shared rate limits: request counts per client and time bucket, for every API process.

`rate_windows` holds, per rate-limited scope, the keyed sha256 of a client's address (never the
address) and the start of a time bucket (Unix seconds), with the requests counted in it.
Before this revision each API process counted in its own memory, so N processes allowed N
times the limit.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key_hash", "window_start", name=op.f("pk_rate_windows")),
    )
    op.create_index(op.f("ix_rate_windows_window_start"), "rate_windows", ["window_start"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_windows_window_start"), table_name="rate_windows")
    op.drop_table("rate_windows")
