"""Load for the drills: many cases taken in and driven through their first steps at once.

Each case is taken in (half of them dispatched at intake, the others dispatched by a step),
signed for and replied to by the market regulator, through the same service calls the API and
CLI use (`services.cases.open_case` / `act`). Every call is retried the way a client retries:
the intake with the same request id, a step with the same update id, so a retry never makes a
second case or a second step. A refused step is never retried; it fails the drill.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from db.engine import SessionFactory
from models.commands import Dispatch, Reply, SignOff
from models.enums import CaseType, ReplyResult
from models.errors import CaseActionError
from models.intake import Caller, Location, ToDispatch
from services import cases as case_service
from workflows.case import CaseWorkflow

T = TypeVar("T")

LEAD = "gy-market"
ATTEMPT_TIMEOUT_S = 25.0
RETRY_DELAY_S = 0.5
GIVE_UP_AFTER_S = 240.0

REPLY_CONTENT = "已约谈商家，商家同意退款。"


async def run_cases(count: int, concurrency: int, case: Callable[[int], Awaitable[None]]) -> None:
    """`case(0)` … `case(count - 1)`, at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(serial: int) -> None:
        async with gate:
            await case(serial)

    async with asyncio.TaskGroup() as group:
        for serial in range(count):
            group.create_task(one(serial))


class Refused(Exception):
    """A step the case refused: a retry that ran twice, or a drill bug. Never retried."""


def intake_request(request_id: str, serial: int, dispatch_now: bool) -> case_service.IntakeRequest:
    return case_service.IntakeRequest(
        request_id=request_id,
        operator_id="op-drill",
        caller=Caller(name="张三", phones=[f"139{serial:08d}"]),
        location=Location(district="云岩区", street="中华北路街道", address="中华北路1号"),
        case_type=CaseType.COMPLAINT,
        category="市场监管/消费投诉",
        title="商家拒绝退款",
        content="在某商场购买的商品有质量问题，商家拒绝退款。",
        outcome=ToDispatch(lead_department=LEAD if dispatch_now else None),
    )


@dataclass
class Load:
    """`count` cases, `concurrency` at a time, on `client` and `sessions`."""

    client: Client
    sessions: SessionFactory
    task_queue: str
    prefix: str
    count: int
    concurrency: int
    acknowledged: dict[str, str] = field(default_factory=dict)  # request id -> case number
    finished: set[str] = field(default_factory=set)
    in_flight: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    steps_done: Counter[str] = field(default_factory=Counter)

    def request_id(self, serial: int) -> str:
        return f"{self.prefix}-{serial:05d}"

    async def run(self) -> None:
        await run_cases(self.count, self.concurrency, self.case)

    async def case(self, serial: int) -> None:
        request_id = self.request_id(serial)
        dispatch_now = serial % 2 == 0
        request = intake_request(request_id, serial, dispatch_now)
        view = await self._retry(
            "intake",
            lambda: case_service.open_case(self.client, self.sessions, request, self.task_queue),
        )
        case_no = view.case_no
        self.acknowledged[request_id] = case_no
        if not dispatch_now:
            await self.step(case_no, "dispatch", CaseWorkflow.dispatch, Dispatch(by="disp-drill"))
        sign = SignOff(by="liaison-drill", department=LEAD)
        await self.step(case_no, "sign_off", CaseWorkflow.sign_off, sign)
        reply = Reply(
            by="liaison-drill",
            department=LEAD,
            result=ReplyResult.RESOLVED,
            content=REPLY_CONTENT,
            officer="王科长",
        )
        await self.step(case_no, "reply", CaseWorkflow.reply, reply)
        self.finished.add(case_no)

    async def step(self, case_no: str, kind: str, update: Any, command: Any) -> None:
        update_id = f"{case_no}-{kind}"
        await self._retry(
            kind,
            lambda: case_service.act(self.client, case_no, update, command, request_id=update_id),
        )

    async def _retry(self, kind: str, call: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + GIVE_UP_AFTER_S
        while True:
            self.in_flight[kind] += 1
            try:
                async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
                    result = await call()
                self.steps_done[kind] += 1
                return result
            except CaseActionError as err:
                if isinstance(err.__cause__, WorkflowUpdateFailedError):
                    raise Refused(f"{kind}: {err}") from err
                self._failed(kind, err, loop.time() > give_up)
            except (RPCError, TimeoutError) as err:
                self._failed(kind, err, loop.time() > give_up)
            finally:
                self.in_flight[kind] -= 1
            await asyncio.sleep(RETRY_DELAY_S)

    def _failed(self, kind: str, err: Exception, give_up: bool) -> None:
        self.retries[kind] += 1
        self.errors[type(err).__name__] += 1
        if give_up:
            raise err

    def snapshot(self) -> dict[str, int]:
        """What is in flight right now, by kind of call."""
        return {kind: n for kind, n in self.in_flight.items() if n}

    async def until_acknowledged(self, count: int, timeout: float = 300.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.acknowledged) < count:
                await asyncio.sleep(0.1)
