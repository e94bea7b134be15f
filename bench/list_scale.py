"""Case lists on a million cases: the indexes of migration 0003 against the schema before it.

    python -m bench.list_scale [--rows 1000000] [--database-url URL] [--runs 30] [--warmup 3]
                               [--quiet]

PostgreSQL only (default ``postgresql://postgres@127.0.0.1:5432/hotline_bench``). The database
is created if missing (``CREATE DATABASE`` from the server's ``postgres`` database) and migrated
to head with ``migrations.runner.upgrade``. ``cases`` is then filled with ``--rows`` synthetic
cases by one server-side ``INSERT ... SELECT ... FROM generate_series(1, N)`` and vacuumed and
analysed, unless it already holds exactly that many; the synthetic case numbers start with
``BL`` and the bench refuses to touch a ``cases`` table holding any other row. The random draws
are seeded, so the same ``--rows`` gives the same data. Distributions:

* ``received_at`` uniform over the year before the fill; a case is still open with probability
  ``0.95·exp(-age/20 days) + 0.045`` (about 10 % open, mostly recent, a tail of stragglers);
* open statuses: handling 45 %, dispatched 20 %, callback 15 %, replied 13 %, received 4 %,
  return_review 3 %; 30 % of the closed cases were closed at intake (direct answer, three-way
  call, ...) and have no lead department;
* overdue: 40 % of the cases open for more than 10 days (about 3 % of all), escalation 1-3;
* 10 departments (leads follow the category; a quarter of the cases in 云岩区 and 南明区 go to
  the district government), 15 % of the dispatched cases with one or two assisting departments;
* 10 districts through 27 places weighted by size, 7 case types, 3 urgencies, 7 channels; the
  title is ``关于<place><issue>的<type>`` (28 issues of 13 categories).

Then each list query below is run through the route's own code: ``api.routes.cases.list_cases``
is called directly (an async function; FastAPI's decorator returns it unchanged) with a
supervisor principal and an ``ApiContext`` whose sessions are bound to one connection, so a
timing covers the query construction, the SQL, the ORM rows and the ``CaseSummary`` models of
the page, not HTTP. ``limit`` is 50. Queries:

* first page, unfiltered; page 200 through the keyset cursor the route returns (the cursor of
  row 9,950 in the route's order, encoded by the route's ``_cursor``);
* ``status=dispatched``; ``department=gy-water`` (lead OR assisting, the JSON text LIKE);
* ``overdue=true``; ``district=南明区&case_type=complaint``; ``q=花果园停水`` (title LIKE).

Each query is called ``--warmup`` times, then ``--runs`` times round-robin with the others;
p50/p99 are nearest-rank percentiles of the wall time of the call (with 30 runs p99 is the
slowest run). After the timed runs each query is called once more with ``auto_explain`` loaded
in the session (needs a superuser; otherwise ``EXPLAIN ANALYZE`` of the SQL that call sent,
which always shows the custom plan): the plan the route's statement actually ran with, the
server time of that one (instrumented) execution and the rows the scans of ``cases`` read.
psycopg prepares a statement server-side from its fifth execution on a connection, and
PostgreSQL may then switch to a generic plan, planned without the parameters' values (marked
``[generic]``), as it would on a pooled connection of the API.

The same queries are then timed on the schema as it was before 0003, in one transaction that
is rolled back: the four 0003 indexes are dropped and the single-column indexes on status,
lead_department and overdue that 0003 replaced are built again. Both phases must return the
same pages. The last line is always ``ratio: <median p50 without ÷ median p50 with>``, the
medians taken over the seven queries' p50s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import statistics
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool
from temporalio.client import Client

from api.auth import Principal, Role
from api.context import ApiContext
from api.routes.cases import _cursor, list_cases
from db.engine import make_engine, normalise_url, safe_url
from db.tables import CaseRow
from migrations.runner import upgrade
from models.enums import CaseStatus, CaseType

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hotline_bench"
CASE_PREFIX = "BL"
LIMIT = 50
PAGE = 200
SEED = 0.12345
PRINCIPAL = Principal(user_id="bench-list-scale", role=Role.SUPERVISOR)

KEYSET_INDEXES = (
    "ix_cases_received_at_case_no",
    "ix_cases_status_received_at_case_no",
    "ix_cases_lead_department_received_at_case_no",
    "ix_cases_overdue_received_at_case_no",
)
"""The indexes migration 0003 adds."""
REPLACED_COLUMNS = ("status", "lead_department", "overdue")
"""The single-column indexes of 0001 that 0003 drops."""

# ---- synthetic data ---------------------------------------------------------------------------

DEPARTMENTS = (
    "gy-water",
    "gy-housing",
    "gy-market",
    "gy-transport",
    "gy-ecology",
    "gy-civil",
    "gy-hr",
    "gy-power",
    "yunyan-gov",
    "nanming-gov",
)
DISTRICT_GOVERNMENTS = {"云岩区": "yunyan-gov", "南明区": "nanming-gov"}
# (category, lead department, weight of the category, its issues)
CATEGORIES: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("城乡建设/供水/停水", "gy-water", 8, ("停水", "水压不足", "自来水浑浊")),
    ("城乡建设/供水", "gy-water", 3, ("水管爆裂", "水费异常")),
    ("城乡建设/物业管理", "gy-housing", 12, ("物业服务差", "电梯故障", "小区停车收费")),
    ("城乡建设/房屋安全", "gy-housing", 3, ("房屋墙体开裂", "违章搭建")),
    ("市场监管/消费投诉", "gy-market", 12, ("商家拒绝退款", "预付卡退费", "虚假宣传")),
    ("市场监管/食品安全", "gy-market", 4, ("食品过期", "餐馆卫生差")),
    ("交通运输/出租车", "gy-transport", 5, ("出租车拒载", "出租车绕路")),
    ("交通运输/公交线路", "gy-transport", 5, ("公交车不到站", "增设公交线路")),
    ("生态环境/噪声污染", "gy-ecology", 10, ("夜间施工噪音扰民", "广场舞噪音")),
    ("生态环境/大气污染", "gy-ecology", 3, ("烧烤油烟扰民",)),
    ("民政/社会救助/低保", "gy-civil", 4, ("低保申请", "临时救助")),
    ("劳动保障/欠薪", "gy-hr", 8, ("拖欠工资", "社保缴纳")),
    ("能源/供电/停电", "gy-power", 8, ("停电", "电压不稳")),
)
# (place, district, street, weight)
PLACES: tuple[tuple[str, str, str, float], ...] = (
    ("中华北路", "云岩区", "中华北路", 5),
    ("喷水池", "云岩区", "中华中路", 4),
    ("大营坡", "云岩区", "北京路", 4),
    ("宝山北路", "云岩区", "宝山北路", 3),
    ("延安中路", "云岩区", "延安中路", 4),
    ("头桥", "云岩区", "头桥路", 2),
    ("花果园", "南明区", "花果园大街", 9),
    ("油榨街", "南明区", "油榨街", 3),
    ("二七路", "南明区", "二七路", 3),
    ("太慈桥", "南明区", "花溪大道北段", 3),
    ("甲秀楼", "南明区", "南明堂路", 2),
    ("沙冲路", "南明区", "沙冲南路", 2),
    ("金阳", "观山湖区", "长岭北路", 6),
    ("未来方舟", "观山湖区", "未来方舟大道", 4),
    ("观山湖公园", "观山湖区", "林城西路", 2),
    ("花溪大学城", "花溪区", "思雅路", 5),
    ("小河", "花溪区", "珠江路", 4),
    ("溪北路", "花溪区", "溪北路", 2),
    ("新添寨", "乌当区", "新添大道", 5),
    ("东风镇", "乌当区", "东风大道", 2),
    ("白云大道", "白云区", "白云大道", 4),
    ("艳山红", "白云区", "艳山红路", 2),
    ("职教城", "清镇市", "职教城大道", 4),
    ("红枫湖", "清镇市", "红枫大道", 2),
    ("龙场", "修文县", "阳明大道", 4),
    ("开阳城关", "开阳县", "开州大道", 3),
    ("永靖", "息烽县", "永靖大道", 2),
)
CASE_TYPES = (
    ("complaint", 36, "投诉"),
    ("consultation", 24, "咨询"),
    ("help", 20, "求助"),
    ("report", 8, "举报"),
    ("suggestion", 7, "建议"),
    ("praise", 2, "表扬"),
    ("other", 3, "反映"),
)
OPEN_STATUSES = (
    ("handling", 45),
    ("dispatched", 20),
    ("callback", 15),
    ("replied", 13),
    ("received", 4),
    ("return_review", 3),
)
URGENCIES = (("normal", 94), ("urgent", 3), ("utility", 3))
CHANNELS = (
    ("phone", 72),
    ("wechat", 12),
    ("web", 7),
    ("app", 5),
    ("sms", 2),
    ("mailbox", 1),
    ("open311", 1),
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
    ("basically_satisfied", 15),
    ("dissatisfied", 7),
    ("very_dissatisfied", 3),
)
DRAWS = (
    *("r_open", "r_status", "r_overdue", "r_issue", "r_place", "r_type", "r_urgency"),
    *("r_channel", "r_route", "r_assist", "r_a1", "r_a2", "r_close", "r_reason", "r_sat"),
    *("r_t1", "r_t2", "r_t3", "r_x1", "r_x2"),
)
"""The independent uniform draws of each synthetic case."""
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "罗", "龙")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(_quote(v) for v in values) + "]"


def _pick(draw: str, values: Sequence[str], weights: Sequence[float]) -> str:
    """SQL: one of the quoted `values`, chosen by the uniform draw `draw` with `weights`."""
    total = sum(weights)
    bounds = [sum(weights[:i]) / total for i in range(len(weights))]
    lower = "ARRAY[" + ", ".join(repr(b) for b in bounds) + "]::float8[]"
    return f"({_array(values)})[width_bucket({draw}, {lower})]"


def _pick_index(draw: str, weights: Sequence[float]) -> str:
    """SQL: a 1-based index chosen by the uniform draw `draw` with `weights`."""
    total = sum(weights)
    bounds = [sum(weights[:i]) / total for i in range(len(weights))]
    return "width_bucket(" + draw + ", ARRAY[" + ", ".join(repr(b) for b in bounds) + "])"


def _weighted(choices: Sequence[tuple[str, float]], draw: str) -> str:
    return _pick(draw, [c[0] for c in choices], [c[1] for c in choices])


def fill_sql() -> str:
    """The INSERT ... SELECT that writes `:rows` cases received in the year before `:now`.

    Every stage is MATERIALIZED: inlined, each later stage would repeat the expressions of the
    earlier ones wherever it uses their columns (ten times slower on a million rows).
    """
    issues = [(issue, cat, lead, w / len(its)) for cat, lead, w, its in CATEGORIES for issue in its]
    issue_text = _array([i[0] for i in issues])
    issue_category = _array([i[1] for i in issues])
    issue_lead = _array([i[2] for i in issues])
    place_name = _array([p[0] for p in PLACES])
    place_district = _array([p[1] for p in PLACES])
    place_street = _array([p[2] for p in PLACES])
    type_code = _array([t[0] for t in CASE_TYPES])
    type_word = _array([t[2] for t in CASE_TYPES])
    departments = _array(DEPARTMENTS)
    government = " ".join(
        f"WHEN s.district = {_quote(d)} AND s.r_route < 0.25 THEN {_quote(gov)}"
        for d, gov in DISTRICT_GOVERNMENTS.items()
    )
    beijing_day = "to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')"
    draws = ", ".join(f"random() AS {name}" for name in DRAWS)
    return f"""
INSERT INTO cases (
    case_no, version, status, closure_reason, channel, case_type, category, urgency, complex,
    district, street, title, content, caller_name, caller_phone, confidential, enterprise,
    operator_id, lead_department, assisting_departments, escalation_level, overdue,
    ever_overdue, next_deadline, received_at, dispatched_at, signed_at, replied_at, closed_at,
    reopen_rounds, callback_attempts, satisfaction, resolved, merged_into, updated_at,
    archived_at
)
WITH drawn AS MATERIALIZED (
    SELECT i,
        date_trunc('second', CAST(:now AS timestamptz) - random() * interval '365 days')
            AS received_at,
        {draws}
    FROM generate_series(1, :rows) AS i
), base AS MATERIALIZED (
    SELECT d.*,
        extract(epoch FROM CAST(:now AS timestamptz) - d.received_at) / 86400.0 AS age,
        {_pick_index("d.r_issue", [i[3] for i in issues])} AS issue,
        {_pick_index("d.r_place", [p[3] for p in PLACES])} AS place,
        {_pick_index("d.r_type", [t[1] for t in CASE_TYPES])} AS kind
    FROM drawn AS d
), opened AS MATERIALIZED (
    SELECT b.*,
        b.r_open < 0.95 * exp(-b.age / 20.0) + 0.045 AS is_open,
        ({place_district})[b.place] AS district
    FROM base AS b
), staged AS MATERIALIZED (
    SELECT o.*,
        CASE WHEN o.is_open THEN {_weighted(OPEN_STATUSES, "o.r_status")} ELSE 'closed' END
            AS status,
        NOT o.is_open AND o.r_close < 0.3 AS intake_closed,
        o.is_open AND o.age > 10 AND o.r_overdue < 0.4 AS overdue
    FROM opened AS o
), routed AS MATERIALIZED (
    SELECT s.*,
        CASE WHEN s.status = 'received' OR s.intake_closed THEN NULL
             {government}
             ELSE ({issue_lead})[s.issue] END AS lead,
        1 + CAST(floor(s.r_a1 * 9) AS int) AS off1
    FROM staged AS s
), timed AS MATERIALIZED (
    SELECT r.*,
        r.lead IS NOT NULL AND r.status = 'closed' AS closed_dispatched,
        CASE WHEN r.lead IS NOT NULL
             THEN r.received_at + (5 + r.r_t1 * 115) * interval '1 minute' END AS dispatched,
        CASE WHEN r.lead IS NOT NULL
             AND r.status IN ('handling', 'replied', 'callback', 'closed')
             THEN least(r.received_at + (2 + r.r_t2 * 22) * interval '1 hour',
                        CAST(:now AS timestamptz)) END AS signed,
        CASE WHEN r.lead IS NOT NULL AND r.status IN ('replied', 'callback', 'closed')
             THEN least(r.received_at + (1 + r.r_t3 * 9) * interval '1 day',
                        CAST(:now AS timestamptz)) END AS replied,
        array_position({departments}, r.lead) - 1 AS lead0,
        1 + ((r.off1 + CAST(floor(r.r_a2 * 8) AS int)) % 9) AS off2
    FROM routed AS r
), closed AS MATERIALIZED (
    SELECT t.*,
        CASE WHEN t.status <> 'closed' THEN NULL
             WHEN t.intake_closed THEN t.received_at + (2 + t.r_t1 * 20) * interval '1 minute'
             ELSE least(t.replied + (1 + t.r_t2 * 3) * interval '1 day',
                        CAST(:now AS timestamptz)) END AS closed_at_,
        CASE WHEN t.status <> 'closed' THEN NULL
             WHEN t.intake_closed THEN {_weighted(INTAKE_CLOSURES, "t.r_reason")}
             WHEN ({type_code})[t.kind] = 'praise' THEN 'praise_noted'
             ELSE {_weighted(DISPATCHED_CLOSURES, "t.r_reason")} END AS reason,
        CASE WHEN t.closed_dispatched AND t.r_x2 < 0.02 THEN 1 ELSE 0 END AS reopen
    FROM timed AS t
)
SELECT
    {_quote(CASE_PREFIX)} || {beijing_day} || '-' || lpad(CAST(row_number() OVER (
        PARTITION BY {beijing_day} ORDER BY received_at, i) AS text), 6, '0'),
    CASE status WHEN 'received' THEN 2 WHEN 'dispatched' THEN 3 WHEN 'return_review' THEN 4
        WHEN 'handling' THEN 4 WHEN 'replied' THEN 5 WHEN 'callback' THEN 6
        ELSE CASE WHEN intake_closed THEN 2 ELSE 8 + 4 * reopen END END,
    status,
    reason,
    {_weighted(CHANNELS, "r_channel")},
    ({type_code})[kind],
    ({issue_category})[issue],
    {_weighted(URGENCIES, "r_urgency")},
    (i * 37) % 100 < 5,
    district,
    ({place_street})[place],
    '关于' || ({place_name})[place] || ({issue_text})[issue] || '的' || ({type_word})[kind],
    '来电人反映' || ({place_street})[place] || '（' || ({place_name})[place] || '）'
        || ({issue_text})[issue] || '，已持续' || (1 + i % 14) || '天。'
        || '来电人称此前已通过其他渠道反映，问题仍未解决，希望相关部门尽快核实处理并给予答复。',
    CASE WHEN i % 20 = 0 THEN NULL
         ELSE ({_array(SURNAMES)})[1 + (i * 13) % {len(SURNAMES)}]
              || CASE WHEN i % 2 = 0 THEN '先生' ELSE '女士' END END,
    '1' || (ARRAY['38', '39', '58', '59', '86', '87', '88'])[1 + i % 7]
        || lpad(CAST((CAST(i AS bigint) * 7919) % 100000000 AS text), 8, '0'),
    (i * 53) % 100 < 3,
    (i * 71) % 100 < 4,
    'op-' || lpad(CAST(1 + i % 40 AS text), 3, '0'),
    lead,
    CASE WHEN lead IS NULL OR r_assist >= 0.15 THEN CAST('[]' AS jsonb)
         WHEN r_assist < 0.03 THEN jsonb_build_array(
             ({departments})[1 + (lead0 + off1) % 10], ({departments})[1 + (lead0 + off2) % 10])
         ELSE jsonb_build_array(({departments})[1 + (lead0 + off1) % 10]) END,
    CASE WHEN NOT overdue THEN 0 WHEN r_x1 < 0.7 THEN 1 WHEN r_x1 < 0.93 THEN 2 ELSE 3 END,
    overdue,
    overdue OR (closed_dispatched AND r_overdue < 0.06),
    CASE WHEN NOT is_open THEN NULL
         WHEN overdue THEN CAST(:now AS timestamptz) - r_x2 * (age - 10) * interval '1 day'
         ELSE greatest(received_at + interval '10 days',
                       CAST(:now AS timestamptz) + r_x2 * interval '2 days') END,
    received_at,
    dispatched,
    signed,
    replied,
    closed_at_,
    reopen,
    CASE WHEN reason = 'resolved' THEN 1 + CAST(r_x1 < 0.1 AS int)
         WHEN reason = 'callback_unreachable' THEN 3 ELSE 0 END,
    CASE WHEN reason = 'resolved' THEN {_weighted(SATISFACTION, "r_sat")} END,
    CASE WHEN reason = 'resolved' THEN r_x2 < 0.85 END,
    NULL,
    greatest(received_at, dispatched, signed, replied, closed_at_),
    CASE WHEN status = 'closed'
         THEN least(closed_at_ + interval '1 minute', CAST(:now AS timestamptz)) END
FROM closed
"""


# ---- database ---------------------------------------------------------------------------------


def ensure_database(url: str) -> bool:
    """Create the database of `url` if it is missing (True if created)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("bench.list_scale needs PostgreSQL (generate_series, EXPLAIN, indexes)")
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
            if found:
                return False
            quoted = admin.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
            return True
    finally:
        admin.dispose()


def fill(engine: Engine, rows: int, say: Callable[[str], None]) -> bool:
    """`rows` synthetic cases in `cases`, unless it holds exactly that many (True if filled)."""
    with engine.connect() as connection:
        total, foreign = connection.execute(
            text("SELECT count(*), count(*) FILTER (WHERE case_no NOT LIKE :prefix) FROM cases"),
            {"prefix": CASE_PREFIX + "%"},
        ).one()
    if foreign:
        raise SystemExit(
            f"cases holds {foreign} rows this bench did not write: give it a database of its own"
        )
    if total == rows:
        say(f"cases already holds {rows:,} synthetic rows: not refilled")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE cases")
        return False
    say(f"filling cases with {rows:,} synthetic rows (was {total:,})")
    started = perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE cases")
        connection.execute(text("SELECT setseed(:seed)"), {"seed": SEED})
        connection.execute(text(fill_sql()), {"rows": rows, "now": datetime.now(UTC)})
    say(f"filled in {perf_counter() - started:.1f} s; VACUUM ANALYZE")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) cases")
    return True


def describe_data(engine: Engine) -> list[str]:
    """Lines on the filled table: sizes and the shares the queries depend on."""
    with engine.connect() as connection:
        shares = connection.execute(
            text(
                "SELECT count(*),"
                " avg(CAST(status = 'closed' AS int)), avg(CAST(overdue AS int)),"
                " avg(CAST(lead_department IS NULL AS int)),"
                " avg(CAST(jsonb_array_length(assisting_departments) > 0 AS int)),"
                " pg_size_pretty(pg_table_size('cases')),"
                " pg_size_pretty(pg_indexes_size('cases'))"
                " FROM cases"
            )
        ).one()
        indexes = connection.execute(
            text(
                "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid))"
                " FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid"
                " WHERE i.indrelid = CAST('cases' AS regclass) ORDER BY c.relname"
            )
        ).all()
    count, closed, overdue, no_lead, assisted, table_size, index_size = shares
    return [
        f"cases: {count:,} rows, table {table_size}, indexes {index_size}; closed "
        f"{closed:.1%}, overdue {overdue:.1%}, no lead department {no_lead:.1%}, "
        f"with assisting departments {assisted:.1%}",
        "indexes: " + ", ".join(f"{name} {size}" for name, size in indexes),
    ]


@contextmanager
def schema_before_0003(connection: Connection) -> Iterator[None]:
    """Inside the connection's transaction: the 0003 indexes dropped, 0001's rebuilt."""
    known = {index.name for index in CaseRow.metadata.tables["cases"].indexes}
    missing = [name for name in KEYSET_INDEXES if name not in known]
    if missing:
        raise RuntimeError(f"db.tables has no index {', '.join(missing)}: update the bench")
    for name in KEYSET_INDEXES:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    for column in REPLACED_COLUMNS:
        connection.exec_driver_sql(f"CREATE INDEX ix_cases_{column} ON cases ({column})")
    yield


# ---- the queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    name: str
    params: dict[str, Any]


def page_cursor(engine: Engine, page: int) -> str:
    """The cursor the route returns with page `page - 1` (so the next call reads `page`)."""
    sessions = sessionmaker(engine)
    with sessions() as session:
        row = session.scalars(
            select(CaseRow)
            .order_by(CaseRow.received_at.desc(), CaseRow.case_no.desc())
            .offset((page - 1) * LIMIT - 1)
            .limit(1)
        ).one()
        return _cursor(row)


def list_queries(cursor: str) -> list[ListQuery]:
    return [
        ListQuery("first page", {}),
        ListQuery(f"page {PAGE} (keyset cursor)", {"cursor": cursor}),
        ListQuery("status=dispatched", {"status": [CaseStatus.DISPATCHED]}),
        ListQuery("department=gy-water", {"department": "gy-water"}),
        ListQuery("overdue=true", {"overdue": True}),
        ListQuery(
            "district=南明区 & case_type=complaint",
            {"district": "南明区", "case_type": [CaseType.COMPLAINT]},
        ),
        ListQuery("q=花果园停水", {"q": "花果园停水"}),
    ]


@dataclass
class Plan:
    nodes: str
    generic: bool
    server_ms: float | None
    rows_read: int


@dataclass
class QueryResult:
    samples: list[float] = field(default_factory=list)
    page: list[str] = field(default_factory=list)
    plan: Plan | None = None

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


Phase = dict[str, QueryResult]


async def run_phase(
    connection: Connection, queries: Sequence[ListQuery], runs: int, warmup: int
) -> Phase:
    """Time every query through the route on `connection`, then capture the plans it used."""
    sessions = sessionmaker(bind=connection)
    # The list route uses only the sessions; it never touches the Temporal client.
    context = ApiContext(client=cast(Client, None), sessions=sessions, task_queue="bench")
    results = {query.name: QueryResult() for query in queries}
    for run in range(warmup + runs):
        for query in queries:
            started = perf_counter()
            page = await list_cases(
                principal=PRINCIPAL, context=context, limit=LIMIT, **query.params
            )
            elapsed = (perf_counter() - started) * 1000
            result = results[query.name]
            if run == 0:
                result.page = [item.case_no for item in page.items]
            if run >= warmup:
                result.samples.append(elapsed)
    for query in queries:
        results[query.name].plan = await capture_plan(connection, context, query)
    return results


async def capture_plan(connection: Connection, context: ApiContext, query: ListQuery) -> Plan:
    """The plan of one more call of the route: auto_explain's, else EXPLAIN ANALYZE's."""
    raw = connection.connection.driver_connection
    notices: list[str] = []
    statements: list[tuple[str, Any]] = []

    def on_notice(diagnostic: Any) -> None:
        notices.append(diagnostic.message_primary or "")

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        statements.append((statement, parameters))

    explained = _auto_explain(connection, on=True)
    raw.add_notice_handler(on_notice)
    event.listen(connection, "before_cursor_execute", on_execute)
    try:
        await list_cases(principal=PRINCIPAL, context=context, limit=LIMIT, **query.params)
        event.remove(connection, "before_cursor_execute", on_execute)
        # auto_explain logs when the statement's portal is closed, i.e. at the next statement.
        connection.exec_driver_sql("SELECT 1").all()
    finally:
        if event.contains(connection, "before_cursor_execute", on_execute):
            event.remove(connection, "before_cursor_execute", on_execute)
        raw.remove_notice_handler(on_notice)
        if explained:
            _auto_explain(connection, on=False)
    for notice in notices:
        start = notice.find("{")
        if "plan:" in notice and start >= 0:
            document = json.loads(notice[start:])
            if "FROM cases" not in document.get("Query Text", ""):
                continue
            duration = re.search(r"duration: ([0-9.]+) ms", notice)
            return _summarise(document["Plan"], float(duration.group(1)) if duration else None)
    statement, parameters = statements[-1]
    result = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
    ).scalar_one()
    document = (json.loads(result) if isinstance(result, str) else result)[0]
    return _summarise(document["Plan"], document.get("Execution Time"))


def _auto_explain(connection: Connection, *, on: bool) -> bool:
    if not on:
        connection.exec_driver_sql("SET auto_explain.log_min_duration = -1")
        connection.exec_driver_sql("SET client_min_messages = notice")
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("LOAD 'auto_explain'")
    except Exception:  # not a superuser, or no auto_explain: fall back to EXPLAIN ANALYZE
        return False
    for setting in (
        "auto_explain.log_format = json",
        "auto_explain.log_analyze = on",
        "auto_explain.log_timing = off",
        "auto_explain.log_min_duration = 0",
        "client_min_messages = log",
    ):
        connection.exec_driver_sql(f"SET {setting}")
    return True


SCANS_OF_ROWS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def _summarise(plan: dict[str, Any], server_ms: float | None) -> Plan:
    """The nodes under the top Limit (first child each), generic or not, rows the scans read.

    A generic plan shows its parameters as `$1`, ...; a custom one shows their values.
    """
    labels = []
    node: dict[str, Any] | None = plan
    while node is not None:
        if node["Node Type"] != "Limit":
            label = node["Node Type"]
            if node.get("Parallel Aware"):
                label = "Parallel " + label
            if node.get("Scan Direction") == "Backward":
                label += " Backward"
            if "Index Name" in node:
                label += f" ({node['Index Name'].removeprefix('ix_cases_')})"
            labels.append(label)
        children = node.get("Plans") or []
        node = children[0] if children else None
    rows_read = 0
    generic = False
    for each in _walk(plan):
        own = json.dumps({key: value for key, value in each.items() if key != "Plans"})
        generic = generic or re.search(r"\$\d+", own) is not None
        if each["Node Type"] in SCANS_OF_ROWS and each.get("Relation Name") == "cases":
            read = (
                each.get("Actual Rows", 0)
                + each.get("Rows Removed by Filter", 0)
                + each.get("Rows Removed by Index Recheck", 0)
            )
            rows_read += round(read * each.get("Actual Loops", 1))
    return Plan(" > ".join(labels), generic, server_ms, rows_read)


def _walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans") or []:
        yield from _walk(child)


# ---- report -----------------------------------------------------------------------------------


def _columns(value: str) -> int:
    """Terminal columns of `value`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def _left(value: str, width: int) -> str:
    return value + " " * max(0, width - _columns(value))


def phase_table(title: str, queries: Sequence[ListQuery], phase: Phase) -> list[str]:
    width = max(_columns(q.name) for q in queries) + 2
    lines = [
        title,
        f"  {_left('query', width)}{'p50 ms':>9}{'p99 ms':>9}{'sql ms':>9}{'rows read':>11}  plan",
    ]
    for query in queries:
        result = phase[query.name]
        plan = result.plan
        assert plan is not None
        server = f"{plan.server_ms:.2f}" if plan.server_ms is not None else "-"
        nodes = plan.nodes + (" [generic]" if plan.generic else "")
        lines.append(
            f"  {_left(query.name, width)}{result.percentile(50):>9.2f}"
            f"{result.percentile(99):>9.2f}{server:>9}{plan.rows_read:>11,}  {nodes}"
        )
    return lines


async def run(args: argparse.Namespace, say: Callable[[str], None]) -> float:
    url = normalise_url(args.database_url)
    if ensure_database(url):
        say(f"created database {make_url(url).database}")
    say("migrating to head")
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        await asyncio.to_thread(fill, engine, args.rows, say)
        header = describe_data(engine)
        cursor = page_cursor(engine, PAGE)
        queries = list_queries(cursor)
        with engine.connect() as connection:
            say(f"with the 0003 indexes: {args.warmup} + {args.runs} runs of {len(queries)} lists")
            with connection.begin() as transaction:
                indexed = await run_phase(connection, queries, args.runs, args.warmup)
                transaction.rollback()
            say("without them (schema of 0002), in a transaction rolled back afterwards")
            with connection.begin() as transaction:
                with schema_before_0003(connection):
                    without = await run_phase(connection, queries, args.runs, args.warmup)
                transaction.rollback()
    finally:
        engine.dispose()

    print(f"database: {safe_url(url)}; limit {LIMIT}; {args.warmup} warm-up + {args.runs} runs")
    for line in header:
        print(line)
    print()
    for line in phase_table("with the 0003 indexes", queries, indexed):
        print(line)
    print()
    for line in phase_table(
        "without them (0002: single-column status, lead_department, overdue)", queries, without
    ):
        print(line)
    print()
    mismatched = [q.name for q in queries if indexed[q.name].page != without[q.name].page]
    if mismatched:
        print("different pages with and without the indexes: " + ", ".join(mismatched))
    short = [q.name for q in queries if len(indexed[q.name].page) < LIMIT]
    if short:
        print(f"fewer than {LIMIT} rows: " + ", ".join(short))
    print(
        "speed-up (p50): "
        + "; ".join(
            f"{q.name} {without[q.name].percentile(50) / indexed[q.name].percentile(50):.1f}×"
            for q in queries
        )
    )
    with_median = statistics.median(indexed[q.name].percentile(50) for q in queries)
    without_median = statistics.median(without[q.name].percentile(50) for q in queries)
    print(f"median p50: {with_median:.2f} ms with, {without_median:.2f} ms without")
    return without_median / with_median


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.list_scale",
        description="GET /cases on N synthetic cases, with and without the 0003 indexes.",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="cases (1000000)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help=f"PostgreSQL database, created if missing ({DEFAULT_URL})",
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query (30)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up runs per query (3)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.rows < PAGE * LIMIT or args.runs < 1 or args.warmup < 0:
        parser.error(f"--rows must be ≥ {PAGE * LIMIT}, --runs ≥ 1 and --warmup ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    say: Callable[[str], None] = (lambda _: None) if args.quiet else _progress
    ratio = asyncio.run(run(args, say))
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
