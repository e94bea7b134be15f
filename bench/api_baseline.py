"""`bench.api_latency`'s baseline: the bare Temporal engine doing the calls the API makes.

An intake through the API is one update-with-start (start the case, wait for its intake to be
recorded); a sign-off is one Update. `BaselineApiWorkflow` is `bench.baseline.BaselineWorkflow`
(the same activity calls, no-op activities) with the intake's read-only Update, and `engine_intake`
/ `engine_sign_off` make those calls straight from a Temporal client: no HTTP, no API, no
database, no case engine. The gap between them and the API's phases is what the hotline adds to
the engine at the counter.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from time import perf_counter

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench.api_baseline_workflow import BaselineApiWorkflow
from bench.api_clients import Phase
from bench.baseline import BaselineWorkflow
from bench.harness.timing import since_ms

TASK_QUEUE = "bench-api-baseline"
__all__ = ["TASK_QUEUE", "BaselineApiWorkflow", "engine_intake", "engine_sign_off"]


async def _closed_loop(
    jobs: Sequence[Callable[[], Awaitable[None]]], clients: int, think_s: float
) -> Phase:
    """`clients` callers taking jobs from one queue, each its next as soon as one is done
    (after a random pause of up to `think_s`, as the HTTP clients do)."""
    phase = Phase(requests=len(jobs))
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def caller() -> None:
        while not queue.empty():
            job = queue.get_nowait()
            if think_s:
                await asyncio.sleep(random.uniform(0, think_s))
            sent = perf_counter()
            try:
                await job()
            except Exception as err:  # counted, shown by the report
                phase.errors.append(f"{type(err).__name__}: {err}")
            else:
                phase.latencies_ms.append(since_ms(sent))

    started = perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    phase.wall_s = perf_counter() - started
    return phase


async def engine_intake(
    client: Client, count: int, clients: int, think_s: float = 0.0
) -> tuple[Phase, list[str]]:
    """`count` update-with-start intakes; the ids of the started workflows."""
    run = secrets.token_hex(4)
    ids = [f"bench-api-baseline-{run}-{n}" for n in range(count)]

    def intake(workflow_id: str) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            start = WithStartWorkflowOperation(
                BaselineApiWorkflow.run,
                workflow_id,
                id=workflow_id,
                task_queue=TASK_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            await client.execute_update_with_start_workflow(
                BaselineApiWorkflow.intake_recorded,
                start_workflow_operation=start,
                id=f"intake-{workflow_id}",
            )

        return call

    return await _closed_loop([intake(i) for i in ids], clients, think_s), ids


async def engine_sign_off(
    client: Client, ids: Sequence[str], clients: int, think_s: float = 0.0
) -> Phase:
    def sign_off(workflow_id: str) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            handle = client.get_workflow_handle_for(BaselineWorkflow.run, workflow_id)
            await handle.execute_update(BaselineWorkflow.sign_off)

        return call

    return await _closed_loop([sign_off(i) for i in ids], clients, think_s)
