"""The synthetic cases of `bench.console_pages`: `bench.list_data`'s year of cases, with the
warning moments the console's lists colour their rows by.

`bench.list_data` writes the cases (one ``INSERT ... SELECT ... FROM generate_series``): about
10 % open, each open case with its ``next_deadline`` (in the next days for a case on time, in
the past for the ~3 % overdue ones, which also have an escalation level of 1-3). It leaves
``warn_at`` (migration 0016) empty, as a case stored before 0016 has it. `fill` then writes it
as the workflow would have: the moment the clock reached its warning, a fifth of the period
before the deadline, for every open case whose warning has already fired (always for an
overdue one); later warnings stay empty. The figures of `bench.list_scale` are untouched: it
fills its own database and never reads ``warn_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from time import perf_counter

from sqlalchemy import Engine, text

from bench import list_data
from bench.harness.options import Say

WARNING_SHARE = 0.2
"""How long before its deadline, as a share of the period since receipt, a clock warns."""

WARN_AT_SQL = """
UPDATE cases SET warn_at = greatest(received_at,
        next_deadline - CAST(:share AS float8) * (next_deadline - received_at))
WHERE status <> 'closed' AND next_deadline IS NOT NULL
  AND next_deadline - CAST(:share AS float8) * (next_deadline - received_at)
      <= CAST(:now AS timestamptz)
"""


def fill(engine: Engine, rows: int, say: Say) -> None:
    """`rows` synthetic cases in `cases` (kept if already there), with their warning moments."""
    filled = list_data.fill(engine, rows, say)
    with engine.connect() as connection:
        warned = connection.scalar(text("SELECT count(*) FROM cases WHERE warn_at IS NOT NULL"))
    if not filled and warned:
        return
    say("writing warn_at of the open cases whose clock has warned")
    started = perf_counter()
    with engine.begin() as connection:
        connection.execute(text(WARN_AT_SQL), {"share": WARNING_SHARE, "now": datetime.now(UTC)})
    say(f"written in {perf_counter() - started:.1f} s; VACUUM ANALYZE")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) cases")


def describe_lists(engine: Engine) -> str:
    """One line on what the console's lists see: open, warned, overdue, near due, by level."""
    with engine.connect() as connection:
        shares = connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE status <> 'closed'),"
                " count(*) FILTER (WHERE status IN ('dispatched', 'handling')),"
                " count(*) FILTER (WHERE status <> 'closed' AND warn_at IS NOT NULL),"
                " count(*) FILTER (WHERE status <> 'closed' AND overdue),"
                " count(*) FILTER (WHERE status <> 'closed' AND NOT overdue"
                "   AND next_deadline >= now() AND next_deadline < now() + interval '1 day'),"
                " count(*) FILTER (WHERE escalation_level >= 2),"
                " count(*) FILTER (WHERE status IN ('dispatched', 'handling') AND ("
                "   lead_department = 'gy-water'"
                "   OR CAST(assisting_departments AS text) LIKE '%\"gy-water\"%'))"
                " FROM cases"
            )
        ).one()
    open_, inbox, warned, overdue, near, level2, water = shares
    return (
        f"lists: open {open_:,} (dispatched or handling {inbox:,}, of which gy-water's "
        f"{water:,}); warned {warned:,}; overdue {overdue:,}; due within 24 h {near:,}; "
        f"level 2 or above {level2:,}"
    )
