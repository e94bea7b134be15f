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
  row 9,950 in the route's order, encoded by ``services.case_list.page_cursor``);
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
import statistics
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, cast

from sqlalchemy import Connection, Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from temporalio.client import Client

from api.context import ApiContext
from api.routes.cases import list_cases
from bench.harness import options
from bench.harness.database import ensure_database, is_postgres
from bench.harness.options import Say
from bench.harness.report import columns, left
from bench.harness.timing import percentile, since_ms
from bench.list_data import describe_data, fill
from bench.list_plans import Plan, capture_plan
from db.engine import make_engine, normalise_url, safe_url
from db.tables import CaseRow
from migrations.runner import upgrade
from models.enums import CaseStatus, CaseType
from rules.permissions import Principal, Role
from services.case_list import page_cursor as cursor_after

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hotline_bench"
LIMIT = 50
PAGE = 200
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
        return cursor_after(row)


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
class QueryResult:
    samples: list[float] = field(default_factory=list)
    page: list[str] = field(default_factory=list)
    plan: Plan | None = None

    def percentile(self, p: float) -> float:
        return percentile(self.samples, p)


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
            elapsed = since_ms(started)
            result = results[query.name]
            if run == 0:
                result.page = [item.case_no for item in page.items]
            if run >= warmup:
                result.samples.append(elapsed)
    for query in queries:
        call = _route_call(context, query)
        results[query.name].plan = await capture_plan(connection, call)
    return results


def _route_call(context: ApiContext, query: ListQuery) -> Callable[[], Awaitable[object]]:
    async def call() -> object:
        return await list_cases(principal=PRINCIPAL, context=context, limit=LIMIT, **query.params)

    return call


def phase_table(title: str, queries: Sequence[ListQuery], phase: Phase) -> list[str]:
    width = max(columns(q.name) for q in queries) + 2
    lines = [
        title,
        f"  {left('query', width)}{'p50 ms':>9}{'p99 ms':>9}{'sql ms':>9}{'rows read':>11}  plan",
    ]
    for query in queries:
        result = phase[query.name]
        plan = result.plan
        assert plan is not None
        server = f"{plan.server_ms:.2f}" if plan.server_ms is not None else "-"
        nodes = plan.nodes + (" [generic]" if plan.generic else "")
        lines.append(
            f"  {left(query.name, width)}{result.percentile(50):>9.2f}"
            f"{result.percentile(99):>9.2f}{server:>9}{plan.rows_read:>11,}  {nodes}"
        )
    return lines


async def run(args: argparse.Namespace, say: Say) -> float:
    url = normalise_url(args.database_url)
    if not is_postgres(url):
        raise SystemExit("bench.list_scale needs PostgreSQL (generate_series, EXPLAIN, indexes)")
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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.list_scale", "GET /cases on N synthetic cases, with and without the 0003 indexes."
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="cases (1000000)")
    options.add_database_url(
        parser, f"PostgreSQL database, created if missing ({DEFAULT_URL})", DEFAULT_URL
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query (30)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up runs per query (3)")
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.rows < PAGE * LIMIT or args.runs < 1 or args.warmup < 0:
        parser.error(f"--rows must be ≥ {PAGE * LIMIT}, --runs ≥ 1 and --warmup ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    ratio = asyncio.run(run(args, options.progress(args.quiet)))
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
