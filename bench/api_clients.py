"""The HTTP clients of `bench.api_latency`: exactly N keep-alive connections, one queue of work.

Each client is an ``httpx.AsyncClient`` with one HTTP/1.1 connection, opened before any timing;
they take requests from one shared queue, each sending its next request as soon as the previous
one is answered, or after a random pause of up to ``Target.think_s`` (an operator between
calls). They run in a spawned process of their own (`InChildProcess`), so that their CPU does
not sit on the API's event loop, or on that loop (`InProcess`), to compare.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Protocol, TypeVar

import httpx

from bench.harness.timing import since_ms

T = TypeVar("T")

DEPARTMENT = "gy-market"
REQUEST_TIMEOUT_S = 60.0


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


@dataclass(frozen=True)
class Target:
    """Where the clients send their requests, and as whom."""

    base_url: str
    operator_token: str = field(repr=False)
    department_token: str = field(repr=False)
    clients: int
    think_s: float = 0.0
    """Each client waits a random 0..think_s seconds before each request (0: closed loop)."""


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
                if self.target.think_s:
                    await asyncio.sleep(random.uniform(0, self.target.think_s))
                start = perf_counter()
                try:
                    problem = await job(http)
                except httpx.HTTPError as err:
                    problem = f"{type(err).__name__}: {err}"
                elapsed_ms = since_ms(start)
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
