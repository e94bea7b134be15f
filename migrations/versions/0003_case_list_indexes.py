"""Case list indexes: keyset order (received_at, case_no), alone and after status, lead or overdue.

`GET /cases` pages newest first by `(received_at DESC, case_no DESC)`. Without an index on that
order every page sorts the whole (filtered) table; with these a page is a backward index scan
that stops after `limit + 1` rows. The single-column indexes on status, lead_department and
overdue are the leading column of the new ones, so they are dropped; district and next_deadline
stay.

`overdue` is a full composite rather than a partial index `WHERE overdue`: the route filters with
`overdue IS true` (`IS 1` on SQLite), which neither PostgreSQL 15 nor SQLite proves to imply a
plain `WHERE overdue` predicate, so a partial index would never be chosen.

Plain CREATE INDEX: on PostgreSQL it blocks writes to `cases` while each index builds (a few
seconds per million rows).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYSET = ("received_at", "case_no")
NEW_INDEXES: tuple[tuple[str, ...], ...] = (
    KEYSET,
    ("status", *KEYSET),
    ("lead_department", *KEYSET),
    ("overdue", *KEYSET),
)
"""Columns of the new indexes, named `ix_cases_<columns>` like the model's naming convention."""
REPLACED = ("status", "lead_department", "overdue")
"""The single-column indexes of 0001 that the new ones lead with."""


def _name(columns: Sequence[str]) -> str:
    return "ix_cases_" + "_".join(columns)


def upgrade() -> None:
    for columns in NEW_INDEXES:
        op.create_index(_name(columns), "cases", list(columns))
    for column in REPLACED:
        op.drop_index(_name([column]), table_name="cases")


def downgrade() -> None:
    for column in REPLACED:
        op.create_index(_name([column]), "cases", [column])
    for columns in reversed(NEW_INDEXES):
        op.drop_index(_name(columns), table_name="cases")
