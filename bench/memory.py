"""Where a worker's memory per open case goes, beside the bare-engine baseline's.

    python -m bench.memory [--open-cases 200] [--concurrency 20] [--traced-cases 30]
                           [--worker-cache 100] [--beyond-cases 1000]
                           [--database-url URL] [--json] [--quiet]

Each measuring process runs what `bench.lifecycle` runs (an in-memory dev server, the case worker
of ``workers.worker.build_worker`` and the baseline's plain worker, one client) and warms both
kinds up with 10 whole cases. Then, for each kind, cases are brought to ``dispatched`` and left
open in the worker's cache, measured, and terminated:

1. in this process, untraced: the growth of the RSS (VmRSS) over `--open-cases` open cases, as
   `bench.lifecycle` reports it;
2. in a child process that traces every allocation from its start (``python -X tracemalloc=16``;
   CPython 3.11's tracemalloc can crash when it is started or stopped while the SDK's threads
   run), the growth of the Python heap over `--traced-cases` open cases (opened 5 at a time:
   tracing slows every allocation several times over), by where it was allocated:
   * **sandbox module copies**: while a module was being imported (the sandbox imports a
     workflow's module afresh for every run);
   * **sandbox machinery**: in `temporalio.worker.workflow_sandbox` (its restricted module
     proxies and per-run importer);
   * **workflow instances**: in workflow code and the SDK's per-run instance (the case's state,
     its clocks, handlers, asyncio tasks);
   * **other Python**: everything else (the client's and worker's buffers, the activities).

3. in a fresh child process whose workers keep at most `--worker-cache` runs in memory (the
   worker's `HOTLINE_WORKER_CACHED_CASES`), with ten times as many cases open (a city's worker
   serves some hundreds of times as many open cases as it caches, `deploy/CAPACITY.md`): the
   growth of the RSS per open case, and the first step (the sign-off Update) of
   `STEPPED_CASES` cases still in the cache (the newest) against as many outside it (the
   oldest, rebuilt from their histories first): what the bound costs.

What the RSS grew by beyond the Python heap is **native**: the SDK core's (Rust) copy of each
cached run, its state machines and the allocator's slack. The lifecycle goes first, so the
baseline's RSS figure is taken in a heap that already grew (read it as a lower bound). The last
line is always ``memory: <lifecycle KiB> KiB per open case in the cache (baseline <KiB>); <KiB>
beyond a cache of <K> (baseline <KiB>)``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bench.drivers import WAITERS, Driver, both_kinds, open_cases, run_batch, workers
from bench.harness import options
from bench.harness.database import app_database
from bench.harness.machine import bytecode_cache, rss_kib, settle, workflow_pyc
from bench.harness.report import print_report
from bench.harness.temporal import dev_server
from bench.harness.timing import percentile, timed
from bench.lifecycle import OpenCases, measure_open_cases
from workers.cache import DEFAULT_CACHED_CASES, MIN_CACHED_CASES

TRACE_FRAMES = 16
TRACED_CONCURRENCY = 5  # tracing slows every allocation several times over
HEAP_CHILD = "--heap-child"  # the traced process's (internal) flag
CACHE_CHILD = "--cache-child"  # the bounded-cache process's (internal) flag
STEPPED_CASES = 20
T = TypeVar("T")
WARMUP_CASES = 10
BUCKETS = ("sandbox module copies", "sandbox machinery", "workflow instances", "other Python")


def _is_import_machinery(filename: str) -> bool:
    return "importlib" in filename and "_bootstrap" in filename


def bucket(frames: Sequence[tracemalloc.Frame]) -> str:
    """Which of `BUCKETS` an allocation belongs to, from its traceback (innermost first): made
    while a module was imported, else by the innermost frame that is the sandbox's or the
    workflow's own."""
    files = [frame.filename for frame in frames]
    if any(_is_import_machinery(name) for name in files):
        return BUCKETS[0]
    for name in files:
        if "workflow_sandbox" in name:
            return BUCKETS[1]
        if name.endswith("_workflow_instance.py") or "/workflows/" in name or "/models/" in name:
            return BUCKETS[2]
    return BUCKETS[3]


@dataclass
class KindMemory:
    rss_per_case: float  # KiB, over `--open-cases` (`bench.lifecycle`'s figure)
    traced_cases: int  # open in the traced process, for the heap figures
    heap_kib: dict[str, float]

    def heap_per_case(self, name: str | None = None) -> float:
        kib = sum(self.heap_kib.values()) if name is None else self.heap_kib.get(name, 0.0)
        return kib / self.traced_cases

    @property
    def native_per_case(self) -> float:
        return self.rss_per_case - self.heap_per_case()

    def figures(self) -> dict[str, Any]:
        return {
            "traced_cases": self.traced_cases,
            "rss_kib_per_open_case": round(self.rss_per_case, 1),
            "python_heap_kib_per_open_case": round(self.heap_per_case(), 1),
            "python_heap_by_bucket_kib_per_open_case": {
                name: round(self.heap_per_case(name), 1) for name in BUCKETS
            },
            "native_kib_per_open_case": round(self.native_per_case, 1),
        }


@dataclass
class BeyondCache:
    """A worker keeping `cache` runs with `open_cases` open: what it holds and a step's wait."""

    open_cases: int
    cache: int
    rss_growth_kib: float
    evicted_step_ms: list[float]
    cached_step_ms: list[float]

    @property
    def per_open_case(self) -> float:
        return self.rss_growth_kib / self.open_cases

    def figures(self) -> dict[str, Any]:
        return {
            "rss_kib_per_open_case": round(self.per_open_case, 1),
            "step_outside_cache_ms_p50": round(percentile(self.evicted_step_ms, 50), 1),
            "step_outside_cache_ms_p99": round(percentile(self.evicted_step_ms, 99), 1),
            "step_in_cache_ms_p50": round(percentile(self.cached_step_ms, 50), 1),
            "step_in_cache_ms_p99": round(percentile(self.cached_step_ms, 99), 1),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "open_cases": self.open_cases,
            "cache": self.cache,
            "rss_growth_kib": self.rss_growth_kib,
            "evicted_step_ms": self.evicted_step_ms,
            "cached_step_ms": self.cached_step_ms,
        }


@dataclass
class Report:
    settings: dict[str, Any]
    kinds: dict[str, KindMemory]
    beyond: dict[str, BeyondCache]

    def figures(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            **{name: kind.figures() for name, kind in self.kinds.items()},
            "beyond_the_cache": {name: kind.figures() for name, kind in self.beyond.items()},
        }

    def table(self) -> str:
        s = self.settings
        life, base = self.kinds["lifecycle"], self.kinds["baseline"]
        lines = [
            f"RSS: {s['open_cases']} open cases of each kind, opened {s['concurrency']} at a "
            f"time; Python heap: {s['traced_cases']} of each, {s['traced_concurrency']} at a "
            f"time, in a process tracing {s['trace_frames']} frames",
            f"database: {s['database']}; bytecode cache: {s['bytecode_cache']}; "
            f".pyc of sandboxed modules: {s['workflow_pyc']}",
            f"{'KiB per open case':52}{'lifecycle':>12}{'baseline':>12}",
        ]

        def row(label: str, a: float, b: float) -> None:
            lines.append(f"{label:52}{a:>12.1f}{b:>12.1f}")

        row("RSS", life.rss_per_case, base.rss_per_case)
        row("Python heap", life.heap_per_case(), base.heap_per_case())
        for name in BUCKETS:
            row(f"  {name}", life.heap_per_case(name), base.heap_per_case(name))
        row("native (RSS - Python heap)", life.native_per_case, base.native_per_case)
        beyond_life, beyond_base = self.beyond["lifecycle"], self.beyond["baseline"]
        lines.append(
            f"beyond the cache: {s['beyond_cases']} open cases of each kind, workers keeping "
            f"{s['worker_cache']} runs (HOTLINE_WORKER_CACHED_CASES)"
        )
        row("RSS per open case", beyond_life.per_open_case, beyond_base.per_open_case)
        for label, life_ms, base_ms in (
            ("outside the cache", beyond_life.evicted_step_ms, beyond_base.evicted_step_ms),
            ("in the cache", beyond_life.cached_step_ms, beyond_base.cached_step_ms),
        ):
            for p in (50, 99):
                row(
                    f"first step (ms), {label}, p{p}",
                    percentile(life_ms, p),
                    percentile(base_ms, p),
                )
        return "\n".join(lines)


async def measure_heap(driver: Driver, count: int, concurrency: int) -> dict[str, float]:
    """How the traced Python heap grew with `count` open cases, by bucket. The process must trace
    from its start (`-X tracemalloc`)."""
    settle()
    start = tracemalloc.take_snapshot()
    async with open_cases(driver, count, concurrency):
        settle(trim=False)
        end = tracemalloc.take_snapshot()
    growth: defaultdict[str, float] = defaultdict(float)
    for diff in end.compare_to(start, "traceback"):
        growth[bucket(list(diff.traceback))] += diff.size_diff / 1024
    return dict(growth)


async def measure_beyond_cache(
    driver: Driver, count: int, concurrency: int, cache: int
) -> BeyondCache:
    """RSS growth with `count` open cases (opened `concurrency` at a time) on workers keeping
    `cache` runs, and the first step of the `STEPPED_CASES` newest (cached) and oldest (evicted)
    of them, one at a time."""
    settle()
    before = rss_kib()
    async with open_cases(driver, count, concurrency) as handles:
        settle(trim=False)
        growth = rss_kib() - before
        steps: list[list[float]] = []
        for group in (handles[-STEPPED_CASES:], handles[:STEPPED_CASES]):
            samples: list[float] = []
            for handle in group:
                await timed(samples, driver.sign_off(handle))
            steps.append(samples)
    cached, evicted = steps
    return BeyondCache(count, cache, growth, evicted, cached)


async def warmed_up(
    args: argparse.Namespace,
    measure: Callable[[Driver], Awaitable[T]],
    cache: int = DEFAULT_CACHED_CASES,
) -> tuple[str, dict[str, T]]:
    """Start the server and both workers (each keeping up to `cache` runs in memory), warm both
    kinds up, then `measure` each kind."""
    say = options.progress(args.quiet)
    async with app_database(args.database_url) as database, dev_server() as server:
        drivers = both_kinds(server.client, WAITERS["history"])
        case_worker, bare_worker = workers(server.client, database.url, cache)
        results: dict[str, T] = {}
        async with case_worker, bare_worker:
            for driver in drivers:
                say(f"warm-up: {WARMUP_CASES} {driver.name} cases")
                await run_batch(driver, WARMUP_CASES, WARMUP_CASES, server.pids)
            for driver in drivers:
                results[driver.name] = await measure(driver)
        return database.label, results


async def run(args: argparse.Namespace) -> Report:
    say = options.progress(args.quiet)

    async def rss(driver: Driver) -> OpenCases:
        say(f"RSS: {args.open_cases} open {driver.name} cases")
        return await measure_open_cases(driver, args.open_cases, args.concurrency)

    database, grown = await warmed_up(args, rss)
    say(f"Python heap: {args.traced_cases} open cases of each kind, in a traced process")
    heaps = traced_heaps(args)
    say(
        f"beyond the cache: {args.beyond_cases} open cases of each kind, workers keeping "
        f"{args.worker_cache}, in a fresh process"
    )
    beyond = beyond_cache(args)
    kinds = {
        name: KindMemory(grown[name].kib_per_case, args.traced_cases, heaps[name]) for name in grown
    }
    settings = {
        "open_cases": args.open_cases,
        "concurrency": args.concurrency,
        "traced_cases": args.traced_cases,
        "traced_concurrency": TRACED_CONCURRENCY,
        "trace_frames": TRACE_FRAMES,
        "database": database,
        "bytecode_cache": bytecode_cache(),
        "workflow_pyc": workflow_pyc(),
        "worker_cache": args.worker_cache,
        "beyond_cases": args.beyond_cases,
    }
    return Report(settings, kinds, beyond)


def child_measurement(args: argparse.Namespace, python: list[str], flags: list[str]) -> Any:
    """Run a measurement in a child process of its own (`python` options, `flags` of this module)
    and return the JSON of its last line."""
    command = [sys.executable, *python, "-m", "bench.memory", *flags, "--quiet"]
    if args.database_url:
        command += ["--database-url", args.database_url]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        raise SystemExit(
            f"bench.memory: the measuring process {flags[0]} failed (exit {child.returncode}): "
            f"{child.stderr.strip()[-2000:]}"
        )
    return json.loads(lines[-1])


def traced_heaps(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Run the heap measurement in a child process that traces from its first allocation."""
    heaps: dict[str, dict[str, float]] = child_measurement(
        args,
        ["-X", f"tracemalloc={TRACE_FRAMES}"],
        [HEAP_CHILD, "--traced-cases", str(args.traced_cases)],
    )
    return heaps


def beyond_cache(args: argparse.Namespace) -> dict[str, BeyondCache]:
    """Run the bounded-cache measurement in a fresh child process (a heap of its own)."""
    flags = [CACHE_CHILD, "--worker-cache", str(args.worker_cache)]
    flags += ["--beyond-cases", str(args.beyond_cases), "--concurrency", str(args.concurrency)]
    found: dict[str, dict[str, Any]] = child_measurement(args, [], flags)
    return {name: BeyondCache(**values) for name, values in found.items()}


async def heap_child(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    if not tracemalloc.is_tracing():
        raise SystemExit(f"bench.memory: {HEAP_CHILD} runs under python -X tracemalloc=N")

    async def heap(driver: Driver) -> dict[str, float]:
        return await measure_heap(driver, args.traced_cases, TRACED_CONCURRENCY)

    _, heaps = await warmed_up(args, heap)
    return heaps


async def cache_child(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    async def beyond(driver: Driver) -> dict[str, Any]:
        found = await measure_beyond_cache(
            driver, args.beyond_cases, args.concurrency, args.worker_cache
        )
        return found.as_json()

    _, found = await warmed_up(args, beyond, cache=args.worker_cache)
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.memory", "Where the worker's memory per open case goes, against the baseline's."
    )
    parser.add_argument(
        "--open-cases", type=int, default=200, help="open cases of each kind for RSS (200)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=20, help="cases opened at once, untraced (20)"
    )
    parser.add_argument(
        "--traced-cases",
        type=int,
        default=30,
        help="open cases of each kind in the traced process (30)",
    )
    parser.add_argument(
        "--worker-cache",
        type=int,
        default=100,
        help="runs each worker keeps, for the beyond-the-cache figures (100)",
    )
    parser.add_argument(
        "--beyond-cases",
        type=int,
        default=1000,
        help="open cases of each kind beyond the cache (1000)",
    )
    parser.add_argument(HEAP_CHILD, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(CACHE_CHILD, action="store_true", help=argparse.SUPPRESS)
    options.add_database_url(parser)
    options.add_json(parser)
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if min(args.open_cases, args.concurrency, args.traced_cases) < 1:
        parser.error("--open-cases, --concurrency and --traced-cases must be ≥ 1")
    if args.worker_cache < MIN_CACHED_CASES:
        parser.error(f"--worker-cache must be ≥ {MIN_CACHED_CASES} (the SDK's floor)")
    if args.beyond_cases < args.worker_cache + 2 * STEPPED_CASES:
        parser.error(
            f"--beyond-cases must be ≥ --worker-cache + {2 * STEPPED_CASES}, so that the "
            f"{STEPPED_CASES} oldest cases have left the cache"
        )
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.heap_child:
        heaps = asyncio.run(heap_child(args))
        print(json.dumps(heaps), flush=True)
        # Leave without finalising: the SDK's threads are still winding down, and CPython
        # 3.11's tracemalloc can crash when it is torn down while another thread allocates.
        os._exit(0)
    if args.cache_child:
        print(json.dumps(asyncio.run(cache_child(args))), flush=True)
        os._exit(0)  # as above: the SDK's threads may still be winding down
    report = asyncio.run(run(args))
    life, base = report.kinds["lifecycle"], report.kinds["baseline"]
    beyond_life, beyond_base = report.beyond["lifecycle"], report.beyond["baseline"]
    last = (
        f"memory: {life.rss_per_case:.1f} KiB per open case in the cache "
        f"(baseline {base.rss_per_case:.1f}); {beyond_life.per_open_case:.1f} beyond a cache of "
        f"{args.worker_cache} (baseline {beyond_base.per_open_case:.1f})"
    )
    print_report(report, args.json, last)


if __name__ == "__main__":
    main()
