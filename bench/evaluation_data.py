"""Writing the synthetic year of `bench.evaluation_scale` into the database, and describing it.

The bench refuses a ``cases`` or ``call_records`` table holding rows it did not write, and
keeps what it wrote for the next run unless asked to write it again.
"""

from __future__ import annotations

from time import perf_counter

from sqlalchemy import Engine, text

from bench.evaluation_sql import (
    CALL_SOURCE,
    CASE_PREFIX,
    DEPARTMENT_KINDS,
    DEPARTMENT_PREFIX,
    Dialect,
    calls_sql,
    cases_sql,
    facts_sql,
)
from bench.harness.options import Say


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as connection:
        cases, foreign_cases = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN case_no NOT LIKE :prefix "
                "THEN 1 ELSE 0 END), 0) FROM cases"
            ),
            {"prefix": CASE_PREFIX + "%"},
        ).one()
        calls, foreign_calls = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN source <> :source THEN 1 ELSE 0 END), 0) "
                "FROM call_records"
            ),
            {"source": CALL_SOURCE},
        ).one()
    return int(cases), int(foreign_cases), int(calls), int(foreign_calls)


def fill(engine: Engine, cases: int, calls: int, say: Say, refill: bool = False) -> bool:
    """The synthetic year in the database, unless it is there already (True if written)."""
    postgres = engine.dialect.name == "postgresql"
    dialect = Dialect(postgres)
    held_cases, foreign_cases, held_calls, foreign_calls = _counts(engine)
    if foreign_cases or foreign_calls:
        raise SystemExit(
            f"cases / call_records hold {foreign_cases} / {foreign_calls} rows this bench did "
            "not write: give it a database of its own"
        )
    if (held_cases, held_calls) == (cases, calls) and not refill:
        say(f"{cases:,} cases and {calls:,} calls already there: not refilled")
        return False
    say(f"writing {cases:,} cases and {calls:,} calls (was {held_cases:,} / {held_calls:,})")
    started = perf_counter()
    with engine.begin() as connection:
        for table in ("case_facts", "cases", "call_records"):
            # TRUNCATE on PostgreSQL: a DELETE would leave the old rows' space in the tables.
            connection.exec_driver_sql(f"{'TRUNCATE' if postgres else 'DELETE FROM'} {table}")
        connection.execute(
            text("DELETE FROM departments WHERE id LIKE :prefix"),
            {"prefix": DEPARTMENT_PREFIX + "%"},
        )
        number = 0
        departments = []
        for kind, count in DEPARTMENT_KINDS:
            for _ in range(count):
                number += 1
                departments.append(
                    {
                        "id": f"{DEPARTMENT_PREFIX}{number:02d}",
                        "name": f"评测单位{number:02d}",
                        "kind": kind,
                    }
                )
        connection.execute(
            text(
                "INSERT INTO departments (id, name, kind, district, liaison, active) "
                "VALUES (:id, :name, :kind, NULL, NULL, true)"
            ),
            departments,
        )
        step = perf_counter()
        connection.execute(text(cases_sql(dialect)), {"rows": cases})
        say(f"  cases in {perf_counter() - step:.1f} s")
        step = perf_counter()
        connection.execute(text(facts_sql(dialect)))
        say(f"  case facts in {perf_counter() - step:.1f} s")
        step = perf_counter()
        connection.execute(text(calls_sql(dialect)), {"rows": calls})
        say(f"  calls in {perf_counter() - step:.1f} s")
    say(f"written in {perf_counter() - started:.1f} s; analysing")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if postgres:
            for table in ("cases", "case_facts", "call_records"):
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        else:
            connection.exec_driver_sql("ANALYZE")
    return True


def describe(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT count(*), "
                "sum(CASE WHEN lead_department IS NULL THEN 1 ELSE 0 END), "
                "sum(CASE WHEN status <> 'closed' THEN 1 ELSE 0 END) FROM cases"
            )
        ).one()
        facts = connection.scalar(text("SELECT count(*) FROM case_facts"))
        calls = connection.scalar(text("SELECT count(*) FROM call_records"))
        sizes = ""
        if engine.dialect.name == "postgresql":
            size = "SELECT pg_size_pretty(pg_total_relation_size(CAST(:table AS regclass)))"
            sizes = ", ".join(
                f"{table} {connection.scalar(text(size), {'table': table})}"
                for table in ("cases", "case_facts", "call_records")
            )
    total, intake, still_open = (int(value or 0) for value in rows)
    lines = [
        f"data: {total:,} cases ({intake:,} closed at intake, {still_open:,} open), "
        f"{int(facts or 0):,} case facts, {int(calls or 0):,} calls; 60 departments"
    ]
    if sizes:
        lines.append(f"sizes (with indexes): {sizes}")
    return lines
