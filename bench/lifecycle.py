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
import os
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.baseline import LOCAL_ACTIVITIES_PER_CASE, REMOTE_ACTIVITIES_PER_CASE, UPDATES_PER_CASE
from bench.drivers import (
    CASE_PREFIX,
    UPDATE_NAMES,
    WAITERS,
    Driver,
    Timings,
    both_kinds,
    open_cases,
    run_batch,
    workers,
)
from bench.harness import options
from bench.harness.database import app_database
from bench.harness.load import alternating, round_sizes
from bench.harness.machine import bytecode_cache, rss_kib, settle, workflow_pyc
from bench.harness.report import cell, print_report
from bench.harness.temporal import dev_server
from bench.harness.timing import percentile

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
    settle()
    before = rss_kib()
    async with open_cases(driver, count, concurrency):
        settle(trim=False)
        after = rss_kib()
    return OpenCases(count, before, after)


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


BYTES_PREFIX = "  bytes: "
BYTES_ROWS = 8  # event types listed in the table, largest first (the JSON has all)


def short_name(event_type: EventType.ValueType) -> str:
    """`EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED` -> `update_accepted`, to fit the table."""
    name = EventType.Name(event_type)[len("EVENT_TYPE_") :].lower()
    for long, short in SHORTER:
        name = name.replace(long, short)
    return name


SHORTER = (
    ("workflow_execution_update_", "update_"),
    ("workflow_execution_", "execution_"),
    ("upsert_workflow_", "upsert_"),
)


async def history_profile(client: Client, workflow_id_: str | None) -> dict[str, int]:
    """Event counts and size of one finished case's history, in all and by event type
    (`bytes: <event type>`)."""
    if workflow_id_ is None:
        return {}
    history = await client.get_workflow_handle(workflow_id_).fetch_history()
    kinds = Counter(event.event_type for event in history.events)
    profile = {"events": len(history.events)}
    profile |= {name: kinds[kind] for name, kind in HISTORY_KINDS.items()}
    profile["bytes"] = sum(event.ByteSize() for event in history.events)
    by_type: Counter[str] = Counter()
    for event in history.events:
        by_type[BYTES_PREFIX + short_name(event.event_type)] += event.ByteSize()
    return profile | dict(by_type.most_common())


# ---- the report ----------------------------------------------------------------------------------


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
        kinds = {name: self._kind(name, timings) for name, timings in self.results.items()}
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

    def _kind(self, name: str, timings: Timings) -> dict[str, Any]:
        usage = timings.usage
        per_case = 1000 / timings.cases if timings.cases else 0.0
        memory = self.memory.get(name)

        def p(values: Sequence[float], at: float) -> float:
            return round(percentile(values, at), 2)

        other_cpu_s = usage.machine_busy_s - usage.process_cpu_s - usage.server_cpu_s
        return {
            "cases": timings.cases,
            "wall_s": round(usage.wall_s, 3),
            "cases_per_s": round(timings.cases_per_s, 2),
            "update_p50_ms": p(timings.all_updates_ms, 50),
            "update_p99_ms": p(timings.all_updates_ms, 99),
            "updates_ms": {
                update: {"p50": p(values, 50), "p99": p(values, 99)}
                for update, values in timings.update_ms.items()
            },
            "intake_p50_ms": p(timings.intake_ms, 50),
            "intake_p99_ms": p(timings.intake_ms, 99),
            "case_p50_ms": p(timings.case_ms, 50),
            "case_p99_ms": p(timings.case_ms, 99),
            "process_cpu_ms_per_case": round(usage.process_cpu_s * per_case, 2),
            "server_cpu_ms_per_case": round(usage.server_cpu_s * per_case, 2),
            "machine_busy_ms_per_case": round(usage.machine_busy_s * per_case, 2),
            "other_cpu_ms_per_case": round(other_cpu_s * per_case, 2),
            "machine_busy_cores": round(usage.machine_busy_s / usage.wall_s, 2)
            if usage.wall_s
            else 0.0,
            "open_cases": memory.cases if memory else 0,
            "rss_kib_per_open_case": round(memory.kib_per_case, 1) if memory else None,
            "history": self.histories.get(name, {}),
        }

    def table(self) -> str:
        figures = self.figures()
        life, base = figures["lifecycle"], figures["baseline"]
        s = self.settings
        lines = [
            f"{s['cases']} cases of each kind in {s['rounds']} alternating rounds, "
            f"concurrency {s['concurrency']}, warm-up {s['warmup']}, wait: {s['wait']}",
            f"database: {s['database']}; {s['cpus']} CPUs; bytecode cache: {s['bytecode_cache']}; "
            f".pyc of sandboxed modules: {s['workflow_pyc']}",
            f"per case: {UPDATES_PER_CASE} updates, {REMOTE_ACTIVITIES_PER_CASE} activities "
            f"+ {LOCAL_ACTIVITIES_PER_CASE} local activities",
            f"{'':34}{'lifecycle':>12}{'baseline':>12}",
        ]

        def row(label: str, key: str, fmt: str = "{:.2f}") -> None:
            a, b = cell(life.get(key), fmt), cell(base.get(key), fmt)
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
        by_type = [k for k in life["history"] if k.startswith(BYTES_PREFIX)]
        by_type += [k for k in base["history"] if k.startswith(BYTES_PREFIX) and k not in by_type]
        for key in ("events", *HISTORY_KINDS, "bytes", *by_type[:BYTES_ROWS]):
            a, b = cell(life["history"].get(key)), cell(base["history"].get(key))
            label = key if key.startswith(BYTES_PREFIX) else "history: " + key
            lines.append(f"{label:34}{a:>12}{b:>12}")
        return "\n".join(lines)


# ---- the run -------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> Report:
    async with app_database(args.database_url) as database, dev_server() as server:
        kinds = both_kinds(server.client, WAITERS[args.wait])
        case_worker, bare_worker = workers(server.client, database.url)
        async with case_worker, bare_worker:
            return await measure(args, kinds, database.label, server.pids)


async def measure(
    args: argparse.Namespace, drivers: list[Driver], database: str, server_pids: Collection[int]
) -> Report:
    say = options.progress(args.quiet)
    for driver in drivers:
        say(f"warm-up: {args.warmup} {driver.name} cases")
        warmup_concurrency = min(args.concurrency, max(args.warmup, 1))
        await run_batch(driver, args.warmup, warmup_concurrency, server_pids)

    memory: dict[str, OpenCases] = {}
    if args.open_cases:
        for driver in drivers:
            say(f"memory: {args.open_cases} open {driver.name} cases")
            memory[driver.name] = await measure_open_cases(
                driver, args.open_cases, args.concurrency
            )

    results = {driver.name: Timings() for driver in drivers}
    sizes = round_sizes(args.cases, args.rounds)
    for round_, driver in alternating(drivers, args.rounds):
        size = sizes[round_]
        say(f"round {round_ + 1}/{args.rounds}: {size} {driver.name} cases")
        results[driver.name].add(await run_batch(driver, size, args.concurrency, server_pids))

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
        "case_no_block": f"{CASE_PREFIX}{drivers[0].numbers.block}",
        "cpus": os.cpu_count(),
        "bytecode_cache": bytecode_cache(),
        "workflow_pyc": workflow_pyc(),
    }
    return Report(settings, results, memory, histories)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.lifecycle",
        "Case lifecycles per second: CaseWorkflow against a bare-engine baseline.",
    )
    options.add_cases(parser, 200)
    options.add_database_url(parser)
    options.add_rounds(parser)
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
    options.add_json(parser)
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.cases < 1 or args.concurrency < 1 or args.rounds < 1 or args.cases < args.rounds:
        parser.error("--cases, --concurrency and --rounds must be ≥ 1, and --cases ≥ --rounds")
    if args.warmup < 0 or args.open_cases < 0:
        parser.error("--warmup and --open-cases must be ≥ 0")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print_report(report, args.json, f"ratio: {report.ratio:.2f}")


if __name__ == "__main__":
    main()
