"""The console's intake form at the counter: form submitted → case number on screen, with 20
operators at once, update-with-start against the polling intake it replaced, in one run.

    python -m bench.console_intake [--operators 20] [--requests 200] [--think 4.0] [--rounds 2]
                                   [--database-url URL] [--json] [--quiet]

One process runs what `make run` runs: an in-memory Temporal dev server (temporal-dev.yml's
namespace and search attributes), the case worker of ``workers.worker.build_worker`` and the
whole app (API and console) served by uvicorn on a free 127.0.0.1 port. The database is a fresh
SQLite file, or ``--database-url`` (migrated and seeded; nothing dropped).

``--operators`` console users sign in through ``/sign-in`` (each an ``httpx.AsyncClient`` with
its own cookies and one keep-alive connection, on the API's event loop), open ``/intake`` for
its CSRF token, then each takes calls: waits a think time drawn uniformly from 0 to twice
``--think`` seconds (the call itself; ``--think 0`` is a closed loop, every operator submitting
again as soon as the last answer is on screen), then posts the intake form (a consumer complaint
dispatched to gy-market with the catalogue's lead). The latency is from sending the form to
having read the whole page; a page that does not show a case number (``GY…-nnnnnn`` in
``#case-no``) counts as an error.

Two ways of taking the intake in, alternating in ``--rounds`` rounds of ``--requests ÷ rounds``
forms each:

* ``update-with-start``: ``services.cases.open_case`` as it is, starting the case and waiting for
  the read-only ``intake_recorded`` Update in one call;
* ``polling`` (the baseline): the same checks and case number, then ``start_workflow`` and the
  ``view`` Query every 100 ms until the intake is recorded, as ``open_case`` did before.

The last line is always ``console intake: p95 <x> ms (polling <y> ms) at <n> operators``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.store import allocate_case_no, retrieval_code
from api.app import create_app
from api.context import ApiContext
from api.server import ApiSettings, serve_api
from bench.api_latency import free_port, wait_until_serving
from bench.harness import options
from bench.harness.database import app_database
from bench.harness.report import print_report
from bench.harness.temporal import dev_server
from bench.harness.timing import percentile, since_ms
from db.engine import SessionFactory, make_engine, session_factory
from models.state import CaseView
from services import cases as case_service
from services.console_auth import set_password
from services.principals import add_user
from workers.worker import build_worker
from workflows.case import CaseWorkflow, workflow_id
from workflows.case.views import initial_search_attributes

TASK_QUEUE = "bench-console-intake"
HOST = "127.0.0.1"
PASSWORD = "bench-console-9"
REQUEST_TIMEOUT_S = 60.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CASE_NO = re.compile(r'id="case-no">(GY\d{8}-\d{6})<')
WAYS = ("update-with-start", "polling")
FORM = {
    "case_type": "complaint",
    "category": "市场监管/消费投诉",
    "district": "云岩区",
    "street": "中华北路",
    "caller_name": "李四",
    "caller_phone": "13912345678",
    "title": "商家拒绝退款",
    "content": "商品质量问题，商家拒绝退款。",
    "outcome": "dispatch",
    "lead_department": "gy-market",
}

# ---- the baseline: the intake as it was, start then poll ---------------------------------------


async def open_case_polling(
    client: Client,
    sessions: SessionFactory,
    request: case_service.IntakeRequest,
    task_queue: str,
    now: datetime | None = None,
) -> CaseView:
    """`open_case` before update-with-start: the same checks and case number, then the start and
    the `view` Query every 100 ms until the workflow says the intake is recorded."""
    now = now or datetime.now(UTC)
    await asyncio.to_thread(case_service.check_direct_answer, sessions, request)
    case_no = await asyncio.to_thread(allocate_case_no, sessions, request.request_id, now)
    code = await asyncio.to_thread(retrieval_code, sessions, case_no)
    intake = request.to_intake(case_no, code)
    with suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            CaseWorkflow.run,
            intake,
            id=workflow_id(case_no),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=initial_search_attributes(intake),
        )
    handle: case_service.CaseHandle = client.get_workflow_handle(
        workflow_id(case_no), result_type=CaseView
    )
    return await case_service.poll_intake_recorded(handle, case_no, task_queue)


@contextmanager
def intake_by(way: str) -> Iterator[None]:
    """The console's `open_case` for the duration: as it is, or the polling baseline."""
    original = case_service.open_case
    if way == "polling":
        case_service.open_case = open_case_polling
    try:
        yield
    finally:
        case_service.open_case = original


# ---- the operators ------------------------------------------------------------------------------


@dataclass
class Operator:
    http: httpx.AsyncClient
    csrf: str = ""


@dataclass
class Phase:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def add_operators(url: str, count: int) -> list[str]:
    sessions = session_factory(make_engine(url))
    suffix = secrets.token_hex(3)
    users = [f"bench-op-{suffix}-{n:02d}" for n in range(count)]
    for user in users:
        add_user(sessions, user, "bench operator", "operator")
        set_password(sessions, user, PASSWORD, by=user, now=datetime.now(UTC))
    return users


async def signed_in(base_url: str, user: str) -> Operator:
    http = httpx.AsyncClient(
        base_url=base_url,
        timeout=REQUEST_TIMEOUT_S,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )
    form = await http.get("/sign-in")
    token = _csrf(form.text)
    done = await http.post("/sign-in", data={"csrf": token, "user_id": user, "password": PASSWORD})
    if done.status_code != 303:
        raise RuntimeError(f"sign-in of {user} answered {done.status_code}")
    intake = await http.get("/intake")
    return Operator(http, _csrf(intake.text))


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


async def take_calls(
    operators: list[Operator], forms: int, think_s: float, rng: random.Random
) -> Phase:
    """Every operator takes calls until `forms` forms have been submitted in all."""
    phase = Phase()
    left = [forms]

    async def operator_at_work(operator: Operator) -> None:
        while left[0] > 0:
            left[0] -= 1
            if think_s:
                await asyncio.sleep(rng.uniform(0, 2 * think_s))
            body = FORM | {"csrf": operator.csrf, "request_id": secrets.token_hex(16)}
            started = perf_counter()
            try:
                answer = await operator.http.post("/intake", data=body)
                text = answer.text
            except httpx.HTTPError as err:
                phase.errors.append(f"{type(err).__name__}: {err}")
                continue
            elapsed = since_ms(started)
            if answer.status_code != 200 or not CASE_NO.search(text):
                phase.errors.append(f"{answer.status_code}: no case number on the page")
                continue
            phase.latencies_ms.append(elapsed)

    started = perf_counter()
    await asyncio.gather(*(operator_at_work(o) for o in operators))
    phase.wall_s = perf_counter() - started
    return phase


# ---- the report ---------------------------------------------------------------------------------


@dataclass
class Report:
    settings: dict[str, Any]
    phases: dict[str, Phase] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        figures: dict[str, Any] = {"settings": self.settings}
        for way, phase in self.phases.items():
            values = phase.latencies_ms
            figures[way] = {
                "forms": len(values) + len(phase.errors),
                "errors": len(phase.errors),
                "p50_ms": round(percentile(values, 50), 1),
                "p95_ms": round(percentile(values, 95), 1),
                "p99_ms": round(percentile(values, 99), 1),
                "max_ms": round(max(values), 1) if values else 0.0,
                "forms_per_s": round(len(values) / phase.wall_s, 2) if phase.wall_s else 0.0,
            }
        return figures

    def table(self) -> str:
        figures = self.figures()
        s = self.settings
        lines = [
            f"{s['operators']} operators, think time uniform 0–{2 * s['think_s']:g} s, "
            f"{s['requests']} forms per way in {s['rounds']} alternating rounds",
            f"database: {s['database']}; {s['cpus']} CPUs; operators on the API's event loop",
            f"{'':22}" + "".join(f"{way:>20}" for way in self.phases),
        ]
        for label, key in [
            ("forms", "forms"),
            ("errors", "errors"),
            ("p50 (ms)", "p50_ms"),
            ("p95 (ms)", "p95_ms"),
            ("p99 (ms)", "p99_ms"),
            ("max (ms)", "max_ms"),
            ("forms/s", "forms_per_s"),
        ]:
            lines.append(f"{label:22}" + "".join(f"{figures[way][key]:>20}" for way in self.phases))
        return "\n".join(lines)

    def summary(self) -> str:
        figures = self.figures()
        return (
            f"console intake: p95 {figures['update-with-start']['p95_ms']:.1f} ms "
            f"(polling {figures['polling']['p95_ms']:.1f} ms) "
            f"at {self.settings['operators']} operators"
        )

    @property
    def errors(self) -> list[str]:
        return [error for phase in self.phases.values() for error in phase.errors]


# ---- the run ------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> Report:
    say = options.progress(args.quiet)
    rng = random.Random(12345)
    async with app_database(args.database_url) as database, dev_server() as server:
        sessions = session_factory(make_engine(database.url))
        app = create_app(ApiContext(server.client, sessions, TASK_QUEUE))
        api = ApiSettings(HOST, free_port())
        base_url = f"http://{api.host}:{api.port}"
        users = await asyncio.to_thread(add_operators, database.url, args.operators)
        stop = asyncio.Event()
        async with build_worker(server.client, TASK_QUEUE, database.url):
            serving = asyncio.create_task(serve_api(app, api, stop))
            try:
                await wait_until_serving(base_url, serving)
                say(f"signing in {args.operators} operators")
                operators = [await signed_in(base_url, user) for user in users]
                report = Report(
                    {
                        "operators": args.operators,
                        "requests": args.requests,
                        "rounds": args.rounds,
                        "think_s": args.think,
                        "database": database.label,
                        "cpus": os.cpu_count(),
                    }
                )
                for way in WAYS:
                    report.phases[way] = Phase()
                say("warm-up: 2 forms per operator each way")
                for way in WAYS:
                    with intake_by(way):
                        await take_calls(operators, 2 * args.operators, 0, rng)
                per_round = max(1, args.requests // args.rounds)
                for number in range(1, args.rounds + 1):
                    for way in WAYS:
                        say(f"round {number}: {per_round} forms, {way}")
                        with intake_by(way):
                            phase = await take_calls(operators, per_round, args.think, rng)
                        total = report.phases[way]
                        total.latencies_ms += phase.latencies_ms
                        total.errors += phase.errors
                        total.wall_s += phase.wall_s
                for operator in operators:
                    await operator.http.aclose()
                return report
            finally:
                stop.set()
                await serving


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.console_intake",
        "Console intake form → case number on screen, update-with-start against polling.",
    )
    parser.add_argument("--operators", type=int, default=20, help="operators at once (20)")
    parser.add_argument("--requests", type=int, default=200, help="forms per way (200)")
    parser.add_argument(
        "--think", type=float, default=4.0, help="mean think time per call in seconds (4.0)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (2)")
    options.add_database_url(parser)
    options.add_json(parser)
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.operators < 1 or args.requests < 1 or args.rounds < 1 or args.think < 0:
        parser.error("--operators, --requests and --rounds must be ≥ 1, --think ≥ 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print_report(report, args.json, report.summary())
    if report.errors:
        print(f"{len(report.errors)} forms failed, e.g.:", file=sys.stderr)
        for error in report.errors[:10]:
            print(f"  {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
