"""Latency and throughput of the HTTP API, over real HTTP, on the whole stack.

    python -m bench.api_latency [--clients 20] [--requests 200] [--warmup 5]
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
import json
import multiprocessing
import os
import secrets
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any, Protocol, TypeVar

import httpx
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.server import ApiSettings, serve_api
from api.tokens import add_user, issue_token
from bench.lifecycle import (
    _bytecode_cache,
    _clock_ticks,
    _machine_busy_s,
    _progress,
    _runtime,
    _stdout_to_stderr,
    app_database,
    percentile,
)
from connection.client import data_converter
from db.engine import make_engine, session_factory
from workers.devstack import load_config, server_flags, temporal_binary
from workers.worker import build_worker

T = TypeVar("T")

TASK_QUEUE = "bench-api"
HOST = "127.0.0.1"
DEPARTMENT = "gy-market"
REQUEST_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 30.0
ERRORS_SHOWN = 10


def intake_body() -> dict[str, Any]:
    """A consumer complaint dispatched at intake to the market regulator (as in the API tests)."""
    return {
        "caller": {"name": "李四", "phones": ["13912345678"], "confidential": False},
        "location": {"district": "云岩区", "address": "中华北路1号"},
        "case_type": "complaint",
        "category": "市场监管/消费投诉",
        "title": "商家拒绝退款",
        "content": "商品质量问题，商家拒绝退款。",
        "outcome": {"kind": "dispatch", "lead_department": DEPARTMENT},
    }


SIGN_OFF_BODY = {"department": DEPARTMENT}


# ---- the clients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where the clients send their requests, and as whom."""

    base_url: str
    operator_token: str = field(repr=False)
    department_token: str = field(repr=False)
    clients: int


@dataclass
class Phase:
    """What the clients measured over one phase (latencies of the answered requests only)."""

    requests: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    client_cpu_s: float | None = None


Job = Callable[[httpx.AsyncClient], Awaitable[str | None]]  # None if answered as expected


def _unexpected(response: httpx.Response, code: int, case_status: str) -> str | None:
    """Why `response` is not the expected answer, or None."""
    if response.status_code != code:
        return (
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            + (response.text[:300])
        )
    status = response.json().get("status")
    if status != case_status:
        return f"{response.request.method} {response.request.url.path}: case is {status}"
    return None


class Clients:
    """`target.clients` HTTP clients, one keep-alive HTTP/1.1 connection each."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.operator = {"Authorization": f"Bearer {target.operator_token}"}
        self.department = {"Authorization": f"Bearer {target.department_token}"}
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.http = [
            httpx.AsyncClient(
                base_url=target.base_url, limits=limits, timeout=REQUEST_TIMEOUT_S, http2=False
            )
            for _ in range(target.clients)
        ]

    async def connect(self) -> None:
        """Open every client's connection (a cheap GET each), so no phase pays for a connect."""
        responses = await asyncio.gather(*(http.get("/openapi.json") for http in self.http))
        for response in responses:
            response.raise_for_status()

    async def close(self) -> None:
        await asyncio.gather(*(http.aclose() for http in self.http))

    async def intake(self, count: int) -> tuple[Phase, list[str]]:
        """`count` intakes; the phase and the numbers of the cases taken in."""
        case_nos: list[str] = []

        async def one(http: httpx.AsyncClient) -> str | None:
            headers = self.operator | {"Idempotency-Key": uuid.uuid4().hex}
            response = await http.post("/cases", json=intake_body(), headers=headers)
            problem = _unexpected(response, 201, "dispatched")
            if problem is None:
                case_nos.append(response.json()["case_no"])
            return problem

        return await self._run([one] * count), case_nos

    async def sign_off(self, case_nos: list[str]) -> Phase:
        def job(case_no: str) -> Job:
            async def one(http: httpx.AsyncClient) -> str | None:
                headers = self.department | {"Idempotency-Key": uuid.uuid4().hex}
                response = await http.post(
                    f"/cases/{case_no}/sign-off", json=SIGN_OFF_BODY, headers=headers
                )
                return _unexpected(response, 200, "handling")

            return one

        return await self._run([job(case_no) for case_no in case_nos])

    async def _run(self, jobs: list[Job]) -> Phase:
        """Every client takes the next job as soon as its previous one is answered."""
        phase = Phase(requests=len(jobs))
        queue = iter(jobs)

        async def client(http: httpx.AsyncClient) -> None:
            for job in queue:
                start = perf_counter()
                try:
                    problem = await job(http)
                except httpx.HTTPError as err:
                    problem = f"{type(err).__name__}: {err}"
                elapsed_ms = (perf_counter() - start) * 1000
                if problem is None:
                    phase.latencies_ms.append(elapsed_ms)
                else:
                    phase.errors.append(problem)

        cpu = time.process_time()
        start = perf_counter()
        await asyncio.gather(*(client(http) for http in self.http))
        phase.wall_s = perf_counter() - start
        phase.client_cpu_s = time.process_time() - cpu
        return phase


class Driver(Protocol):
    """The clients, wherever they run."""

    async def open(self, target: Target) -> None: ...
    async def intake(self, count: int) -> tuple[Phase, list[str]]: ...
    async def sign_off(self, case_nos: list[str]) -> Phase: ...
    async def close(self) -> None: ...


class InProcess:
    """The clients on this process's event loop, next to the API and the worker."""

    def __init__(self) -> None:
        self.clients: Clients | None = None

    async def open(self, target: Target) -> None:
        self.clients = Clients(target)
        await self.clients.connect()

    async def intake(self, count: int) -> tuple[Phase, list[str]]:
        assert self.clients is not None
        phase, case_nos = await self.clients.intake(count)
        phase.client_cpu_s = None  # inseparable from the API's and the worker's
        return phase, case_nos

    async def sign_off(self, case_nos: list[str]) -> Phase:
        assert self.clients is not None
        phase = await self.clients.sign_off(case_nos)
        phase.client_cpu_s = None
        return phase

    async def close(self) -> None:
        if self.clients is not None:
            await self.clients.close()


# The client process keeps one event loop and its clients from one call to the next.
_child: tuple[asyncio.AbstractEventLoop, Clients] | None = None


def _child_open(target: Target) -> int:
    global _child
    loop = asyncio.new_event_loop()
    clients = Clients(target)
    loop.run_until_complete(clients.connect())
    _child = (loop, clients)
    return os.getpid()


def _child_call(method: str, *args: Any) -> Any:
    assert _child is not None
    loop, clients = _child
    return loop.run_until_complete(getattr(clients, method)(*args))


def _child_close() -> None:
    global _child
    if _child is not None:
        loop, clients = _child
        loop.run_until_complete(clients.close())
        loop.close()
        _child = None


class InChildProcess:
    """The clients in a process of their own (spawned: this one runs the Temporal core)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        self.pid: int | None = None

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    async def open(self, target: Target) -> None:
        self.pid = await self._call(_child_open, target)

    async def intake(self, count: int) -> tuple[Phase, list[str]]:
        result: tuple[Phase, list[str]] = await self._call(_child_call, "intake", count)
        return result

    async def sign_off(self, case_nos: list[str]) -> Phase:
        phase: Phase = await self._call(_child_call, "sign_off", case_nos)
        return phase

    async def close(self) -> None:
        try:
            if self.pid is not None:
                await self._call(_child_close)
        finally:
            self.pool.shutdown(wait=True)


# ---- CPU of the processes ------------------------------------------------------------------------


def _child_pids() -> set[int]:
    """This process's child processes, from /proc."""
    me, pids = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == me:
                pids.add(int(stat.parent.name))
    return pids


def _cpu_s(pids: set[int]) -> float:
    """CPU seconds (user + system) of the given processes, from /proc."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _clock_ticks()


@dataclass(frozen=True)
class Usage:
    """CPU seconds of this process (API + worker), of the dev server, and of the machine."""

    api_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_busy_s: float = 0.0

    @classmethod
    def now(cls, server_pids: set[int]) -> Usage:
        return cls(time.process_time(), _cpu_s(server_pids), _machine_busy_s())

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.api_cpu_s - other.api_cpu_s,
            self.server_cpu_s - other.server_cpu_s,
            self.machine_busy_s - other.machine_busy_s,
        )


# ---- the run -------------------------------------------------------------------------------------

PHASES = ("intake", "sign_off")
LABELS = {"intake": "intake", "sign_off": "sign-off"}


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
                "api_cpu_ms_per_request": round(usage.api_cpu_s * per_request, 2),
                "server_cpu_ms_per_request": round(usage.server_cpu_s * per_request, 2),
                "client_cpu_ms_per_request": None
                if client_cpu is None
                else round(client_cpu * per_request, 2),
                "other_cpu_ms_per_request": round(
                    (
                        usage.machine_busy_s
                        - usage.api_cpu_s
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
            f"HTTP/1.1 connection each, on {clients}), warm-up {s['warmup']}",
            f"API: uvicorn ({s['http']}) on {s['api']}, one event loop with the worker",
            f"database: {s['database']}; {s['cpus']} CPUs; bytecode cache: {s['bytecode_cache']}; "
            f".pyc of workflows/case.py: {s['workflow_pyc']}",
            f"{'':32}{'intake':>12}{'sign-off':>12}",
        ]

        def row(label: str, key: str, fmt: str = "{:.1f}") -> None:
            cells = []
            for name in PHASES:
                value = figures.get(name, {}).get(key)
                cells.append("-" if value is None else fmt.format(value))
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
            f"api: intake p50 {p('intake', 'p50_ms')} ms p99 {p('intake', 'p99_ms')} ms; "
            f"sign-off p50 {p('sign_off', 'p50_ms')} ms p99 {p('sign_off', 'p99_ms')} ms "
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
    config = load_config()
    say = (lambda *_: None) if args.quiet else _progress
    async with app_database(args.database_url) as (url, label):
        with _stdout_to_stderr():  # the server's banner must not mix with the figures
            env = await WorkflowEnvironment.start_local(
                namespace=config.namespace,
                data_converter=data_converter(),
                dev_server_existing_path=temporal_binary(),
                dev_server_extra_args=server_flags(config),
                runtime=_runtime(),
            )
        try:
            server_pids = _child_pids()  # the dev server is this process's only child so far
            client = env.client
            sessions = session_factory(make_engine(url))
            app = create_app(ApiContext(client, sessions, TASK_QUEUE))
            api = ApiSettings(HOST, free_port())
            base_url = f"http://{api.host}:{api.port}"
            operator_token, department_token = await asyncio.to_thread(tokens, url)
            target = Target(base_url, operator_token, department_token, args.clients)
            driver: Driver = InProcess() if args.in_process else InChildProcess()
            stop = asyncio.Event()
            async with build_worker(client, TASK_QUEUE, url):
                serving = asyncio.create_task(serve_api(app, api, stop))
                try:
                    await wait_until_serving(base_url, serving)
                    settings = {
                        "clients": args.clients,
                        "requests": args.requests,
                        "warmup": args.warmup,
                        "clients_process": "same" if args.in_process else "separate",
                        "api": base_url,
                        "http": _http_implementation(),
                        "database": label,
                        "cpus": os.cpu_count(),
                        "bytecode_cache": _bytecode_cache(),
                        "workflow_pyc": _workflow_pyc(),
                    }
                    say(f"opening {args.clients} client connections")
                    await driver.open(target)
                    try:
                        return await measure(args, driver, settings, server_pids, say)
                    finally:
                        await driver.close()
                finally:
                    stop.set()
                    await serving
        finally:
            await env.shutdown()


async def measure(
    args: argparse.Namespace,
    driver: Driver,
    settings: dict[str, Any],
    server_pids: set[int],
    say: Callable[[str], None],
) -> Report:
    report = Report(settings)
    if args.warmup:
        say(f"warm-up: {args.warmup} intakes and their sign-offs")
        phase, case_nos = await driver.intake(args.warmup)
        report.warmup_errors += phase.errors
        report.warmup_errors += (await driver.sign_off(case_nos)).errors

    say(f"intake: {args.requests} requests, {args.clients} clients")
    before = Usage.now(server_pids)
    phase, case_nos = await driver.intake(args.requests)
    report.phases["intake"] = (phase, Usage.now(server_pids) - before)

    say(f"sign-off: {len(case_nos)} requests, {args.clients} clients")
    before = Usage.now(server_pids)
    phase = await driver.sign_off(case_nos)
    report.phases["sign_off"] = (phase, Usage.now(server_pids) - before)
    return report


def _workflow_pyc() -> str:
    """Whether the sandbox, which re-imports workflows/case.py for every case, finds it compiled:
    `fresh` (a .pyc matching the source), `stale`, `hash-based` or `missing`."""
    spec = importlib.util.find_spec("workflows.case")
    if spec is None or spec.origin is None:
        return "missing"
    source = Path(spec.origin)
    try:
        header = Path(importlib.util.cache_from_source(str(source))).read_bytes()[:16]
    except OSError:
        return "missing"
    stat = source.stat()
    if int.from_bytes(header[4:8], "little") != 0:
        return "hash-based"
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    fresh = mtime == int(stat.st_mtime) & 0xFFFFFFFF and size == stat.st_size & 0xFFFFFFFF
    return "fresh" if fresh else "stale"


def _http_implementation() -> str:
    """What uvicorn's `http="auto"` (the default of `serve_api`) picks."""
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api_latency",
        description="Latency and requests/s of POST /cases and POST /cases/{no}/sign-off.",
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--requests", type=int, default=200, help="requests per phase (200)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up intakes + sign-offs (5)")
    parser.add_argument(
        "--database-url",
        help="application database (migrated and seeded, nothing dropped); "
        "default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the clients on the API's event loop instead of a process of their own",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--clients and --requests must be ≥ 1, --warmup ≥ 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    if args.json:
        print(json.dumps(report.figures(), ensure_ascii=False, indent=2))
    else:
        print(report.table())
    print(report.summary(), flush=True)
    errors = report.errors
    if errors:
        print(f"{len(errors)} requests failed, e.g.:", file=sys.stderr)
        for error in errors[:ERRORS_SHOWN]:
            print(f"  {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
