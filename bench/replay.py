"""Replay rate: case histories per second, against the bare-engine baseline's histories.

    python -m bench.replay [--cases N] [--concurrency C] [--jobs J] [--rounds R] [--json]

One process starts an in-memory Temporal dev server and the two workers of `bench.lifecycle`,
runs `--cases` full case lifecycles and as many `BaselineWorkflow` lifecycles (the same Updates
and activity calls with no-op activities), and fetches every history once. Then, alternating
over `--rounds` rounds:

* in-process replay of the prefetched histories with one replayer each: CaseWorkflow histories
  with `audit.replay.case_replayer()` (the data converter with the payload codec) against the
  baseline's histories with a replayer of `BaselineWorkflow`; the ratio compares the two;
* end to end, what `hotline audit replay --all --jobs J` does: list, fetch from the engine and
  replay in J worker processes (`audit.replay_all`), at `--jobs 1` and at `--jobs J`.

The last line is always `ratio: <case histories/s ÷ baseline histories/s>` (in-process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from time import perf_counter

from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from audit.replay import case_replayer
from audit.replay_all import replay_all
from audit.sources import LoadedHistory, from_engine
from bench.baseline import BaselineArchiveWorkflow, BaselineWorkflow
from bench.drivers import WAITERS, both_kinds, run_batch, workers
from bench.harness import options
from bench.harness.database import app_database
from bench.harness.load import alternating
from bench.harness.machine import workflow_pyc
from bench.harness.report import print_report
from bench.harness.temporal import dev_server
from connection.client import data_converter
from workflows.case.sandbox import workflow_runner

say = options.progress()


@dataclass
class Rates:
    histories: int = 0
    seconds: float = 0.0
    events: int = 0

    @property
    def per_second(self) -> float:
        return self.histories / self.seconds if self.seconds else 0.0


@dataclass
class Report:
    settings: dict[str, object]
    in_process: dict[str, Rates] = field(default_factory=dict)
    end_to_end: dict[str, Rates] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.in_process["case"].per_second / self.in_process["baseline"].per_second

    def figures(self) -> dict[str, object]:
        def rates(table: dict[str, Rates]) -> dict[str, object]:
            return {
                name: {
                    "histories": r.histories,
                    "seconds": round(r.seconds, 3),
                    "histories_per_second": round(r.per_second, 1),
                    "events_per_history": round(r.events / r.histories, 1) if r.histories else 0,
                }
                for name, r in table.items()
            }

        return {
            "settings": self.settings,
            "in_process": rates(self.in_process),
            "end_to_end": rates(self.end_to_end),
            "ratio": round(self.ratio, 3),
        }

    def table(self) -> str:
        lines = [f"replay benchmark: {self.settings}", ""]
        lines.append(f"{'':34}{'histories':>10}{'seconds':>10}{'hist/s':>10}{'events':>8}")
        for title, table in (("in-process", self.in_process), ("end to end", self.end_to_end)):
            for name, r in table.items():
                events = r.events / r.histories if r.histories else 0
                lines.append(
                    f"{title + ' ' + name:34}{r.histories:>10}{r.seconds:>10.2f}"
                    f"{r.per_second:>10.1f}{events:>8.0f}"
                )
        return "\n".join(lines)


async def workflow_ids(client: Client, workflow_type: str, expected: int) -> list[str]:
    """Ids of the closed runs of one type, once visibility has caught up with all of them."""
    query = f"WorkflowType = '{workflow_type}' AND ExecutionStatus = 'Completed'"
    for _ in range(600):
        ids = [execution.id async for execution in client.list_workflows(query)]
        if len(ids) >= expected:
            return ids
        await asyncio.sleep(0.1)
    raise RuntimeError(f"visibility shows {len(ids)} of {expected} {workflow_type} runs")


async def replay_in_process(replayer: Replayer, histories: list[WorkflowHistory]) -> Rates:
    async def feed() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    started = perf_counter()
    results = await replayer.replay_workflows(feed(), raise_on_replay_failure=False)
    seconds = perf_counter() - started
    failures = {k: v for k, v in results.replay_failures.items() if v is not None}
    if failures:
        first = str(next(iter(failures.values())))[:300]
        raise RuntimeError(f"{len(failures)} histories failed to replay; first: {first}")
    return Rates(len(histories), seconds, sum(len(h.events) for h in histories))


async def run(args: argparse.Namespace) -> Report:
    async with app_database(args.database_url) as database, dev_server() as server:
        client = server.client
        case_worker, bare_worker = workers(client, database.url)
        async with case_worker, bare_worker:
            for driver in both_kinds(client, WAITERS["history"]):
                say(f"running {args.cases} {driver.name} cases")
                await run_batch(driver, args.cases, args.concurrency, server.pids)
        settings: dict[str, object] = {
            "cases": args.cases,
            "jobs": args.jobs,
            "rounds": args.rounds,
            "database": database.label,
            "cpus": os.cpu_count(),
            "workflow_pyc": workflow_pyc(),
        }
        return await measure(client, args, Report(settings))


async def measure(client: Client, args: argparse.Namespace, report: Report) -> Report:
    case_ids = await workflow_ids(client, "CaseWorkflow", args.cases)
    base_ids = await workflow_ids(client, "BaselineWorkflow", args.cases)
    say("fetching histories")
    cases = [await client.get_workflow_handle(i).fetch_history() for i in case_ids]
    bases = [await client.get_workflow_handle(i).fetch_history() for i in base_ids]
    replayers = {
        "case": (case_replayer(), cases),
        "baseline": (
            Replayer(
                workflows=[BaselineWorkflow, BaselineArchiveWorkflow],
                data_converter=data_converter(),
                workflow_runner=workflow_runner(),
            ),
            bases,
        ),
    }
    for name, (replayer, histories) in replayers.items():  # warm-up: sandbox imports
        await replay_in_process(replayer, histories[:5])
        report.in_process[name] = Rates()
    for round_, name in alternating(list(replayers), args.rounds):
        say(f"round {round_ + 1}/{args.rounds}: in-process replay of {name} histories")
        replayer, histories = replayers[name]
        rates = await replay_in_process(replayer, histories)
        total = report.in_process[name]
        total.histories += rates.histories
        total.seconds += rates.seconds
        total.events += rates.events

    case_numbers = [i.removeprefix("case-") for i in case_ids]

    async def fetch(case_no: str) -> LoadedHistory:
        return await from_engine(client, case_no)

    for jobs in sorted({1, args.jobs}):
        say(f"end to end: fetch and replay {len(case_numbers)} cases, {jobs} process(es)")
        summary = await replay_all(case_numbers, fetch, jobs)
        if not summary.ok:
            raise RuntimeError(summary.plain())
        events = sum(len(h.events) for h in cases)
        report.end_to_end[f"--jobs {jobs}"] = Rates(summary.total, summary.seconds, events)
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.replay", "Case histories replayed per second, against the bare-engine baseline."
    )
    options.add_cases(parser, 300)
    parser.add_argument("--jobs", type=int, default=2, help="replay processes end to end (2)")
    options.add_rounds(parser)
    options.add_database_url(parser, "application database (default: fresh SQLite)")
    options.add_json(parser)
    args = parser.parse_args(argv)
    if min(args.cases, args.concurrency, args.jobs, args.rounds) < 1:
        parser.error("--cases, --concurrency, --jobs and --rounds must be ≥ 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print_report(report, args.json, f"ratio: {report.ratio:.2f}")


if __name__ == "__main__":
    main()
