"""Heavy work on its own task queue: the history archive of closed cases.

Exporting a case's whole history and storing it is slow and large next to a case step, so it
runs on `<case queue>-heavy` (`workflows.archive.heavy_task_queue`): a burst of closures never
delays the next citizen's case, and heavy workers can be scaled (or stopped) on their own.

`HOTLINE_WORKER_QUEUES` (`cases`, `heavy`, or both, comma-separated; default both) chooses
what a worker process polls. `CaseWorker` is the case worker that also runs the heavy worker of
its queue, so a single process (the dev stack, a test) still archives every case.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.archive import HistoryArchiver
from db.engine import SessionFactory
from workflows.archive import ArchiveCaseWorkflow, heavy_task_queue
from workflows.case.sandbox import workflow_runner

WORKER_QUEUES_ENV = "HOTLINE_WORKER_QUEUES"
HEAVY_THREADS = 4


class QueueKind(StrEnum):
    CASES = "cases"
    HEAVY = "heavy"


def worker_queues(environ: Mapping[str, str] | None = None) -> frozenset[QueueKind]:
    """The kinds of work this process polls, from `HOTLINE_WORKER_QUEUES` (default: both)."""
    env = os.environ if environ is None else environ
    raw = env.get(WORKER_QUEUES_ENV, "").strip()
    if not raw or raw == "all":
        return frozenset(QueueKind)
    kinds: set[QueueKind] = set()
    for name in raw.split(","):
        try:
            kinds.add(QueueKind(name.strip()))
        except ValueError:
            raise ValueError(
                f"{WORKER_QUEUES_ENV}: unknown queue {name.strip()!r} (cases, heavy or all)"
            ) from None
    return frozenset(kinds)


def build_heavy_worker(
    client: Client,
    case_task_queue: str,
    sessions: SessionFactory,
    executor: ThreadPoolExecutor | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """The worker of the heavy queue that belongs to `case_task_queue`."""
    return Worker(
        client,
        task_queue=heavy_task_queue(case_task_queue),
        workflows=[ArchiveCaseWorkflow],
        activities=HistoryArchiver(client, sessions).all(),
        activity_executor=executor or ThreadPoolExecutor(HEAVY_THREADS),
        workflow_runner=workflow_runner(),
        interceptors=interceptors,
    )


class CaseWorker(Worker):
    """The case worker, and (unless `heavy` is None) the heavy worker of its queue beside it:
    both start and stop together, and a fatal error in either stops both."""

    def __init__(self, client: Client, *, heavy: Worker | None, **options: Any) -> None:
        super().__init__(client, **options)
        self.heavy = heavy

    async def run(self) -> None:
        if self.heavy is None:
            await super().run()
            return
        runs = [asyncio.create_task(super().run()), asyncio.create_task(self.heavy.run())]
        await asyncio.wait(runs, return_when=asyncio.FIRST_COMPLETED)
        await self.shutdown()
        await asyncio.gather(*runs)

    async def shutdown(self) -> None:
        if self.heavy is None:
            await super().shutdown()
            return
        await asyncio.gather(super().shutdown(), self.heavy.shutdown())
