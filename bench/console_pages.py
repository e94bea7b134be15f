"""The console's list pages on a million cases: server time of the inbox and the board, with
the indexes of migration 0018 and without them.

    python -m bench.console_pages [--rows 1000000] [--database-url URL] [--runs 30]
                                  [--warmup 3] [--quiet]

PostgreSQL only (default ``postgresql://postgres@127.0.0.1:5432/hotline_bench_console``),
created if missing, migrated to head with ``migrations.runner.upgrade`` and seeded with the demo
reference data (departments, catalogue). ``cases`` is filled by `bench.console_data`
(`bench.list_data`'s synthetic year, plus the warning moments of the open cases) unless it
already holds exactly ``--rows`` of its cases.

The real application (``api.app.create_app``) is served in-process through
``httpx.ASGITransport``: no network, no Temporal (the list pages never call it). Two console
users are added if missing, a ``gy-water`` department user (the largest department) and a
supervisor, each with a password of their own, signed in through
``services.console_auth.sign_in``; every request carries the real session cookie, so it goes
through the session check, the role check, the list queries and the templates. A request's
server time is the wall time of its ASGI call. Pages, each with its polled fragment:

* department: ``/inbox`` (first page), its page 2 through the keyset link page 1 gives,
  ``/inbox?stage=warned`` (a filter), ``/fragments/inbox``;
* supervisor: ``/board`` (overdue and due-within-24-hours sections, each with its counts by
  department × level), ``/board?department=gy-water`` (the lead or assisting match),
  ``/fragments/overdue`` and ``/fragments/near-due``.

Each page is requested ``--warmup`` times, then ``--runs`` times round-robin with the others;
p50/p95/p99 are nearest-rank percentiles. All requests of a phase run on one database connection
inside a transaction that is rolled back afterwards (the sessions of the app are bound to it).
Phase one has the schema at head; phase two drops the indexes and the statistics of migration
0018 inside its transaction first, i.e. the schema before 0018. Both phases must serve the
same rows (but for the pages with the next 24 hours' section, whose window moves on between the
phases). After the timed runs of each phase, the statements on ``cases`` of one more request
of each of the slowest pages are shown with the plans they ran with (``auto_explain`` in the
session, a superuser only: psycopg prepares a statement from its fifth execution, and PostgreSQL
may then keep a generic plan), and where the CPU went meanwhile (this process, the PostgreSQL
server's processes, the rest of the machine: a large rest means the figures were disturbed).
The last lines are the worst p95 with the indexes against the issue's 150 ms, and always
``ratio: <median p95 without ÷ median p95 with>``, medians over the pages' p95s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import re
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any, cast

import httpx
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from temporalio.client import Client

from api.app import create_app
from api.console.web import COOKIE
from api.context import ApiContext
from bench import console_data
from bench.harness import options
from bench.harness.database import ensure_database, is_postgres
from bench.harness.machine import cpu_s, machine_busy_s
from bench.harness.options import Say
from bench.harness.report import columns, left
from bench.harness.timing import percentile, since_ms
from bench.list_data import describe_data
from db.engine import SessionFactory, make_engine, normalise_url, safe_url, session_factory
from db.seed import seed_demo
from db.tables import UserRow
from migrations.runner import upgrade
from rules.permissions import Role
from services.console_auth import set_password, sign_in
from services.principals import add_user

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hotline_bench_console"
DEPARTMENT = "gy-water"
SMALL_DEPARTMENT = "gy-civil"
EMPTY_DEPARTMENT = "guanshanhu-gov"
PASSWORD = "bench console pages"
SUPERVISOR = "bench-pages-sup"
USERS = (
    (f"bench-pages-{DEPARTMENT}", "基准测试联络员", Role.DEPARTMENT, DEPARTMENT),
    (f"bench-pages-{SMALL_DEPARTMENT}", "基准测试联络员", Role.DEPARTMENT, SMALL_DEPARTMENT),
    (f"bench-pages-{EMPTY_DEPARTMENT}", "基准测试联络员", Role.DEPARTMENT, EMPTY_DEPARTMENT),
    (SUPERVISOR, "基准测试督办员", Role.SUPERVISOR, None),
)
TARGET_MS = 150.0
"""The issue's bound on a page's p95 server time."""
SHOWN_PLANS = 3
"""Plans printed per phase: the slowest pages' statements."""

CONSOLE_INDEXES = (
    "ix_cases_lead_department_status_next_deadline_case_no",
    "ix_cases_overdue_status_lead_department_escalation_level",
    "ix_cases_board_due",
    "ix_cases_assisting_departments_trgm",
)
"""The indexes migration 0018 adds (those present are dropped for the second phase)."""
CONSOLE_STATISTICS = "st_cases_overdue_status"
"""The extended statistics migration 0018 adds (dropped for the second phase too)."""
ROW = re.compile(r'<tr class="stage-[a-z0-9]+">\s*<td data-th="案件编号"><a href="/case/([^"]+)"')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


@dataclass(frozen=True)
class Page:
    name: str
    user: str
    path: str
    moving: bool = False  # shows the next 24 hours' window, which moves between the phases
    holds_cases: bool = True  # False: the reader holds no case (an empty list, read in full)


@dataclass
class PageResult:
    samples: list[float] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    size: int = 0

    def percentile(self, p: float) -> float:
        return percentile(self.samples, p)


@dataclass
class Phase:
    pages: dict[str, PageResult]
    load: str = ""  # where the CPU went while the pages were timed

    def __getitem__(self, name: str) -> PageResult:
        return self.pages[name]


def postgres_cpu_s() -> float:
    """CPU seconds of the local PostgreSQL server: its live processes, and through the
    postmaster's children's times those that ended (e.g. parallel workers)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and entry.joinpath("comm").read_text() == "postgres\n":
                stats[int(entry.name)] = (
                    entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()
                )
    ticks = 0
    for fields in stats.values():
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if int(fields[1]) not in stats:  # the postmaster: add its reaped children
            ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    """CPU seconds of this process, of the PostgreSQL server's processes and of the machine."""

    wall_s: float
    own_s: float
    postgres_s: float
    machine_s: float

    @classmethod
    def now(cls) -> Usage:
        own = cpu_s([os.getpid()])
        return cls(perf_counter(), own, postgres_cpu_s(), machine_busy_s())

    def since(self, start: Usage) -> str:
        wall = self.wall_s - start.wall_s
        own, postgres = self.own_s - start.own_s, self.postgres_s - start.postgres_s
        rest = self.machine_s - start.machine_s - own - postgres
        return (
            f"{wall:.1f} s: this process {own / wall:.2f} CPU, PostgreSQL {postgres / wall:.2f},"
            f" rest of the machine {max(rest, 0.0) / wall:.2f} (of {os.cpu_count()})"
        )


# ---- setting up --------------------------------------------------------------------------------


def prepare_users(sessions: SessionFactory) -> dict[str, str]:
    """The bench's console users (added if missing), signed in: user id → session cookie."""
    tokens = {}
    at = datetime.now(UTC)
    for user_id, name, role, department in USERS:
        with sessions() as session:
            known = session.get(UserRow, user_id) is not None
        if not known:
            add_user(sessions, user_id, name, role, department)
        set_password(sessions, user_id, PASSWORD, by=user_id, now=at)
        tokens[user_id] = sign_in(sessions, user_id, PASSWORD, now=at).token
    return tokens


async def second_page(client: httpx.AsyncClient, token: str) -> str:
    """The path of `/inbox`'s next-page link (the keyset cursor of its first page)."""
    response = await client.get("/inbox", cookies={COOKIE: token})
    response.raise_for_status()
    found = NEXT.search(response.text)
    if found is None:
        raise SystemExit("/inbox shows no next page: too few cases for the department")
    return html.unescape(found.group(1))


def pages(page_two: str) -> list[Page]:
    department, small, empty, supervisor = (user[0] for user in USERS)
    return [
        Page("/inbox", department, "/inbox"),
        Page(f"/inbox of {SMALL_DEPARTMENT}", small, "/inbox"),
        Page(f"/inbox of {EMPTY_DEPARTMENT}", empty, "/inbox", holds_cases=False),
        Page("/inbox page 2 (keyset link)", department, page_two),
        Page("/inbox?stage=warned", department, "/inbox?stage=warned"),
        Page("/fragments/inbox", department, "/fragments/inbox"),
        Page("/board", supervisor, "/board", moving=True),
        Page(
            f"/board?department={DEPARTMENT}",
            supervisor,
            f"/board?department={DEPARTMENT}",
            moving=True,
        ),
        Page("/fragments/overdue", supervisor, "/fragments/overdue"),
        Page("/fragments/near-due", supervisor, "/fragments/near-due", moving=True),
    ]


# ---- timing ------------------------------------------------------------------------------------


def app_client(connection: Connection) -> httpx.AsyncClient:
    """A client of the whole app whose database sessions are bound to `connection`."""
    sessions = sessionmaker(bind=connection)
    # The list pages use only the sessions; they never touch the Temporal client.
    app = create_app(ApiContext(client=cast(Client, None), sessions=sessions, task_queue="bench"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")


async def request(client: httpx.AsyncClient, page: Page, tokens: dict[str, str]) -> httpx.Response:
    response = await client.get(page.path, cookies={COOKIE: tokens[page.user]})
    if response.status_code != 200:
        raise SystemExit(f"{page.path}: HTTP {response.status_code}\n{response.text[:500]}")
    return response


async def run_phase(
    connection: Connection, queue: Sequence[Page], tokens: dict[str, str], args: argparse.Namespace
) -> Phase:
    """Time every page on `connection`: warm-up, then the runs round-robin."""
    results = {page.name: PageResult() for page in queue}
    async with app_client(connection) as client:
        for run in range(args.warmup + args.runs):
            if run == args.warmup:
                timed_from = Usage.now()
            for page in queue:
                started = perf_counter()
                response = await request(client, page, tokens)
                elapsed = since_ms(started)
                result = results[page.name]
                if run == 0:
                    result.rows = ROW.findall(response.text)
                    result.size = len(response.content)
                if run >= args.warmup:
                    result.samples.append(elapsed)
    return Phase(results, Usage.now().since(timed_from))


# ---- plans -------------------------------------------------------------------------------------


AUTO_EXPLAIN = (
    "auto_explain.log_format = json",
    "auto_explain.log_analyze = on",
    "auto_explain.log_timing = off",
    "auto_explain.log_min_duration = 0",
    "client_min_messages = log",
)


@dataclass(frozen=True)
class RanPlan:
    query: str
    server_ms: float | None
    plan: dict[str, Any]
    generic: bool


async def plans_of(connection: Connection, page: Page, tokens: dict[str, str]) -> list[RanPlan]:
    """The plans the statements on `cases` of one more request of `page` ran with
    (`auto_explain` in the session: needs a superuser; nothing otherwise)."""
    raw = connection.connection.driver_connection
    notices: list[str] = []

    def on_notice(diagnostic: Any) -> None:
        notices.append(diagnostic.message_primary or "")

    try:
        with connection.begin_nested():
            connection.exec_driver_sql("LOAD 'auto_explain'")
    except DBAPIError:
        return []
    for setting in AUTO_EXPLAIN:
        connection.exec_driver_sql(f"SET {setting}")
    raw.add_notice_handler(on_notice)
    try:
        async with app_client(connection) as client:
            await request(client, page, tokens)
        connection.exec_driver_sql("SELECT 1").all()  # logged when the last portal closes
    finally:
        raw.remove_notice_handler(on_notice)
        connection.exec_driver_sql("SET auto_explain.log_min_duration = -1")
        connection.exec_driver_sql("SET client_min_messages = notice")
    return [plan for plan in map(_ran_plan, notices) if plan is not None]


def _ran_plan(notice: str) -> RanPlan | None:
    start = notice.find("{")
    if "plan:" not in notice or start < 0:
        return None
    document = json.loads(notice[start:])
    query = document.get("Query Text", "")
    if "FROM cases" not in query:
        return None
    duration = re.search(r"duration: ([0-9.]+) ms", notice)
    generic = re.search(r"\$\d+", json.dumps(document["Plan"])) is not None
    server_ms = float(duration.group(1)) if duration else None
    return RanPlan(" ".join(query.split()), server_ms, document["Plan"], generic)


def _plan_lines(node: dict[str, Any], depth: int) -> Iterator[str]:
    label = node["Node Type"]
    if node.get("Parallel Aware"):
        label = "Parallel " + label
    if node.get("Scan Direction") == "Backward":
        label += " Backward"
    if "Index Name" in node:
        label += f" on {node['Index Name']}"
    if node.get("Relation Name") == "cases":
        read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        label += f" (rows read {round(read * node.get('Actual Loops', 1)):,})"
    yield "  " * depth + label
    for child in node.get("Plans") or []:
        yield from _plan_lines(child, depth + 1)


async def plan_lines(
    connection: Connection, slowest: Sequence[Page], tokens: dict[str, str]
) -> list[str]:
    lines = []
    for page in slowest:
        lines.append(f"  {page.name}:")
        for ran in await plans_of(connection, page, tokens):
            server = f"{ran.server_ms:.1f} ms" if ran.server_ms is not None else "?"
            kind = "generic plan" if ran.generic else "custom plan"
            lines.append(f"    {server} server, {kind}: {ran.query[:90]} …")
            lines.extend("      " + line for line in _plan_lines(ran.plan, 0))
    return lines


# ---- the schema before 0018 --------------------------------------------------------------------


@contextmanager
def schema_before_0018(connection: Connection) -> Iterator[list[str]]:
    """Inside the connection's transaction: the indexes and statistics of 0018 dropped (the
    names of those dropped)."""
    present = set(
        connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'cases'"
            " AND schemaname = current_schema()"
        ).scalars()
    )
    dropped = [name for name in CONSOLE_INDEXES if name in present]
    for name in dropped:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    statistics = connection.exec_driver_sql(
        "SELECT 1 FROM pg_statistic_ext WHERE stxname = %(name)s", {"name": CONSOLE_STATISTICS}
    ).first()
    if statistics is not None:
        connection.exec_driver_sql(f"DROP STATISTICS {CONSOLE_STATISTICS}")
        dropped.append(CONSOLE_STATISTICS)
    yield dropped


# ---- the report --------------------------------------------------------------------------------


def table(queue: Sequence[Page], indexed: Phase, without: Phase) -> list[str]:
    width = max(columns(page.name) for page in queue) + 2
    lines = [
        f"  {left('page', width)}{'with 0018: p50':>15}{'p95':>8}{'p99':>8}"
        f"{'without: p50':>14}{'p95':>8}{'p99':>8}{'p95 ratio':>11}{'rows':>6}{'KiB':>6}"
    ]
    for page in queue:
        a, b = indexed[page.name], without[page.name]
        lines.append(
            f"  {left(page.name, width)}{a.percentile(50):>15.1f}{a.percentile(95):>8.1f}"
            f"{a.percentile(99):>8.1f}{b.percentile(50):>14.1f}{b.percentile(95):>8.1f}"
            f"{b.percentile(99):>8.1f}{b.percentile(95) / a.percentile(95):>10.1f}×"
            f"{len(a.rows):>6}{a.size / 1024:>6.0f}"
        )
    return lines


def slowest(queue: Sequence[Page], phase: Phase) -> list[Page]:
    return sorted(queue, key=lambda page: -phase[page.name].percentile(95))[:SHOWN_PLANS]


async def run(args: argparse.Namespace, say: Say) -> float:
    url = normalise_url(args.database_url)
    if not is_postgres(url):
        raise SystemExit("bench.console_pages needs PostgreSQL (generate_series, EXPLAIN, indexes)")
    if ensure_database(url):
        say(f"created database {make_url(url).database}")
    say("migrating to head")
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        return await measure(engine, url, args, say)
    finally:
        engine.dispose()


async def measure(engine: Engine, url: str, args: argparse.Namespace, say: Say) -> float:
    sessions = session_factory(engine)
    await asyncio.to_thread(seed_demo, sessions)
    await asyncio.to_thread(console_data.fill, engine, args.rows, say)
    header = [*describe_data(engine), console_data.describe_lists(engine)]
    tokens = await asyncio.to_thread(prepare_users, sessions)
    with engine.connect() as connection:
        with connection.begin() as transaction:
            async with app_client(connection) as client:
                page_two = await second_page(client, tokens[USERS[0][0]])
            transaction.rollback()
        queue = pages(page_two)
        say(f"with the 0018 indexes: {args.warmup} + {args.runs} runs of {len(queue)} pages")
        with connection.begin() as transaction:
            indexed = await run_phase(connection, queue, tokens, args)
            plans_with = await plan_lines(connection, slowest(queue, indexed), tokens)
            transaction.rollback()
        say("without them (schema of 0017), in a transaction rolled back afterwards")
        with connection.begin() as transaction:
            with schema_before_0018(connection) as dropped:
                without = await run_phase(connection, queue, tokens, args)
                plans_without = await plan_lines(connection, slowest(queue, without), tokens)
            transaction.rollback()
    return report(url, args, header, queue, indexed, without, dropped, plans_with, plans_without)


def report(
    url: str,
    args: argparse.Namespace,
    header: Sequence[str],
    queue: Sequence[Page],
    indexed: Phase,
    without: Phase,
    dropped: Sequence[str],
    plans_with: Sequence[str],
    plans_without: Sequence[str],
) -> float:
    print(f"database: {safe_url(url)}; {args.warmup} warm-up + {args.runs} runs per page")
    for line in header:
        print(line)
    print("dropped for the second phase: " + (", ".join(dropped) or "nothing (no 0018 index)"))
    print()
    print("server time of each page (ms, wall time of the ASGI call)")
    for line in table(queue, indexed, without):
        print(line)
    print(f"CPU with the indexes, {indexed.load}")
    print(f"CPU without them, {without.load}")
    print()
    print("plans of the slowest pages, with the 0018 indexes")
    for line in plans_with:
        print(line)
    print("plans of the slowest pages, without them")
    for line in plans_without:
        print(line)
    print()
    mismatched = [
        p.name for p in queue if not p.moving and indexed[p.name].rows != without[p.name].rows
    ]
    if mismatched:
        print("different rows with and without the indexes: " + ", ".join(mismatched))
    moving = ", ".join(p.name for p in queue if p.moving)
    print(f"not compared (their 24-hour window moves between the phases): {moving}")
    empty = [p.name for p in queue if p.holds_cases and not indexed[p.name].rows]
    if empty:
        print("no row shown: " + ", ".join(empty))
    worst = max(indexed[p.name].percentile(95) for p in queue)
    verdict = "within" if worst <= TARGET_MS else "over"
    print(f"worst p95 with the indexes: {worst:.1f} ms ({verdict} {TARGET_MS:.0f} ms)")
    with_median = statistics.median(indexed[p.name].percentile(95) for p in queue)
    without_median = statistics.median(without[p.name].percentile(95) for p in queue)
    print(f"median p95: {with_median:.1f} ms with, {without_median:.1f} ms without")
    return without_median / with_median


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.console_pages",
        "The console's inbox and board on N synthetic cases, with and without the 0018 indexes.",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="cases (1000000)")
    options.add_database_url(
        parser, f"PostgreSQL database, created if missing ({DEFAULT_URL})", DEFAULT_URL
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per page (30)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up runs per page (3)")
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.rows < 10_000 or args.runs < 1 or args.warmup < 0:
        parser.error("--rows must be ≥ 10000, --runs ≥ 1 and --warmup ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    ratio = asyncio.run(run(args, options.progress(args.quiet)))
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
