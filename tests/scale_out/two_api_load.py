"""The HTTP load of the reliability drills, spread over two API processes, half of it closed.

Even intakes go through the first API, odd ones through the second; every later step of a case
goes through the API its idempotency key hashes to, so a case is routinely taken in by one
process and signed for or replied to through the other. Every `close_every`-th case is also
reviewed and called back, so it closes and its history archive runs on the heavy queue.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.reliability.http_load import REQUEST_TIMEOUT_S, Answer, HttpLoad

REVIEW = {"approve": True}
CALLBACK = {"reached": True, "resolved": True, "satisfaction": "satisfied"}


@dataclass
class TwoApiLoad(HttpLoad):
    second: httpx.AsyncClient | None = None
    dispatcher: dict[str, str] = field(default_factory=dict)
    close_every: int = 2
    closed: set[str] = field(default_factory=set)

    async def case(self, serial: int) -> None:
        await super().case(serial)
        if serial % self.close_every:
            return
        case_no = self.acknowledged[self.key(serial)]
        for kind, headers, body in (
            ("reply-review", self.dispatcher, REVIEW),
            ("callback", self.operator, CALLBACK),
        ):
            step = headers | {"Idempotency-Key": f"{case_no}-{kind}"}
            await self.until_done(kind, "POST", f"/cases/{case_no}/{kind}", step, body)
        self.closed.add(case_no)

    def client_for(self, key: str) -> httpx.AsyncClient:
        assert self.second is not None
        if key.startswith(self.prefix):  # an intake: alternate by serial
            return (self.http, self.second)[int(key.rsplit("-", 1)[1]) % 2]
        return (self.http, self.second)[zlib.crc32(key.encode()) % 2]

    async def send(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> httpx.Response | None:
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
