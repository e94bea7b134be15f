"""Console list indexes: a department's inbox and the supervisor's board on millions of cases.

The console's lists sort by the nearest deadline, `(next_deadline, case_no)`, and the board
counts its sections by department and escalation level:

* `(lead_department, status, next_deadline, case_no)`: a department's own open cases in
  deadline order (the lead arm of its lead-or-assisting match);
* `(overdue, status, lead_department, escalation_level)`: the board's overdue section and its
  counts, read from the index alone;
* `ix_cases_board_due (next_deadline, overdue, status, lead_department, escalation_level)`: the
  board's due-within-24-hours window and its counts, read from the index alone;
* on PostgreSQL both board indexes also carry `assisting_departments` (INCLUDE), so the counts
  of a board filtered on a department (lead or assisting) are still read from the index alone;
* PostgreSQL only, `ix_cases_assisting_departments_trgm`: a trigram GIN index on the JSON text of
  `assisting_departments`, which the assisting arm of the department match
  (`CAST(assisting_departments AS VARCHAR) LIKE '%"<department>"%'`) can use, so the two arms
  become one bitmap OR instead of a walk of the whole list. It needs the `pg_trgm` extension
  (created in `public` if missing; its operator class is named with its schema, since the
  migration may run with another search path). SQLite has no such index and keeps the scan;
* PostgreSQL only, statistics on `(overdue, status)` (most common combinations): every overdue
  case is open, which the planner cannot know from each column alone; it would expect ten times
  too few overdue open cases and sort all of them for a department's board instead of reading
  them in deadline order (the list filters with `overdue = true` for these statistics to apply).

Plain CREATE INDEX: on PostgreSQL it blocks writes to `cases` while each index builds (a few
seconds per million rows). The downgrade leaves the `pg_trgm` extension in place (other schemas
of the database may use it).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "ix_cases_lead_department_status_next_deadline_case_no",
        ("lead_department", "status", "next_deadline", "case_no"),
        (),
    ),
    (
        "ix_cases_overdue_status_lead_department_escalation_level",
        ("overdue", "status", "lead_department", "escalation_level"),
        ("assisting_departments",),
    ),
    (
        "ix_cases_board_due",
        ("next_deadline", "overdue", "status", "lead_department", "escalation_level"),
        ("assisting_departments",),
    ),
)
"""(name, key columns, columns only carried along: PostgreSQL's INCLUDE, left out on SQLite)."""
TRIGRAM_INDEX = "ix_cases_assisting_departments_trgm"
STATISTICS = "st_cases_overdue_status"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for name, columns, carried in INDEXES:
        op.create_index(name, "cases", list(columns), postgresql_include=list(carried))
    if _postgres():
        op.execute(f"CREATE STATISTICS {STATISTICS} (mcv) ON overdue, status FROM cases")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        op.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON cases USING gin "
            "((CAST(assisting_departments AS VARCHAR)) public.gin_trgm_ops)"
        )
        op.execute("ANALYZE cases")  # the statistics exist from the next ANALYZE on


def downgrade() -> None:
    if _postgres():
        op.drop_index(TRIGRAM_INDEX, table_name="cases")
        op.execute(f"DROP STATISTICS {STATISTICS}")
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name="cases")
