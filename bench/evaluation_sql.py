"""The synthetic year of `bench.evaluation_scale`, as SQL that runs on PostgreSQL and SQLite.

One ``INSERT ... SELECT`` per table (``generate_series`` on PostgreSQL, a recursive CTE on
SQLite; no Python loop), in time order as a live system appends it. The draws are hashes of the
row number, so the same row count gives the same rows on both databases; the shapes are in
`bench.evaluation_scale`'s docstring. No personal data: caller name and phone are NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from bench.harness.synthetic import (
    CASE_COLUMNS,
    CASE_TYPES,
    CHANNELS,
    DISPATCHED_CLOSURES,
    INTAKE_CLOSURES,
)
from models.evaluation import Period
from models.timestamps import BEIJING

CASE_PREFIX = "EV"
CALL_SOURCE = "bench"
DEPARTMENT_PREFIX = "bench-d"
FIRST_DAY = date(2025, 12, 1)
YEAR = Period(start=FIRST_DAY, end=date(2026, 12, 1), label="2025-12..2026-11")
MONTH = Period.month(2026, 11)
DAYS = (YEAR.end - YEAR.start).days
START_EPOCH = int(datetime.combine(FIRST_DAY, time(0), BEIJING).timestamp())
PRIME = 2_147_483_647  # 2^31 - 1

DEPARTMENT_KINDS = (("functional", 40), ("district_government", 15), ("enterprise", 5))
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
{CASE_COLUMNS}
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
