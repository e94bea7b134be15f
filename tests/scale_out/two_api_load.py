"""The HTTP load of the reliability drills, spread over two API processes, half of it closed.

Even intakes go through the first API, odd ones through the second; every later step of a case
goes through the API its idempotency key hashes to, so a case is routinely taken in by one
process and signed for or replied to through the other. Every `close_every`-th case is also
reviewed and called back, so it closes and its history archive runs on the heavy queue.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import httpx

from tests.reliability.http_load import HttpLoad

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
