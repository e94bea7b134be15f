"""The point (latitude, longitude) of a case on its projection row, for the Open311 `lat`/`long`
the publication policy may show.

Existing rows keep no point (NULL): the projection is rewritten with the point at the case's next
transition; a case closed before this revision shows empty `lat`/`long`, as it did.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
