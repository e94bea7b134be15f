"""Load over the HTTP API, retried as a client retries, with every answer kept for the verdict.

Each case is taken in by an operator (`POST /cases`, dispatched at intake to the market
regulator) and signed for and replied to by that department, each call with its
`Idempotency-Key`; a 503 (after its Retry-After, capped), a 409, a timeout or a dropped
connection is retried with the same key until it succeeds or the drill gives up.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.reliability.load import LEAD, REPLY_CONTENT, run_cases

REQUEST_TIMEOUT_S = 20.0
GIVE_UP_AFTER_S = 300.0
RETRY_AFTER_CAP_S = 3.0
RETRY_DELAY_S = 0.5
RETRIED = {409, 503}
REFUSED = {400, 401, 403, 404, 413, 415, 422}


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange: what was asked, when, and what came back (status 0: no answer)."""

    kind: str
    started: float
    ended: float
    status: int
    content_type: str = ""
    retry_after: str | None = None
    detail: str = ""

    @property
    def problem(self) -> bool:
        return self.content_type.startswith("application/problem+json")


def intake_body(serial: int, name: str = "张三") -> dict[str, Any]:
    return {
        "caller": {"name": name, "phones": [f"137{serial:08d}"]},
        "location": {"district": "云岩区", "street": "中华北路街道", "address": "中华北路1号"},
        "case_type": "complaint",
        "category": "市场监管/消费投诉",
        "title": "商家拒绝退款",
        "content": "在某商场购买的商品有质量问题，商家拒绝退款。",
        "outcome": {"kind": "dispatch", "lead_department": LEAD},
    }


SIGN_OFF = {"department": LEAD}
REPLY = {"department": LEAD, "result": "resolved", "content": REPLY_CONTENT, "officer": "王科长"}


@dataclass
class HttpLoad:
    http: httpx.AsyncClient
    operator: dict[str, str]
    department: dict[str, str]
    prefix: str
    count: int
    concurrency: int
    answers: list[Answer] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> case number
    finished: set[str] = field(default_factory=set)

    async def send(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> httpx.Response | None:
        """One request; its answer is kept (None: no answer in time or the connection broke)."""
        http = self.client_for(headers.get("Idempotency-Key", path))
        started = time.monotonic()
        try:
            response = await http.request(
                method, path, headers=headers, json=body, timeout=REQUEST_TIMEOUT_S
            )
        except httpx.TransportError as err:
            self.answers.append(Answer(kind, started, time.monotonic(), 0, detail=repr(err)))
            return None
        self.answers.append(
            Answer(
                kind,
                started,
                time.monotonic(),
                response.status_code,
                response.headers.get("content-type", ""),
                response.headers.get("retry-after"),
                response.text[:300],
            )
        )
        return response

    def client_for(self, key: str) -> httpx.AsyncClient:
        """The connection a request goes by (by its idempotency key, else its path)."""
        return self.http

    async def until_done(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: Any
    ) -> httpx.Response:
        """Send until a 2xx, retrying what a client retries; give up after GIVE_UP_AFTER_S."""
        give_up = time.monotonic() + GIVE_UP_AFTER_S
        while True:
            response = await self.send(kind, method, path, headers, body)
            if response is not None and response.is_success:
                return response
            if response is not None and response.status_code in REFUSED:
                raise AssertionError(f"{kind} {path}: {response.status_code} {response.text}")
            if time.monotonic() > give_up:
                raise AssertionError(f"{kind} {path}: still failing after {GIVE_UP_AFTER_S:.0f}s")
            await asyncio.sleep(_wait(response))

    def key(self, serial: int) -> str:
        return f"{self.prefix}-{serial:05d}"

    async def case(self, serial: int) -> None:
        key = self.key(serial)
        headers = self.operator | {"Idempotency-Key": key}
        response = await self.until_done("intake", "POST", "/cases", headers, intake_body(serial))
        case_no = response.json()["case_no"]
        self.acknowledged[key] = case_no
        for kind, path, body in (("sign-off", "sign-off", SIGN_OFF), ("reply", "reply", REPLY)):
            step = self.department | {"Idempotency-Key": f"{case_no}-{kind}"}
            await self.until_done(kind, "POST", f"/cases/{case_no}/{path}", step, body)
        self.finished.add(case_no)

    async def run(self) -> None:
        await run_cases(self.count, self.concurrency, self.case)

    async def until_acknowledged(self, count: int, timeout: float = 300.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.acknowledged) < count:
                await asyncio.sleep(0.1)


def _wait(response: httpx.Response | None) -> float:
    if response is None or response.status_code not in RETRIED:
        return RETRY_DELAY_S
    try:
        return min(float(response.headers.get("retry-after", RETRY_DELAY_S)), RETRY_AFTER_CAP_S)
    except ValueError:
        return RETRY_DELAY_S


def statuses(answers: list[Answer]) -> Counter[str]:
    return Counter(f"{a.kind} {a.status}" for a in answers)
