"""The synthetic cases of `bench.list_scale`: a year of a city's 12345 cases, written by
PostgreSQL itself in one ``INSERT ... SELECT ... FROM generate_series(1, N)``.

The random draws are seeded, so the same row count gives the same data; the shapes are in
`bench.list_scale`'s docstring. The case numbers start with ``BL``; `fill` refuses a ``cases``
table holding any other row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from time import perf_counter

from sqlalchemy import Engine, text

from bench.harness.options import Say
from bench.harness.synthetic import (
    CASE_COLUMNS,
    CASE_TYPES,
    CHANNELS,
    DISPATCHED_CLOSURES,
    INTAKE_CLOSURES,
)

CASE_PREFIX = "BL"
SEED = 0.12345

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
TYPE_WORDS = {
    "complaint": "投诉",
    "consultation": "咨询",
    "help": "求助",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
    "other": "反映",
}
"""The word a title ends in, by case type."""
OPEN_STATUSES = (
    ("handling", 45),
    ("dispatched", 20),
    ("callback", 15),
    ("replied", 13),
    ("received", 4),
    ("return_review", 3),
)
URGENCIES = (("normal", 94), ("urgent", 3), ("utility", 3))
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
    type_code = _array([code for code, _ in CASE_TYPES])
    type_word = _array([TYPE_WORDS[code] for code, _ in CASE_TYPES])
    departments = _array(DEPARTMENTS)
    government = " ".join(
        f"WHEN s.district = {_quote(d)} AND s.r_route < 0.25 THEN {_quote(gov)}"
        for d, gov in DISTRICT_GOVERNMENTS.items()
    )
    beijing_day = "to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')"
    draws = ", ".join(f"random() AS {name}" for name in DRAWS)
    return f"""
INSERT INTO cases (
{CASE_COLUMNS}
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


def fill(engine: Engine, rows: int, say: Say) -> bool:
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
