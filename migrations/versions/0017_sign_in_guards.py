"""Failed console sign-ins under user ids that have no user (`sign_in_guards`).

Such an id is counted and locked as a user is, so the sign-in page answers an unknown id and a
known one alike; only the sha256 of the id typed is kept. Expired console sessions are purged
at sign-in (a bounded batch) and by `hotline user purge-sessions`; no schema change for that.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_guards",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_sign_in_guards")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_guards")
