"""Where a worker's memory per open case goes, beside the bare-engine baseline's.

    python -m bench.memory [--open-cases 200] [--concurrency 20] [--traced-cases 30]
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

What the RSS grew by beyond the Python heap is **native**: the SDK core's (Rust) copy of each
cached run, its state machines and the allocator's slack. The lifecycle goes first, so the
baseline's RSS figure is taken in a heap that already grew (read it as a lower bound). The last
line is always ``memory: <lifecycle KiB per open case> KiB per open case (baseline <KiB>)``.
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
from bench.harness.machine import bytecode_cache, settle, workflow_pyc
from bench.harness.report import print_report
from bench.harness.temporal import dev_server
from bench.lifecycle import OpenCases, measure_open_cases

TRACE_FRAMES = 16
TRACED_CONCURRENCY = 5  # tracing slows every allocation several times over
HEAP_CHILD = "--heap-child"  # the traced process's (internal) flag
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
class Report:
    settings: dict[str, Any]
    kinds: dict[str, KindMemory]

    def figures(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            **{name: kind.figures() for name, kind in self.kinds.items()},
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


async def warmed_up(
    args: argparse.Namespace, measure: Callable[[Driver], Awaitable[T]]
) -> tuple[str, dict[str, T]]:
    """Start the server and both workers, warm both kinds up, then `measure` each kind."""
    say = options.progress(args.quiet)
    async with app_database(args.database_url) as database, dev_server() as server:
        drivers = both_kinds(server.client, WAITERS["history"])
        case_worker, bare_worker = workers(server.client, database.url)
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
    }
    return Report(settings, kinds)


def traced_heaps(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Run the heap measurement in a child process that traces from its first allocation."""
    command = [
        sys.executable,
        "-X",
        f"tracemalloc={TRACE_FRAMES}",
        "-m",
        "bench.memory",
        HEAP_CHILD,
        "--traced-cases",
        str(args.traced_cases),
        "--quiet",
    ]
    if args.database_url:
        command += ["--database-url", args.database_url]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        raise SystemExit(
            f"bench.memory: the traced process failed (exit {child.returncode}): "
            f"{child.stderr.strip()[-2000:]}"
        )
    heaps: dict[str, dict[str, float]] = json.loads(lines[-1])
    return heaps


async def heap_child(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    if not tracemalloc.is_tracing():
        raise SystemExit(f"bench.memory: {HEAP_CHILD} runs under python -X tracemalloc=N")

    async def heap(driver: Driver) -> dict[str, float]:
        return await measure_heap(driver, args.traced_cases, TRACED_CONCURRENCY)

    _, heaps = await warmed_up(args, heap)
    return heaps


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.memory", "Where the worker's memory per open case goes, against the baseline's."
    )
    parser.add_argument(
        "--open-cases", type=int, default=200, help="open cases of each kind for RSS (200)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=20, help="cases opened at once for RSS (20)"
    )
    parser.add_argument(
        "--traced-cases",
        type=int,
        default=30,
        help="open cases of each kind in the traced process (30)",
    )
    parser.add_argument(HEAP_CHILD, action="store_true", help=argparse.SUPPRESS)
    options.add_database_url(parser)
    options.add_json(parser)
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if min(args.open_cases, args.concurrency, args.traced_cases) < 1:
        parser.error("--open-cases, --concurrency and --traced-cases must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.heap_child:
        heaps = asyncio.run(heap_child(args))
        print(json.dumps(heaps), flush=True)
        # Leave without finalising: the SDK's threads are still winding down, and CPython
        # 3.11's tracemalloc can crash when it is torn down while another thread allocates.
        os._exit(0)
    report = asyncio.run(run(args))
    life, base = report.kinds["lifecycle"], report.kinds["baseline"]
    last = f"memory: {life.rss_per_case:.1f} KiB per open case (baseline {base.rss_per_case:.1f})"
    print_report(report, args.json, last)


if __name__ == "__main__":
    main()
