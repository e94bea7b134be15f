"""Throughput of the case engine against the bare Temporal engine on the same dev server.

    python -m bench.lifecycle [--cases N] [--concurrency C] [--database-url URL] [--json]

One process starts an in-memory Temporal dev server (the namespace, search attributes and
dynamic config of temporal-dev.yml, no time skipping), prepares the application database (a
fresh SQLite file in a temporary directory, or ``--database-url``; migrated and seeded, nothing
dropped) and runs two workers on their own task queues with one client:

* lifecycle: CaseWorkflow on the case worker of ``workers.worker.build_worker``; each case is
  started with an intake dispatching to gy-market, waited for until it is ``dispatched``, then
  driven through ``sign_off`` → ``reply`` → ``review_reply(approve)`` →
  ``record_callback(reached, resolved, satisfied)`` and its result awaited;
* baseline: ``bench.baseline.BaselineWorkflow``, the same Updates and activity calls with no-op
  activities and no state beyond a counter.

Both are warmed up first, then run in alternating order (lifecycle, baseline, baseline,
lifecycle, ...) over ``--rounds`` rounds of the same number of cases and the same concurrency;
cases/s is the number of cases over the summed wall time. Each ``execute_update`` call is timed
(round trip to the completed Update), and so is the intake (start until the case is
dispatched). The wait for ``dispatched`` long-polls the workflow's history and queries the case
after each completed workflow task (``--wait poll`` queries every 20 ms instead).

Worker memory per open case: ``--open-cases`` cases of each kind are brought to ``dispatched``
and left open in the worker's cache; the growth of the process RSS (VmRSS) over their number
is reported, then they are terminated.

The last line is always ``ratio: <lifecycle cases/s ÷ baseline cases/s>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any, TypeVar

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.store import seed_demo
from bench.baseline import (
    ACTIVITIES,
    INTAKE_CALLS,
    LOCAL_ACTIVITIES_PER_CASE,
    REMOTE_ACTIVITIES_PER_CASE,
    UPDATES_PER_CASE,
    BaselineArchiveWorkflow,
    BaselineWorkflow,
)
from bench.baseline import TASK_QUEUE as BASELINE_TASK_QUEUE
from connection.client import data_converter
from db.engine import dispose_engines, make_engine, normalise_url, safe_url, session_factory
from migrations.runner import upgrade
from models.commands import CallbackResult, Reply, ReplyReview, SignOff
from models.enums import CaseStatus, CaseType, ClosureReason, ReplyResult, Satisfaction, Urgency
from models.intake import Caller, CaseIntake, Location, ToDispatch
from workers.devstack import load_config, server_flags, temporal_binary
from workers.worker import ACTIVITY_THREADS, build_worker
from workflows.case import CaseWorkflow, workflow_id
from workflows.case_views import initial_search_attributes

T = TypeVar("T")

LIFECYCLE_TASK_QUEUE = "bench-lifecycle"
LEAD = "gy-market"
CASE_PREFIX = "BM"
DISPATCH_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.02
UPDATE_NAMES = ("sign_off", "reply", "review_reply", "record_callback")

SIGN_OFF = SignOff(by="liaison-1", department=LEAD)
REPLY = Reply(
    by="liaison-1",
    department=LEAD,
    result=ReplyResult.RESOLVED,
    content="已约谈商家，商家同意退款。",
    officer="王科长",
)
APPROVE = ReplyReview(by="rev-1", approve=True)
SATISFIED = CallbackResult(
    by="cb-01", reached=True, resolved=True, satisfaction=Satisfaction.SATISFIED
)

Ready = Callable[[], Awaitable[bool]]
Waiter = Callable[[WorkflowHandle[Any, Any], Ready], Awaitable[None]]


# ---- case numbers and intakes -------------------------------------------------------------------


class CaseNumbers:
    """``BM<8 digits>-<6 digits>``: the 8-digit block comes from the clock, so runs never collide.

    The block is the Unix time in seconds modulo 10⁸ (it repeats after about three years); the
    serial counts the cases of this run.
    """

    def __init__(self, block: int | None = None) -> None:
        self.block = f"{(int(time.time()) if block is None else block) % 10**8:08d}"
        self._serial = 0

    def next(self) -> str:
        self._serial += 1
        return f"{CASE_PREFIX}{self.block}-{self._serial:06d}"


def case_intake(case_no: str) -> CaseIntake:
    """A consumer complaint, dispatched at intake to the market regulator (as in the tests)."""
    return CaseIntake(
        case_no=case_no,
        request_id=f"req-{case_no}",
        operator_id="op-001",
        caller=Caller(name="张三", phones=["13800001234"]),
        location=Location(district="云岩区", street="中华北路街道", address="中华北路1号"),
        case_type=CaseType.COMPLAINT,
        category="市场监管/消费投诉",
        urgency=Urgency.NORMAL,
        title="商家拒绝退款",
        content="在某商场购买的商品有质量问题，商家拒绝退款。",
        outcome=ToDispatch(lead_department=LEAD),
    )


# ---- waiting for a state -------------------------------------------------------------------------


async def wait_by_history(handle: WorkflowHandle[Any, Any], ready: Ready) -> None:
    """Long-poll the history; ask `ready` after every completed workflow task."""
    async with asyncio.timeout(DISPATCH_TIMEOUT_S):
        async for event in handle.fetch_history_events(wait_new_event=True):
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and await ready():
                return
    raise RuntimeError(f"{handle.id} closed before it was dispatched")


async def wait_by_polling(handle: WorkflowHandle[Any, Any], ready: Ready) -> None:
    """Ask `ready` every POLL_INTERVAL_S."""
    async with asyncio.timeout(DISPATCH_TIMEOUT_S):
        while not await ready():
            await asyncio.sleep(POLL_INTERVAL_S)


WAITERS: dict[str, Waiter] = {"history": wait_by_history, "poll": wait_by_polling}


# ---- figures of one batch of cases ---------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """CPU seconds of this process (client + worker), of the dev server, and of the machine."""

    wall_s: float = 0.0
    process_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_busy_s: float = 0.0

    @classmethod
    def now(cls) -> Usage:
        return cls(perf_counter(), time.process_time(), _children_cpu_s(), _machine_busy_s())

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.wall_s - other.wall_s,
            self.process_cpu_s - other.process_cpu_s,
            self.server_cpu_s - other.server_cpu_s,
            self.machine_busy_s - other.machine_busy_s,
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.wall_s + other.wall_s,
            self.process_cpu_s + other.process_cpu_s,
            self.server_cpu_s + other.server_cpu_s,
            self.machine_busy_s + other.machine_busy_s,
        )


@dataclass
class Timings:
    """What one kind of case measured over one or more batches."""

    cases: int = 0
    usage: Usage = field(default_factory=Usage)
    intake_ms: list[float] = field(default_factory=list)
    case_ms: list[float] = field(default_factory=list)
    update_ms: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name in UPDATE_NAMES}
    )

    def add(self, other: Timings) -> None:
        self.cases += other.cases
        self.usage = self.usage + other.usage
        self.intake_ms += other.intake_ms
        self.case_ms += other.case_ms
        for name, values in other.update_ms.items():
            self.update_ms.setdefault(name, []).extend(values)

    @property
    def all_updates_ms(self) -> list[float]:
        return [value for values in self.update_ms.values() for value in values]

    @property
    def cases_per_s(self) -> float:
        return self.cases / self.usage.wall_s if self.usage.wall_s else 0.0


async def timed(samples: list[float], call: Awaitable[T]) -> T:
    """Await `call`, appending its duration in ms to `samples`."""
    start = perf_counter()
    result = await call
    samples.append((perf_counter() - start) * 1000)
    return result


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---- the two kinds of case -----------------------------------------------------------------------


class Driver(ABC):
    """Starts and drives one kind of case on its task queue."""

    name: str

    def __init__(self, client: Client, task_queue: str, numbers: CaseNumbers, wait: Waiter):
        self.client = client
        self.task_queue = task_queue
        self.numbers = numbers
        self.wait = wait
        self.sample_id: str | None = None

    @abstractmethod
    async def open(self) -> WorkflowHandle[Any, Any]:
        """Start a case and return once it is dispatched."""

    @abstractmethod
    async def close(self, handle: WorkflowHandle[Any, Any], timings: Timings) -> None:
        """Drive a dispatched case through its four Updates and await its result."""

    async def lifecycle(self, timings: Timings) -> None:
        start = perf_counter()
        handle = await timed(timings.intake_ms, self.open())
        await self.close(handle, timings)
        timings.case_ms.append((perf_counter() - start) * 1000)
        timings.cases += 1
        self.sample_id = handle.id


class LifecycleDriver(Driver):
    name = "lifecycle"

    async def open(self) -> WorkflowHandle[Any, Any]:
        intake = case_intake(self.numbers.next())
        handle = await self.client.start_workflow(
            CaseWorkflow.run,
            intake,
            id=workflow_id(intake.case_no),
            task_queue=self.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=initial_search_attributes(intake),
        )

        async def dispatched() -> bool:
            status = (await handle.query(CaseWorkflow.view)).status
            if status not in (CaseStatus.RECEIVED, CaseStatus.DISPATCHED):
                raise RuntimeError(f"case {intake.case_no} is {status.value}, not dispatched")
            return status is CaseStatus.DISPATCHED

        await self.wait(handle, dispatched)
        return handle

    async def close(self, handle: WorkflowHandle[Any, Any], timings: Timings) -> None:
        case: WorkflowHandle[CaseWorkflow, Any] = handle
        samples = timings.update_ms
        await timed(samples["sign_off"], case.execute_update(CaseWorkflow.sign_off, SIGN_OFF))
        await timed(samples["reply"], case.execute_update(CaseWorkflow.reply, REPLY))
        await timed(
            samples["review_reply"], case.execute_update(CaseWorkflow.review_reply, APPROVE)
        )
        view = await timed(
            samples["record_callback"], case.execute_update(CaseWorkflow.record_callback, SATISFIED)
        )
        result = await case.result()
        resolved = result.closure_reason is ClosureReason.RESOLVED
        if view.status is not CaseStatus.CLOSED or not resolved:
            raise RuntimeError(f"{handle.id} ended {result.status.value}/{result.closure_reason}")


class BaselineDriver(Driver):
    name = "baseline"

    async def open(self) -> WorkflowHandle[Any, Any]:
        case_no = self.numbers.next()
        handle = await self.client.start_workflow(
            BaselineWorkflow.run,
            case_no,
            id=f"baseline-{case_no}",
            task_queue=self.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )

        async def dispatched() -> bool:
            return await handle.query(BaselineWorkflow.calls) >= INTAKE_CALLS

        await self.wait(handle, dispatched)
        return handle

    async def close(self, handle: WorkflowHandle[Any, Any], timings: Timings) -> None:
        case: WorkflowHandle[BaselineWorkflow, int] = handle
        samples = timings.update_ms
        await timed(samples["sign_off"], case.execute_update(BaselineWorkflow.sign_off))
        await timed(samples["reply"], case.execute_update(BaselineWorkflow.reply))
        await timed(samples["review_reply"], case.execute_update(BaselineWorkflow.review_reply))
        await timed(
            samples["record_callback"], case.execute_update(BaselineWorkflow.record_callback)
        )
        calls = await case.result()
        if calls != REMOTE_ACTIVITIES_PER_CASE + LOCAL_ACTIVITIES_PER_CASE:
            raise RuntimeError(f"{handle.id} made {calls} activity calls")


async def bounded(count: int, concurrency: int, job: Callable[[], Awaitable[T]]) -> list[T]:
    """Run `job` `count` times, at most `concurrency` at once; the first failure cancels all."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> T:
        async with gate:
            return await job()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one()) for _ in range(count)]
    return [task.result() for task in tasks]


async def run_batch(driver: Driver, cases: int, concurrency: int) -> Timings:
    timings = Timings()
    before = Usage.now()
    await bounded(cases, concurrency, lambda: driver.lifecycle(timings))
    timings.usage = Usage.now() - before
    return timings


# ---- memory per open case ------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCases:
    cases: int
    rss_before_kib: int
    rss_after_kib: int

    @property
    def kib_per_case(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / self.cases if self.cases else 0.0


async def measure_open_cases(driver: Driver, count: int, concurrency: int) -> OpenCases:
    """RSS growth with `count` dispatched cases open in the worker; they are terminated after."""
    _settle()
    before = rss_kib()
    handles = await bounded(count, concurrency, driver.open)
    _settle(trim=False)
    after = rss_kib()

    async def terminate(handle: WorkflowHandle[Any, Any]) -> None:
        await handle.terminate(reason="benchmark: memory per open case measured")

    pending = iter(handles)
    await bounded(len(handles), concurrency, lambda: terminate(next(pending)))
    return OpenCases(count, before, after)


def rss_kib() -> int:
    """Resident set size of this process (VmRSS), in KiB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    import resource  # peak RSS: the best there is without /proc

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _settle(trim: bool = True) -> None:
    """Collect garbage; with `trim`, hand freed heap back to the OS so growth shows in the RSS."""
    gc.collect()
    if trim:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children_cpu_s() -> float:
    """CPU seconds of this process's child processes (the dev server), from /proc."""
    me = os.getpid()
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me:  # ppid
                total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / _clock_ticks()


def _machine_busy_s() -> float:
    """CPU seconds the whole machine was busy (all cores, from /proc/stat)."""
    with contextlib.suppress(OSError, ValueError):
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle + iowait
        return (sum(ticks[:8]) - idle) / _clock_ticks()
    return 0.0


# ---- history of one case -------------------------------------------------------------------------


HISTORY_KINDS: dict[str, EventType.ValueType] = {
    "workflow tasks": EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    "activities": EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    "local activity markers": EventType.EVENT_TYPE_MARKER_RECORDED,
    "timers started": EventType.EVENT_TYPE_TIMER_STARTED,
    "timers cancelled": EventType.EVENT_TYPE_TIMER_CANCELED,
    "search attribute upserts": EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    "updates accepted": EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
}


async def history_profile(client: Client, workflow_id_: str | None) -> dict[str, int]:
    """Event counts and size of one finished case's history."""
    if workflow_id_ is None:
        return {}
    history = await client.get_workflow_handle(workflow_id_).fetch_history()
    kinds = Counter(event.event_type for event in history.events)
    profile = {"events": len(history.events)}
    profile |= {name: kinds[kind] for name, kind in HISTORY_KINDS.items()}
    profile["bytes"] = sum(event.ByteSize() for event in history.events)
    return profile


# ---- the run -------------------------------------------------------------------------------------


@dataclass
class Report:
    settings: dict[str, Any]
    results: dict[str, Timings]
    memory: dict[str, OpenCases]
    histories: dict[str, dict[str, int]]

    @property
    def ratio(self) -> float:
        baseline = self.results["baseline"].cases_per_s
        return self.results["lifecycle"].cases_per_s / baseline if baseline else 0.0

    def figures(self) -> dict[str, Any]:
        kinds: dict[str, Any] = {}
        for name, timings in self.results.items():
            usage = timings.usage
            per_case = 1000 / timings.cases if timings.cases else 0.0
            memory = self.memory.get(name)
            kinds[name] = {
                "cases": timings.cases,
                "wall_s": round(usage.wall_s, 3),
                "cases_per_s": round(timings.cases_per_s, 2),
                "update_p50_ms": round(percentile(timings.all_updates_ms, 50), 2),
                "update_p99_ms": round(percentile(timings.all_updates_ms, 99), 2),
                "updates_ms": {
                    update: {
                        "p50": round(percentile(values, 50), 2),
                        "p99": round(percentile(values, 99), 2),
                    }
                    for update, values in timings.update_ms.items()
                },
                "intake_p50_ms": round(percentile(timings.intake_ms, 50), 2),
                "intake_p99_ms": round(percentile(timings.intake_ms, 99), 2),
                "case_p50_ms": round(percentile(timings.case_ms, 50), 2),
                "case_p99_ms": round(percentile(timings.case_ms, 99), 2),
                "process_cpu_ms_per_case": round(usage.process_cpu_s * per_case, 2),
                "server_cpu_ms_per_case": round(usage.server_cpu_s * per_case, 2),
                "machine_busy_ms_per_case": round(usage.machine_busy_s * per_case, 2),
                "other_cpu_ms_per_case": round(
                    (usage.machine_busy_s - usage.process_cpu_s - usage.server_cpu_s) * per_case, 2
                ),
                "machine_busy_cores": round(usage.machine_busy_s / usage.wall_s, 2)
                if usage.wall_s
                else 0.0,
                "open_cases": memory.cases if memory else 0,
                "rss_kib_per_open_case": round(memory.kib_per_case, 1) if memory else None,
                "history": self.histories.get(name, {}),
            }
        return {
            "settings": self.settings,
            "per_case": {
                "updates": UPDATES_PER_CASE,
                "activities": REMOTE_ACTIVITIES_PER_CASE,
                "local_activities": LOCAL_ACTIVITIES_PER_CASE,
            },
            **kinds,
            "ratio": round(self.ratio, 4),
        }

    def table(self) -> str:
        figures = self.figures()
        life, base = figures["lifecycle"], figures["baseline"]
        s = self.settings
        lines = [
            f"{s['cases']} cases of each kind in {s['rounds']} alternating rounds, "
            f"concurrency {s['concurrency']}, warm-up {s['warmup']}, wait: {s['wait']}",
            f"database: {s['database']}; {s['cpus']} CPUs; bytecode cache: {s['bytecode_cache']}",
            f"per case: {UPDATES_PER_CASE} updates, {REMOTE_ACTIVITIES_PER_CASE} activities "
            f"+ {LOCAL_ACTIVITIES_PER_CASE} local activities",
            f"{'':34}{'lifecycle':>12}{'baseline':>12}",
        ]

        def row(label: str, key: str, fmt: str = "{:.2f}") -> None:
            a, b = _cell(life.get(key), fmt), _cell(base.get(key), fmt)
            lines.append(f"{label:34}{a:>12}{b:>12}")

        row("cases/s", "cases_per_s")
        row("wall time (s)", "wall_s")
        row("update round trip p50 (ms)", "update_p50_ms", "{:.1f}")
        row("update round trip p99 (ms)", "update_p99_ms", "{:.1f}")
        for update in UPDATE_NAMES:
            a, b = life["updates_ms"][update], base["updates_ms"][update]
            lines.append(
                f"{'  ' + update + ' p50/p99 (ms)':34}"
                f"{a['p50']:>6.1f}/{a['p99']:<5.0f}{b['p50']:>6.1f}/{b['p99']:<5.0f}"
            )
        row("intake → dispatched p50 (ms)", "intake_p50_ms", "{:.1f}")
        row("intake → dispatched p99 (ms)", "intake_p99_ms", "{:.1f}")
        row("whole case p50 (ms)", "case_p50_ms", "{:.1f}")
        row("CPU/case: this process (ms)", "process_cpu_ms_per_case", "{:.1f}")
        row("CPU/case: dev server (ms)", "server_cpu_ms_per_case", "{:.1f}")
        row("CPU/case: rest of machine (ms)", "other_cpu_ms_per_case", "{:.1f}")
        row("CPU/case: whole machine (ms)", "machine_busy_ms_per_case", "{:.1f}")
        row("machine busy (cores)", "machine_busy_cores")
        row("RSS per open case (KiB)", "rss_kib_per_open_case", "{:.1f}")
        for key in ("events", *HISTORY_KINDS, "bytes"):
            a, b = _cell(life["history"].get(key)), _cell(base["history"].get(key))
            lines.append(f"{'history: ' + key:34}{a:>12}{b:>12}")
        return "\n".join(lines)


def _cell(value: Any, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def _runtime() -> Runtime:
    """The SDK runtime with the core's log lines sent to Python logging (stderr), not stdout."""
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config))


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr meanwhile (child processes keep what they inherit)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@contextlib.asynccontextmanager
async def app_database(url: str | None) -> AsyncIterator[tuple[str, str]]:
    """(url, label) of a migrated, seeded database: `url`, else a SQLite file removed after."""
    folder = None
    if url is None:
        folder = tempfile.mkdtemp(prefix="hotline-bench-")
        url = f"sqlite:///{Path(folder) / 'hotline.db'}"
        label = "sqlite (fresh temporary file)"
    else:
        url = normalise_url(url)
        label = safe_url(url)
    try:
        await asyncio.to_thread(upgrade, url)
        await asyncio.to_thread(seed_demo, session_factory(make_engine(url)))
        yield url, label
    finally:
        dispose_engines()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


async def run(args: argparse.Namespace) -> Report:
    config = load_config()
    wait = WAITERS[args.wait]
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
            client = env.client
            numbers = CaseNumbers()
            lifecycle = LifecycleDriver(client, LIFECYCLE_TASK_QUEUE, numbers, wait)
            baseline = BaselineDriver(client, BASELINE_TASK_QUEUE, numbers, wait)
            drivers: list[Driver] = [lifecycle, baseline]
            case_worker = build_worker(client, LIFECYCLE_TASK_QUEUE, url)
            bare_worker = Worker(
                client,
                task_queue=BASELINE_TASK_QUEUE,
                workflows=[BaselineWorkflow, BaselineArchiveWorkflow],
                activities=ACTIVITIES,
                activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS),
            )
            async with case_worker, bare_worker:
                return await measure(args, drivers, label, numbers.block)
        finally:
            await env.shutdown()


async def measure(
    args: argparse.Namespace, drivers: list[Driver], database: str, block: str
) -> Report:
    say = (lambda *_: None) if args.quiet else _progress
    for driver in drivers:
        say(f"warm-up: {args.warmup} {driver.name} cases")
        await run_batch(driver, args.warmup, min(args.concurrency, max(args.warmup, 1)))

    memory: dict[str, OpenCases] = {}
    if args.open_cases:
        for driver in drivers:
            say(f"memory: {args.open_cases} open {driver.name} cases")
            memory[driver.name] = await measure_open_cases(
                driver, args.open_cases, args.concurrency
            )

    results = {driver.name: Timings() for driver in drivers}
    sizes = [args.cases // args.rounds + (i < args.cases % args.rounds) for i in range(args.rounds)]
    for round_, size in enumerate(sizes):
        order = drivers if round_ % 2 == 0 else drivers[::-1]
        for driver in order:
            say(f"round {round_ + 1}/{args.rounds}: {size} {driver.name} cases")
            results[driver.name].add(await run_batch(driver, size, args.concurrency))

    client = drivers[0].client
    histories = {d.name: await history_profile(client, d.sample_id) for d in drivers}
    settings = {
        "cases": args.cases,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "open_cases": args.open_cases,
        "wait": args.wait,
        "database": database,
        "case_no_block": f"{CASE_PREFIX}{block}",
        "cpus": os.cpu_count(),
        "bytecode_cache": _bytecode_cache(),
    }
    return Report(settings, results, memory, histories)


def _bytecode_cache() -> str:
    """Whether imported modules (and the sandbox's per-run re-imports) can use cached bytecode."""
    if sys.dont_write_bytecode:
        return "off (PYTHONDONTWRITEBYTECODE)"
    return f"on ({sys.pycache_prefix})" if sys.pycache_prefix else "on"


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lifecycle",
        description="Case lifecycles per second: CaseWorkflow against a bare-engine baseline.",
    )
    parser.add_argument("--cases", type=int, default=200, help="cases of each kind (200)")
    parser.add_argument("--concurrency", type=int, default=20, help="cases in flight (20)")
    parser.add_argument(
        "--database-url",
        help="application database (migrated and seeded, nothing dropped); "
        "default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up cases of each kind (10)")
    parser.add_argument(
        "--open-cases",
        type=int,
        default=200,
        help="open cases for the memory figure (200; 0: skip)",
    )
    parser.add_argument(
        "--wait",
        choices=sorted(WAITERS),
        default="history",
        help="how to wait for 'dispatched': long-poll the history (default) or poll a query",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.concurrency < 1 or args.rounds < 1 or args.cases < args.rounds:
        parser.error("--cases, --concurrency and --rounds must be ≥ 1, and --cases ≥ --rounds")
    if args.warmup < 0 or args.open_cases < 0:
        parser.error("--warmup and --open-cases must be ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    if args.json:
        print(json.dumps(report.figures(), ensure_ascii=False, indent=2))
    else:
        print(report.table())
    print(f"ratio: {report.ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
