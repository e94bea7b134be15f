"""The two kinds of case `bench.lifecycle` and `bench.replay` run: CaseWorkflow on the case
worker, and `bench.baseline.BaselineWorkflow` on a bare worker, each driven through the same
dispatched lifecycle (intake dispatching to gy-market → ``sign_off`` → ``reply`` →
``review_reply(approve)`` → ``record_callback(reached, resolved, satisfied)`` → result).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.worker import Worker

from bench.baseline import (
    ACTIVITIES,
    INTAKE_CALLS,
    LOCAL_ACTIVITIES_PER_CASE,
    REMOTE_ACTIVITIES_PER_CASE,
    BaselineArchiveWorkflow,
    BaselineWorkflow,
)
from bench.baseline import TASK_QUEUE as BASELINE_TASK_QUEUE
from bench.harness.load import bounded
from bench.harness.machine import Usage
from bench.harness.timing import since_ms, timed
from models.commands import CallbackResult, Reply, ReplyReview, SignOff
from models.enums import CaseStatus, CaseType, ClosureReason, ReplyResult, Satisfaction, Urgency
from models.intake import Caller, CaseIntake, Location, ToDispatch
from workers.cache import DEFAULT_CACHED_CASES
from workers.worker import ACTIVITY_THREADS, build_worker
from workflows.case import CaseWorkflow, workflow_id
from workflows.case.views import initial_search_attributes

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
    async def sign_off(self, handle: WorkflowHandle[Any, Any]) -> None:
        """A dispatched case's first step: the department signs for it (one Update)."""

    @abstractmethod
    async def close(self, handle: WorkflowHandle[Any, Any], timings: Timings) -> None:
        """Drive a dispatched case through its four Updates and await its result."""

    async def lifecycle(self, timings: Timings) -> None:
        start = perf_counter()
        handle = await timed(timings.intake_ms, self.open())
        await self.close(handle, timings)
        timings.case_ms.append(since_ms(start))
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

    async def sign_off(self, handle: WorkflowHandle[Any, Any]) -> None:
        case: WorkflowHandle[CaseWorkflow, Any] = handle
        await case.execute_update(CaseWorkflow.sign_off, SIGN_OFF)

    async def close(self, handle: WorkflowHandle[Any, Any], timings: Timings) -> None:
        case: WorkflowHandle[CaseWorkflow, Any] = handle
        samples = timings.update_ms
        await timed(samples["sign_off"], self.sign_off(handle))
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

    async def sign_off(self, handle: WorkflowHandle[Any, Any]) -> None:
        case: WorkflowHandle[BaselineWorkflow, int] = handle
        await case.execute_update(BaselineWorkflow.sign_off)

    async def close(self, handle: WorkflowHandle[Any, Any], timings: Timings) -> None:
        case: WorkflowHandle[BaselineWorkflow, int] = handle
        samples = timings.update_ms
        await timed(samples["sign_off"], self.sign_off(handle))
        await timed(samples["reply"], case.execute_update(BaselineWorkflow.reply))
        await timed(samples["review_reply"], case.execute_update(BaselineWorkflow.review_reply))
        await timed(
            samples["record_callback"], case.execute_update(BaselineWorkflow.record_callback)
        )
        calls = await case.result()
        if calls != REMOTE_ACTIVITIES_PER_CASE + LOCAL_ACTIVITIES_PER_CASE:
            raise RuntimeError(f"{handle.id} made {calls} activity calls")


def both_kinds(client: Client, wait: Waiter) -> list[Driver]:
    """The lifecycle and the baseline, numbering their cases from one clock block."""
    numbers = CaseNumbers()
    return [
        LifecycleDriver(client, LIFECYCLE_TASK_QUEUE, numbers, wait),
        BaselineDriver(client, BASELINE_TASK_QUEUE, numbers, wait),
    ]


def workers(client: Client, url: str, cache: int = DEFAULT_CACHED_CASES) -> tuple[Worker, Worker]:
    """The case worker of `build_worker` and a bare worker for the baseline (same threads), each
    keeping up to `cache` runs in memory."""
    bare = Worker(
        client,
        task_queue=BASELINE_TASK_QUEUE,
        workflows=[BaselineWorkflow, BaselineArchiveWorkflow],
        activities=ACTIVITIES,
        activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS),
        max_cached_workflows=cache,
    )
    return build_worker(client, LIFECYCLE_TASK_QUEUE, url, cache=cache), bare


@asynccontextmanager
async def open_cases(
    driver: Driver, count: int, concurrency: int
) -> AsyncIterator[list[WorkflowHandle[Any, Any]]]:
    """`count` dispatched cases of `driver`'s kind, open in the worker while the block runs (to
    measure what they hold), terminated after it."""
    handles = await bounded(count, concurrency, driver.open)
    try:
        yield handles
    finally:
        pending = iter(handles)

        async def terminate() -> None:
            await next(pending).terminate(reason="benchmark: open cases measured")

        await bounded(len(handles), concurrency, terminate)


async def run_batch(
    driver: Driver, cases: int, concurrency: int, server_pids: Collection[int]
) -> Timings:
    """`cases` lifecycles, `concurrency` at a time, with the CPU they took."""
    timings = Timings()
    before = Usage.now(server_pids)
    await bounded(cases, concurrency, lambda: driver.lifecycle(timings))
    timings.usage = Usage.now(server_pids) - before
    return timings
