"""Service evaluation on a year of a big city: `build_report`, `rank_departments` and the HTML
report over a million cases and three million calls, against a naive per-case Python loop.

    python -m bench.evaluation_scale [--database-url URL] [--cases 1000000] [--calls N]
                                     [--sample 50000] [--runs 3] [--refill] [--quiet]

PostgreSQL by default (``postgresql://postgres@127.0.0.1:5432/hotline_bench``, created if missing
from the server's ``postgres`` database); a SQLite URL works too, with a smaller ``--cases``
(e.g. ``--database-url sqlite:///evaluation-bench.db --cases 20000``). The database is migrated
to head with ``migrations.runner.upgrade``.

Data, written by the database itself (one ``INSERT ... SELECT`` per table over
``generate_series`` on PostgreSQL, a recursive CTE on SQLite; no Python loop), unless the tables
already hold exactly the synthetic rows asked for. The bench refuses a ``cases`` or
``call_records`` table holding rows it did not write (case numbers ``EV…``, call source
``bench``; ``--refill`` writes them again). The draws are a hash of the row number, so the same
``--cases`` always gives the same rows, on both databases; rows are written in time order, as a
live system appends them (a month's cases sit together on disk). No personal data: caller name
and phone are left NULL.

* ``--cases`` cases received uniformly over the 12 months 2025-12-01 .. 2026-11-30 (Beijing
  days), each with its ``case_facts`` row (dispatched cases) as the transition log would have
  folded it: 30 % closed at intake (direct answer 80 %, three-way call 12 %, not accepted 5 %,
  emergency hand-off 3 %); the others dispatched to one of 60 departments ``bench-d01`` ..
  ``bench-d60`` (40 functional, 15 district governments, 5 enterprises; sizes skewed, d01 the
  largest), closed 1-12 days later (resolved 86 %, callback unreachable 6 %, no callback
  required 4 %, closed unresolved 3 %, withdrawn 1 %), still open when received in the last two
  weeks with probability 0.6; 7 types, 7 channels, 10 districts; returns 5 % (a fifth of them
  rejected), late sign-off 5 %, late reply 6 %, reopened 2 %; satisfaction on five levels.
* ``--calls`` (default 3 × cases) call records offered uniformly over the same year; 96.5 %
  answered (85 % on one day in 29, so some 24-hour windows miss the 95 % target), 85 % of the
  answered within 15 s; the unanswered abandoned (90 %) or timed out.

Timed (``--runs`` runs each after one warm-up, median and fastest shown): ``build_report`` for
the month 2026-11 and for the whole year, each part of it alone (case indicators overall and by
the four dimensions, trend, type mix, call summary with the worst 24-hour window, daily
connection rates, ranking), ``rank_departments`` for the month, and ``render_html`` (also
``render_csv`` and ``render_xlsx``) of the month's report.

Baseline, side by side: the case indicators (overall and by department) of a period of
``--sample`` cases or so (the first days of 2026-11 that hold that many) computed the naive way:
every case received or closed in the period loaded as an ORM object with its facts, and counted
in a Python loop following `rules.evaluation`. Both must give the same figures (the bench exits
1 when they differ). The last line is always
``ratio: <naive seconds per case ÷ SQL seconds per case>`` over that sample.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from db.engine import SessionFactory, make_engine, normalise_url, safe_url, session_factory
from db.evaluation_tables import CaseFactsRow
from db.tables import CaseRow
from evaluation.calls import call_summary, daily_connection_rates
from evaluation.exports import render_csv, render_xlsx
from evaluation.indicators import case_indicators, trend, type_mix
from evaluation.ranking import rank_departments
from evaluation.render import render_html
from evaluation.report import build_report, department_names
from migrations.runner import upgrade
from models.evaluation import Dimension, IndicatorSet, Period
from rules import evaluation as rules

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hotline_bench"
CASE_PREFIX = "EV"
CALL_SOURCE = "bench"
DEPARTMENT_PREFIX = "bench-d"
BEIJING = timezone(timedelta(hours=8))
FIRST_DAY = date(2025, 12, 1)
YEAR = Period(start=FIRST_DAY, end=date(2026, 12, 1), label="2025-12..2026-11")
MONTH = Period.month(2026, 11)
DAYS = (YEAR.end - YEAR.start).days
START_EPOCH = int(datetime.combine(FIRST_DAY, time(0), BEIJING).timestamp())
PRIME = 2_147_483_647  # 2^31 - 1

DEPARTMENT_KINDS = (("functional", 40), ("district_government", 15), ("enterprise", 5))
CASE_TYPES = (
    ("complaint", 36),
    ("consultation", 24),
    ("help", 20),
    ("report", 8),
    ("suggestion", 7),
    ("praise", 2),
    ("other", 3),
)
CHANNELS = (
    ("phone", 72),
    ("wechat", 12),
    ("web", 7),
    ("app", 5),
    ("sms", 2),
    ("mailbox", 1),
    ("open311", 1),
)
DISTRICTS = (
    ("南明区", 18),
    ("云岩区", 18),
    ("观山湖区", 12),
    ("花溪区", 10),
    ("乌当区", 8),
    ("白云区", 8),
    ("清镇市", 8),
    ("修文县", 6),
    ("开阳县", 6),
    ("息烽县", 6),
)
INTAKE_CLOSURES = (
    ("direct_answer", 80),
    ("three_way_call", 12),
    ("not_accepted", 5),
    ("emergency_handoff", 3),
)
DISPATCHED_CLOSURES = (
    ("resolved", 86),
    ("callback_unreachable", 6),
    ("no_callback_required", 4),
    ("closed_unresolved", 3),
    ("withdrawn", 1),
)
SATISFACTION = (
    ("very_satisfied", 35),
    ("satisfied", 40),
    ("basically_satisfied", 13),
    ("dissatisfied", 8),
    ("very_dissatisfied", 4),
)


# ---- SQL that runs on both databases ----------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    postgres: bool

    def series(self) -> str:
        """The CTE `series(i)`: 1 .. :rows."""
        if self.postgres:
            return "series(i) AS (SELECT CAST(g AS bigint) FROM generate_series(1, :rows) AS g)"
        return "series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < :rows)"

    def materialized(self) -> str:
        return "MATERIALIZED"

    def floor(self, expression: str) -> str:
        """An integer, rounded down (expression ≥ 0)."""
        if self.postgres:
            return f"CAST(floor({expression}) AS bigint)"
        return f"CAST({expression} AS INTEGER)"

    def at(self, epoch: str) -> str:
        """An instant from epoch seconds, as the column type stores it."""
        if self.postgres:
            return f"to_timestamp({epoch})"
        return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000')"

    def padded(self, expression: str, width: int) -> str:
        if self.postgres:
            return f"lpad(CAST({expression} AS text), {width}, '0')"
        return f"printf('%0{width}d', {expression})"

    def empty_list(self) -> str:
        return "CAST('[]' AS jsonb)" if self.postgres else "'[]'"


def draw(salt: int) -> str:
    """SQL: a uniform draw in [0, 1) from the row number `i` (the same on both databases)."""
    a = 48_271 + 7_919 * salt
    b = 1_000_003 * (salt + 1)
    c = 69_621 + 104_729 * salt
    inner = f"((i * {a} + {b}) % {PRIME})"
    return f"(CAST((({inner} * {c} + {salt}) % {PRIME}) AS REAL_TYPE) / {PRIME})"


def pick(draw_sql: str, choices: Sequence[tuple[str, float]]) -> str:
    """SQL: one of the quoted values of `choices`, by weight."""
    total = sum(weight for _, weight in choices)
    parts, bound = [], 0.0
    for value, weight in choices[:-1]:
        bound += weight / total
        parts.append(f"WHEN {draw_sql} < {bound!r} THEN '{value}'")
    return f"CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END"


def _sql(template: str, dialect: Dialect) -> str:
    return template.replace("REAL_TYPE", "double precision" if dialect.postgres else "REAL")


def cases_sql(dialect: Dialect) -> str:
    """The INSERT ... SELECT of `:rows` cases (see the module docstring for the shapes)."""
    d = dialect
    day = d.floor(f"{draw(0)} * {DAYS}")
    second = d.floor(f"{draw(1)} * 86400")
    department = d.floor(f"{draw(2)} * {draw(2)} * 60")  # skewed: small numbers more often
    m = d.materialized()
    open_after = START_EPOCH + (DAYS - 14) * 86400
    return _sql(
        f"""
WITH RECURSIVE {d.series()},
drawn AS {m} (
    SELECT i,
        {START_EPOCH} + {day} * 86400 + {second} AS received,
        {draw(3)} < 0.3 AS intake,
        {draw(4)} AS r_open,
        {pick(draw(5), INTAKE_CLOSURES)} AS intake_reason,
        {pick(draw(6), DISPATCHED_CLOSURES)} AS handled_reason,
        {DEPARTMENT_PREFIX!r} || {d.padded(f"1 + {department}", 2)} AS department,
        3600 * (24 + {d.floor(f"{draw(7)} * 264")}) AS handling_seconds,
        60 * (10 + {d.floor(f"{draw(8)} * 600")}) AS sign_seconds,
        {pick(draw(9), SATISFACTION)} AS satisfaction,
        {draw(10)} AS r_resolved,
        {draw(11)} AS r_overdue,
        {pick(draw(12), CASE_TYPES)} AS case_type,
        {pick(draw(13), CHANNELS)} AS channel,
        {pick(draw(14), DISTRICTS)} AS district
    FROM series
),
shaped AS {m} (
    SELECT drawn.*,
        NOT intake AND received >= {open_after} AND r_open < 0.6 AS still_open,
        CASE WHEN intake THEN intake_reason ELSE handled_reason END AS reason
    FROM drawn
)
INSERT INTO cases (
    case_no, version, status, closure_reason, channel, case_type, category, urgency, complex,
    district, street, title, content, caller_name, caller_phone, confidential, enterprise,
    operator_id, lead_department, assisting_departments, escalation_level, overdue,
    ever_overdue, next_deadline, received_at, dispatched_at, signed_at, replied_at, closed_at,
    reopen_rounds, callback_attempts, satisfaction, resolved, merged_into, updated_at,
    archived_at
)
SELECT
    '{CASE_PREFIX}' || {d.padded("i", 10)},
    1,
    CASE WHEN still_open THEN 'handling' ELSE 'closed' END,
    CASE WHEN still_open THEN NULL ELSE reason END,
    channel,
    case_type,
    '评测/合成数据',
    'normal',
    i % 20 = 0,
    district,
    NULL,
    '评测合成工单',
    '',
    NULL,
    NULL,
    i % 33 = 0,
    i % 25 = 0,
    'op-' || {d.padded("1 + i % 40", 3)},
    CASE WHEN intake THEN NULL ELSE department END,
    {d.empty_list()},
    CASE WHEN still_open AND r_overdue < 0.05 THEN 1 + i % 3 ELSE 0 END,
    still_open AND r_overdue < 0.05,
    NOT intake AND r_overdue < 0.06,
    CASE WHEN still_open THEN {d.at("received + 864000")} END,
    {d.at("received")},
    CASE WHEN intake THEN NULL ELSE {d.at("received + 1800")} END,
    CASE WHEN intake THEN NULL ELSE {d.at("received + 1800 + sign_seconds")} END,
    CASE WHEN intake OR still_open THEN NULL ELSE {d.at("received + handling_seconds")} END,
    CASE WHEN still_open THEN NULL
         WHEN intake THEN {d.at("received + 600")}
         ELSE {d.at("received + handling_seconds + 86400")} END,
    CASE WHEN NOT intake AND r_overdue > 0.98 THEN 1 ELSE 0 END,
    CASE WHEN still_open OR intake THEN 0
         WHEN reason = 'resolved' THEN 1
         WHEN reason IN ('callback_unreachable', 'closed_unresolved') THEN 3 ELSE 0 END,
    CASE WHEN NOT still_open AND NOT intake AND reason IN ('resolved', 'closed_unresolved')
         THEN satisfaction END,
    CASE WHEN NOT still_open AND NOT intake AND reason IN ('resolved', 'closed_unresolved')
         THEN r_resolved < 0.85 END,
    NULL,
    {d.at("received")},
    NULL
FROM shaped
ORDER BY received, i
""",
        d,
    )


def facts_sql(dialect: Dialect) -> str:
    """The INSERT ... SELECT of the `case_facts` rows of the dispatched cases."""
    d = dialect
    m = d.materialized()
    number = (
        f"CAST(substr(case_no, {len(CASE_PREFIX) + 1}) AS {'bigint' if d.postgres else 'INTEGER'})"
    )
    return _sql(
        f"""
WITH numbered AS {m} (
    SELECT case_no, closed_at IS NOT NULL AS closed, closure_reason,
        {number} AS i
    FROM cases WHERE lead_department IS NOT NULL
),
drawn AS {m} (
    SELECT numbered.*, {draw(20)} AS r_return, {draw(21)} AS r_late, {draw(22)} AS r_sign,
        {draw(23)} AS r_reopen, {draw(24)} AS r_extension
    FROM numbered
)
INSERT INTO case_facts (
    case_no, dispatches, returns, returns_rejected, returns_approved, extensions_approved,
    replies, replies_late, reopens, callback_required, last_dispatch_seq, sign_off_overdue,
    handling_overdue
)
SELECT
    case_no,
    CASE WHEN r_return < 0.04 THEN 2 ELSE 1 END,
    CASE WHEN r_return < 0.05 THEN 1 ELSE 0 END,
    CASE WHEN r_return >= 0.04 AND r_return < 0.05 THEN 1 ELSE 0 END,
    CASE WHEN r_return < 0.04 THEN 1 ELSE 0 END,
    CASE WHEN r_extension < 0.03 THEN 1 ELSE 0 END,
    CASE WHEN closed THEN 1 ELSE 0 END,
    CASE WHEN closed AND r_late < 0.06 THEN 1 ELSE 0 END,
    CASE WHEN closed AND r_reopen < 0.02 THEN 1 ELSE 0 END,
    closed AND closure_reason IN ('resolved', 'callback_unreachable', 'closed_unresolved'),
    CASE WHEN r_return < 0.04 THEN 7 ELSE 3 END,
    r_sign < 0.05,
    r_late < 0.06
FROM drawn
""",
        d,
    )


def calls_sql(dialect: Dialect) -> str:
    """The INSERT ... SELECT of `:rows` call records."""
    d = dialect
    m = d.materialized()
    day = d.floor(f"{draw(30)} * {DAYS}")
    return _sql(
        f"""
WITH RECURSIVE {d.series()},
drawn AS {m} (
    SELECT i,
        {day} AS day,
        {START_EPOCH} + {day} * 86400 + {d.floor(f"{draw(31)} * 86400")} AS offered,
        {draw(32)} AS r_answer,
        {draw(33)} AS r_quick,
        {d.floor(f"{draw(34)} * 15")} AS quick_wait,
        15 + {d.floor(f"{draw(35)} * 100")} AS slow_wait,
        {draw(36)} AS r_left
    FROM series
),
shaped AS {m} (
    SELECT drawn.*,
        r_answer < CASE WHEN day % 29 = 7 THEN 0.85 ELSE 0.965 END AS answered,
        CASE WHEN r_quick < 0.85 THEN quick_wait ELSE slow_wait END AS wait
    FROM drawn
)
INSERT INTO call_records (
    source, call_id, queue, offered_at, answered_at, ended_at, wait_seconds, talk_seconds,
    outcome, agent, case_no, case_linked_by, case_linked_at, caller_hash, file_id, updated_at
)
SELECT
    '{CALL_SOURCE}',
    'c' || {d.padded("i", 10)},
    '12345',
    {d.at("offered")},
    CASE WHEN answered THEN {d.at("offered + wait")} END,
    {d.at("offered + wait + 180")},
    wait,
    CASE WHEN answered THEN 180 END,
    CASE WHEN answered THEN 'answered' WHEN r_left < 0.9 THEN 'abandoned' ELSE 'timeout' END,
    CASE WHEN answered THEN 'agent-' || {d.padded("1 + i % 120", 3)} END,
    NULL, NULL, NULL, NULL, NULL,
    {d.at("offered")}
FROM shaped
ORDER BY offered, i
""",
        d,
    )


# ---- the database ------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it is missing (nothing for SQLite)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql":
        return
    name = parsed.database
    if not name:
        raise SystemExit("--database-url names no database")
    admin = create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not found:
                quoted = admin.dialect.identifier_preparer.quote(name)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


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


def fill(
    engine: Engine, cases: int, calls: int, say: Callable[[str], None], refill: bool = False
) -> bool:
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


# ---- the naive baseline -----------------------------------------------------------------------

CASE_KEYS = [rule.key for rule in rules.INDICATORS if rule.key not in rules.KNOWLEDGE_INDICATORS]
GroupKey = tuple[str, str | None]
OVERALL: GroupKey = ("overall", None)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time(0), BEIJING),
        datetime.combine(period.end, time(0), BEIJING),
    )


def naive_figures(sessions: SessionFactory, period: Period) -> dict[GroupKey, dict[str, int]]:
    """The case figures of `period`, overall (key None) and per lead department, the naive way:
    every case of the period loaded as an ORM object (with its facts) and counted in Python.
    Keys: `OVERALL`, and ("department", lead department or None)."""
    start, end = _bounds(period)
    figures: dict[GroupKey, dict[str, int]] = {}

    def add(group: str | None, name: str, amount: int = 1) -> None:
        for key in (OVERALL, (Dimension.DEPARTMENT.value, group)):
            counts = figures.setdefault(key, {})
            counts[name] = counts.get(name, 0) + amount

    not_valid = {reason.value for reason in rules.NOT_VALID_CLOSURES}
    direct = {reason.value for reason in rules.INTAKE_CLOSURES}
    not_scored = {reason.value for reason in rules.NOT_SCORED_CLOSURES}
    unreached = {reason.value for reason in rules.UNREACHED_CLOSURES}
    satisfied_levels = {level.value for level in rules.SATISFIED_LEVELS}
    with sessions() as session:
        received = session.scalars(
            select(CaseRow).where(CaseRow.received_at >= start, CaseRow.received_at < end)
        )
        for case in received:
            reason = case.closure_reason
            add(case.lead_department, "received")
            if reason is None or reason not in not_valid:
                add(case.lead_department, "valid")
            if reason in direct:
                add(case.lead_department, "direct")
        closed = session.execute(
            select(CaseRow, CaseFactsRow)
            .outerjoin(CaseFactsRow, CaseFactsRow.case_no == CaseRow.case_no)
            .where(CaseRow.closed_at >= start, CaseRow.closed_at < end)
        )
        for case, facts in closed:
            reason = case.closure_reason
            if reason is None or reason in not_scored:
                continue
            group = case.lead_department
            dispatched = case.dispatched_at is not None
            replies = facts.replies if facts else 0
            late = bool(facts and facts.replies_late)
            handling_overdue = bool(facts and facts.handling_overdue)
            callback_due = bool(facts and facts.callback_required)
            reached = case.satisfaction is not None and reason not in unreached
            add(group, "dispatched", dispatched)
            add(
                group,
                "signed_on_time",
                dispatched
                and case.signed_at is not None
                and not (facts and facts.sign_off_overdue),
            )
            add(group, "dispatches", facts.dispatches if facts else 0)
            add(group, "returns", facts.returns if facts else 0)
            add(group, "returns_rejected", facts.returns_rejected if facts else 0)
            add(group, "replies_due", replies > 0 or handling_overdue)
            add(group, "replied_on_time", replies > 0 and not late)
            add(group, "overdue", late or (replies == 0 and handling_overdue))
            add(group, "callback_due", callback_due)
            add(group, "called_back", callback_due and case.callback_attempts > 0)
            add(group, "reached", reached)
            add(group, "satisfied", reached and case.satisfaction in satisfied_levels)
            add(group, "resolved", reached and case.resolved is True)
            add(group, "reopened", dispatched and bool(facts and facts.reopens))
    return figures


def naive_sets(
    sessions: SessionFactory, period: Period
) -> dict[GroupKey, dict[str, tuple[int, int]]]:
    """(numerator, denominator) of every case indicator, per group, from `naive_figures`."""
    from evaluation.indicators import FORMULAS

    result: dict[GroupKey, dict[str, tuple[int, int]]] = {}
    for group, counts in naive_figures(sessions, period).items():
        result[group] = {
            key: (counts.get(FORMULAS[key][0], 0), counts.get(FORMULAS[key][1], 0))
            for key in CASE_KEYS
        }
    return result


def sql_sets(
    sessions: SessionFactory, period: Period
) -> dict[GroupKey, dict[str, tuple[int, int]]]:
    sets: list[IndicatorSet] = [
        *case_indicators(sessions, period, None),
        *case_indicators(sessions, period, Dimension.DEPARTMENT),
    ]
    result: dict[GroupKey, dict[str, tuple[int, int]]] = {}
    for item in sets:
        group = OVERALL if item.dimension is None else (item.dimension.value, item.group)
        result[group] = {
            value.key: (value.numerator, value.denominator)
            for value in item.values
            if value.key in CASE_KEYS
        }
    return result


def _differences(
    naive: dict[GroupKey, dict[str, tuple[int, int]]],
    sql: dict[GroupKey, dict[str, tuple[int, int]]],
) -> list[str]:
    found = []
    zero = dict.fromkeys(CASE_KEYS, (0, 0))
    for group in sorted(set(naive) | set(sql), key=lambda g: (g[0], g[1] or "")):
        mine, theirs = naive.get(group, zero), sql.get(group, zero)
        for key in CASE_KEYS:
            if mine.get(key, (0, 0)) != theirs.get(key, (0, 0)):
                where = "overall" if group == OVERALL else f"{group[0]} {group[1]}"
                found.append(f"{where} {key}: naive {mine.get(key)} sql {theirs.get(key)}")
    return found


def sample_period(engine: Engine, sample: int) -> tuple[Period, int]:
    """The first days of 2026-11 that hold about `sample` cases received, and their count."""
    with engine.connect() as connection:
        in_month = int(
            connection.execute(
                select(text("count(*)"))
                .select_from(CaseRow)
                .where(
                    CaseRow.received_at >= _bounds(MONTH)[0],
                    CaseRow.received_at < _bounds(MONTH)[1],
                )
            ).scalar_one()
        )
    days = (MONTH.end - MONTH.start).days
    per_day = max(in_month / days, 1.0)
    wanted = min(days, max(1, round(sample / per_day)))
    period = Period.days(MONTH.start, MONTH.start + timedelta(days=wanted - 1))
    with engine.connect() as connection:
        start, end = _bounds(period)
        count = int(
            connection.execute(
                select(text("count(*)"))
                .select_from(CaseRow)
                .where(CaseRow.received_at >= start, CaseRow.received_at < end)
            ).scalar_one()
        )
    return period, count


# ---- timing ------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    seconds: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)


def timed(name: str, action: Callable[[], Any], runs: int, note: str = "") -> tuple[Timing, Any]:
    result = action()  # warm-up (and the result shown)
    seconds = []
    for _ in range(runs):
        started = perf_counter()
        result = action()
        seconds.append(perf_counter() - started)
    return Timing(name, seconds, note), result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.2f}"


def table(timings: Sequence[Timing]) -> list[str]:
    width = max(len(t.name) for t in timings)
    lines = [f"{'':<{width}}  median ms   best ms  ", f"{'-' * width}  ---------  --------"]
    for timing in timings:
        lines.append(
            f"{timing.name:<{width}}  {_ms(timing.median):>9}  {_ms(timing.best):>8}  {timing.note}"
        )
    return lines


def parts(sessions: SessionFactory, period: Period, runs: int) -> Iterator[Timing]:
    """Each function `build_report` calls, timed alone."""
    for name, action in (
        ("case indicators overall", lambda: case_indicators(sessions, period, None)),
        *(
            (
                f"case indicators by {dimension.value}",
                lambda dimension=dimension: case_indicators(sessions, period, dimension),
            )
            for dimension in Dimension
        ),
        ("trend", lambda: trend(sessions, period)),
        ("type mix", lambda: type_mix(sessions, period)),
        ("call summary (+ worst 24 h)", lambda: call_summary(sessions, period)),
        ("daily connection rates", lambda: daily_connection_rates(sessions, period)),
        ("rank_departments", lambda: rank_departments(sessions, period)),
    ):
        yield timed(f"  {name}", action, runs)[0]


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.evaluation_scale",
        description="build_report, rank_departments and the HTML report on a synthetic year.",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help=f"PostgreSQL (created if missing) or SQLite database ({DEFAULT_URL})",
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases (1000000)")
    parser.add_argument("--calls", type=int, default=None, help="call records (3 × cases)")
    parser.add_argument(
        "--sample", type=int, default=50_000, help="cases of the naive baseline (50000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (3)")
    parser.add_argument(
        "--refill", action="store_true", help="write the data again even if it is there"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.calls is None:
        args.calls = 3 * args.cases
    if args.cases < 1_000 or args.calls < 0 or args.sample < 100 or args.runs < 1:
        parser.error("--cases must be ≥ 1000, --calls ≥ 0, --sample ≥ 100 and --runs ≥ 1")
    return args


def run(args: argparse.Namespace, say: Callable[[str], None]) -> float:
    url = normalise_url(args.database_url)
    ensure_database(url)
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    fill(engine, args.cases, args.calls, say, args.refill)
    print(f"database: {safe_url(url)} ({engine.dialect.name})")
    for line in describe(engine):
        print(line)
    print(f"month {MONTH.label}, year {YEAR.label}; {args.runs} timed runs after one warm-up\n")

    say("timing build_report")
    month_report, report = timed(
        "build_report, month", lambda: build_report(sessions, MONTH), args.runs
    )
    year_report, _ = timed("build_report, year", lambda: build_report(sessions, YEAR), args.runs)
    ranking, _ = timed(
        "rank_departments, month", lambda: rank_departments(sessions, MONTH), args.runs
    )
    names = department_names(sessions)
    html, page = timed("render_html, month", lambda: render_html(report, names), args.runs)
    csv, _ = timed("render_csv, month", lambda: render_csv(report), args.runs)
    xlsx, _ = timed("render_xlsx, month", lambda: render_xlsx(report, names), args.runs)
    month_cases = sum(point.cases for point in report.trend)
    month_report.note = f"{month_cases:,} cases received, {report.calls.offered:,} calls"
    html.note = f"{len(page.encode()) / 1024:,.0f} KiB"
    print("\n".join(table([month_report, year_report, ranking, html, csv, xlsx])))
    say("timing the parts of build_report")
    print("\nparts of build_report, month:")
    print("\n".join(table(list(parts(sessions, MONTH, args.runs)))[2:]))
    print("parts of build_report, year:")
    print("\n".join(table(list(parts(sessions, YEAR, args.runs)))[2:]))

    say("baseline: naive loop")
    period, sample = sample_period(engine, args.sample)
    sql_timing, sql = timed(
        "SQL (case_indicators overall + by department)",
        lambda: sql_sets(sessions, period),
        args.runs,
    )
    naive_timing, naive = timed(
        "naive per-case Python loop", lambda: naive_sets(sessions, period), args.runs
    )
    differences = _differences(naive, sql)
    per_case_sql = sql_timing.median / max(sample, 1)
    per_case_naive = naive_timing.median / max(sample, 1)
    sql_timing.note = f"{per_case_sql * 1e6:.2f} µs per case"
    naive_timing.note = f"{per_case_naive * 1e6:.2f} µs per case"
    print(f"\nbaseline: period {period.label}, {sample:,} cases received")
    print("\n".join(table([sql_timing, naive_timing])))
    print(f"same figures: {'yes' if not differences else f'NO, {len(differences)} differ'}")
    for line in differences[:10]:
        print(f"  {line}")
    engine.dispose()
    if differences:
        print(f"ratio: {per_case_naive / per_case_sql:.2f}")
        raise SystemExit(1)
    return per_case_naive / per_case_sql


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    say: Callable[[str], None] = (lambda _: None) if args.quiet else _progress
    ratio = run(args, say)
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
