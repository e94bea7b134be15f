"""Latency and throughput of the HTTP API, over real HTTP, on the whole stack.

    python -m bench.api_latency [--clients 20] [--requests 200] [--warmup 5] [--think-s 0]
                                [--database-url URL] [--in-process] [--json] [--quiet]

One process runs what `make run` runs: an in-memory Temporal dev server (temporal-dev.yml's
namespace, search attributes and dynamic config), the case worker of
``workers.worker.build_worker`` and the API served by uvicorn through ``api.server.serve_api``
on a free 127.0.0.1 port, worker and API on one event loop. The application database is a fresh
SQLite file in a temporary directory, or ``--database-url`` (migrated and seeded; nothing
dropped). Two users are added with a bearer token each: an operator and a department user of
gy-market (ids with a random suffix, so repeated runs on one database never collide).

The clients run in a separate process (``--in-process``: on the API's own event loop, to compare)
so that their CPU does not sit on the API's event loop. There are exactly ``--clients`` of them,
each an ``httpx.AsyncClient`` with one keep-alive HTTP/1.1 connection, opened before the timing
starts; they take requests from one shared queue, each sending its next request as soon as the
previous one is answered (closed loop). Two phases, each of ``--requests`` requests:

* intake: ``POST /cases`` dispatching to gy-market, by the operator, each request with its own
  ``Idempotency-Key``; answered 201 once the workflow has recorded the intake and the dispatch;
* sign-off: ``POST /cases/{no}/sign-off`` with ``{"department": "gy-market"}``, by the
  department user, on the cases of the intake phase (each with its own ``Idempotency-Key``);
  answered 200 once the ``sign_off`` Update has completed.

Beside each phase, the same calls on the bare engine (``bench.api_baseline``): update-with-start
of a no-op ``BaselineApiWorkflow`` and its sign-off Update, straight from a client in this
process, with as many callers. ``--think-s T`` makes every client pause a random 0..T s before
each request (operators between calls) instead of a closed loop.

A warm-up of ``--warmup`` intakes and their sign-offs goes first (it also fills the API's token
verification cache). Latency is from sending a request to having read its whole response; p50 and
p99 are nearest-rank percentiles over the answered requests, requests/s is the phase's requests
over its wall time. Any answer other than the expected 201/200 (and a case in the expected
status), or a failed request, counts as an error: the figures are still printed, then the
errors, and the exit status is 1.

The last line is always
``api: intake p50 <x> ms p99 <y> ms; sign-off p50 <x> ms p99 <y> ms at <n> clients``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import secrets
import socket
import sys
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from api.context import ApiContext
from api.server import ApiSettings, serve_api
from bench.api_baseline import TASK_QUEUE as BASELINE_TASK_QUEUE
from bench.api_baseline import BaselineApiWorkflow, engine_intake, engine_sign_off
from bench.api_clients import DEPARTMENT, Driver, InChildProcess, InProcess, Phase, Target
from bench.baseline import ACTIVITIES, BaselineArchiveWorkflow
from bench.harness import options
from bench.harness.database import app_database
from bench.harness.machine import Usage, bytecode_cache, workflow_pyc
from bench.harness.options import Say
from bench.harness.report import cell, print_report
from bench.harness.temporal import dev_server
from bench.harness.timing import percentile
from db.engine import make_engine, session_factory
from services.principals import add_user
from services.tokens import issue_token
from workers.worker import ACTIVITY_THREADS, build_worker

TASK_QUEUE = "bench-api"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0
ERRORS_SHOWN = 10


# ---- the report ----------------------------------------------------------------------------------

PHASES = ("intake", "engine_intake", "sign_off", "engine_sign_off")
HEADINGS = ("intake", "engine", "sign-off", "engine")


@dataclass
class Report:
    settings: dict[str, Any]
    phases: dict[str, tuple[Phase, Usage]] = field(default_factory=dict)
    warmup_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return self.warmup_errors + [e for phase, _ in self.phases.values() for e in phase.errors]

    def figures(self) -> dict[str, Any]:
        figures: dict[str, Any] = {"settings": self.settings}
        for name, (phase, usage) in self.phases.items():
            values = phase.latencies_ms
            per_request = 1000 / phase.requests if phase.requests else 0.0
            client_cpu = phase.client_cpu_s
            figures[name] = {
                "requests": phase.requests,
                "ok": len(values),
                "errors": len(phase.errors),
                "p50_ms": round(percentile(values, 50), 2),
                "p99_ms": round(percentile(values, 99), 2),
                "mean_ms": round(sum(values) / len(values), 2) if values else 0.0,
                "max_ms": round(max(values), 2) if values else 0.0,
                "requests_per_s": round(phase.requests / phase.wall_s, 2) if phase.wall_s else 0.0,
                "wall_s": round(phase.wall_s, 3),
                "api_cpu_ms_per_request": round(usage.process_cpu_s * per_request, 2),
                "server_cpu_ms_per_request": round(usage.server_cpu_s * per_request, 2),
                "client_cpu_ms_per_request": None
                if client_cpu is None
                else round(client_cpu * per_request, 2),
                "other_cpu_ms_per_request": round(
                    (
                        usage.machine_busy_s
                        - usage.process_cpu_s
                        - usage.server_cpu_s
                        - (client_cpu or 0)
                    )
                    * per_request,
                    2,
                ),
                "machine_busy_cores": round(usage.machine_busy_s / phase.wall_s, 2)
                if phase.wall_s
                else 0.0,
            }
        figures["warmup_errors"] = len(self.warmup_errors)
        figures["errors"] = len(self.errors)
        return figures

    def table(self) -> str:
        figures = self.figures()
        s = self.settings
        clients = "separate process" if s["clients_process"] == "separate" else "the API's loop"
        lines = [
            f"{s['requests']} requests per phase, {s['clients']} clients (one keep-alive "
            f"HTTP/1.1 connection each, on {clients}), warm-up {s['warmup']}, "
            + (f"pause 0-{s['think_s']:g} s per request" if s["think_s"] else "closed loop"),
            f"API: uvicorn ({s['http']}) on {s['api']}, one event loop with the worker",
            f"database: {s['database']}; {s['cpus']} CPUs; bytecode cache: {s['bytecode_cache']}; "
            f".pyc of sandboxed modules: {s['workflow_pyc']}",
            "engine: the bare Temporal engine making the same calls from a client in this process "
            "(update-with-start, Update), no-op activities",
            f"{'':32}" + "".join(f"{heading:>12}" for heading in HEADINGS),
        ]

        def row(label: str, key: str, fmt: str = "{:.1f}") -> None:
            cells = []
            for name in PHASES:
                value = figures.get(name, {}).get(key)
                cells.append(cell(value, fmt))
            lines.append(f"{label:32}" + "".join(f"{cell:>12}" for cell in cells))

        row("requests", "requests", "{}")
        row("errors", "errors", "{}")
        row("latency p50 (ms)", "p50_ms")
        row("latency p99 (ms)", "p99_ms")
        row("latency mean (ms)", "mean_ms")
        row("latency max (ms)", "max_ms")
        row("requests/s", "requests_per_s")
        row("wall time (s)", "wall_s", "{:.2f}")
        row("CPU/request: API + worker (ms)", "api_cpu_ms_per_request")
        row("CPU/request: dev server (ms)", "server_cpu_ms_per_request")
        row("CPU/request: clients (ms)", "client_cpu_ms_per_request")
        row("CPU/request: rest of machine (ms)", "other_cpu_ms_per_request")
        row("machine busy (cores)", "machine_busy_cores", "{:.2f}")
        if self.warmup_errors:
            lines.append(f"warm-up errors: {len(self.warmup_errors)}")
        return "\n".join(lines)

    def summary(self) -> str:
        figures = self.figures()

        def p(name: str, key: str) -> str:
            return f"{figures.get(name, {}).get(key, 0.0):.1f}"

        return (
            f"api: intake p50 {p('intake', 'p50_ms')} ms p99 {p('intake', 'p99_ms')} ms "
            f"(engine {p('engine_intake', 'p50_ms')} / {p('engine_intake', 'p99_ms')}); "
            f"sign-off p50 {p('sign_off', 'p50_ms')} ms p99 {p('sign_off', 'p99_ms')} ms "
            f"(engine {p('engine_sign_off', 'p50_ms')} / {p('engine_sign_off', 'p99_ms')}) "
            f"at {self.settings['clients']} clients"
        )


def free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_serving(base_url: str, serving: asyncio.Task[None]) -> None:
    """Until the API answers (or its server task ended, which is an error)."""
    async with asyncio.timeout(READY_TIMEOUT_S), httpx.AsyncClient(base_url=base_url) as http:
        while True:
            if serving.done():
                serving.result()
                raise RuntimeError("the API server stopped before it served")
            with contextlib.suppress(httpx.TransportError):
                (await http.get("/openapi.json")).raise_for_status()
                return
            await asyncio.sleep(0.05)


def tokens(url: str) -> tuple[str, str]:
    """(operator token, gy-market department token) of two new users."""
    sessions = session_factory(make_engine(url))
    suffix = secrets.token_hex(4)
    operator, department = f"bench-operator-{suffix}", f"bench-market-{suffix}"
    add_user(sessions, operator, "bench operator", "operator")
    add_user(sessions, department, "bench market liaison", "department", DEPARTMENT)
    return issue_token(sessions, operator).token, issue_token(sessions, department).token


async def run(args: argparse.Namespace) -> Report:
    say = options.progress(args.quiet)
    async with app_database(args.database_url) as database, dev_server() as server:
        sessions = session_factory(make_engine(database.url))
        app = create_app(ApiContext(server.client, sessions, TASK_QUEUE))
        api = ApiSettings(HOST, free_port())
        base_url = f"http://{api.host}:{api.port}"
        operator_token, department_token = await asyncio.to_thread(tokens, database.url)
        target = Target(base_url, operator_token, department_token, args.clients, args.think_s)
        driver: Driver = InProcess() if args.in_process else InChildProcess()
        stop = asyncio.Event()
        async with (
            build_worker(server.client, TASK_QUEUE, database.url),
            baseline_worker(server.client),
        ):
            serving = asyncio.create_task(serve_api(app, api, stop))
            try:
                await wait_until_serving(base_url, serving)
                settings = {
                    "clients": args.clients,
                    "requests": args.requests,
                    "warmup": args.warmup,
                    "think_s": args.think_s,
                    "clients_process": "same" if args.in_process else "separate",
                    "api": base_url,
                    "http": _http_implementation(),
                    "database": database.label,
                    "cpus": os.cpu_count(),
                    "bytecode_cache": bytecode_cache(),
                    "workflow_pyc": workflow_pyc(),
                }
                say(f"opening {args.clients} client connections")
                await driver.open(target)
                try:
                    return await measure(args, driver, server.client, settings, server.pids, say)
                finally:
                    await driver.close()
            finally:
                stop.set()
                await serving


async def measure(
    args: argparse.Namespace,
    driver: Driver,
    client: Client,
    settings: dict[str, Any],
    server_pids: Collection[int],
    say: Say,
) -> Report:
    report = Report(settings)
    if args.warmup:
        say(f"warm-up: {args.warmup} intakes and their sign-offs")
        phase, case_nos = await driver.intake(args.warmup)
        report.warmup_errors += phase.errors
        report.warmup_errors += (await driver.sign_off(case_nos)).errors
        phase, ids = await engine_intake(client, args.warmup, args.clients)
        report.warmup_errors += phase.errors
        warm = await engine_sign_off(client, ids, args.clients, args.think_s)
        report.warmup_errors += warm.errors

    say(f"intake: {args.requests} requests, {args.clients} clients")
    before = Usage.now(server_pids)
    phase, case_nos = await driver.intake(args.requests)
    report.phases["intake"] = (phase, Usage.now(server_pids) - before)

    say(f"engine intake: {args.requests} update-with-start calls, {args.clients} callers")
    before = Usage.now(server_pids)
    phase, ids = await engine_intake(client, args.requests, args.clients, args.think_s)
    report.phases["engine_intake"] = (phase, Usage.now(server_pids) - before)

    say(f"sign-off: {len(case_nos)} requests, {args.clients} clients")
    before = Usage.now(server_pids)
    phase = await driver.sign_off(case_nos)
    report.phases["sign_off"] = (phase, Usage.now(server_pids) - before)

    say(f"engine sign-off: {len(ids)} Updates, {args.clients} callers")
    before = Usage.now(server_pids)
    phase = await engine_sign_off(client, ids, args.clients, args.think_s)
    report.phases["engine_sign_off"] = (phase, Usage.now(server_pids) - before)
    return report


def baseline_worker(client: Client) -> Worker:
    """The bare worker of the engine phases (the case worker's activity thread count)."""
    return Worker(
        client,
        task_queue=BASELINE_TASK_QUEUE,
        workflows=[BaselineApiWorkflow, BaselineArchiveWorkflow],
        activities=ACTIVITIES,
        activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS),
    )


def _http_implementation() -> str:
    """What uvicorn's `http="auto"` (the default of `serve_api`) picks."""
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.api_latency",
        "Latency and requests/s of POST /cases and POST /cases/{no}/sign-off.",
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--requests", type=int, default=200, help="requests per phase (200)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up intakes + sign-offs (5)")
    parser.add_argument(
        "--think-s",
        type=float,
        default=0.0,
        help="each client pauses a random 0..T s before each request (0: closed loop)",
    )
    options.add_database_url(parser)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the clients on the API's event loop instead of a process of their own",
    )
    options.add_json(parser)
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.warmup < 0 or args.think_s < 0:
        parser.error("--clients and --requests must be ≥ 1, --warmup and --think-s ≥ 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print_report(report, args.json, report.summary())
    errors = report.errors
    if errors:
        print(f"{len(errors)} requests failed, e.g.:", file=sys.stderr)
        for error in errors[:ERRORS_SHOWN]:
            print(f"  {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
