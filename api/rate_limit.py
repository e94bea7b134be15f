"""A small in-process sliding-window rate limiter for public endpoints (per client address)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from threading import Lock

from fastapi import Request

from api.problems import Problem


class RateLimiter:
    def __init__(self, limit: int, per_seconds: float) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > self.per_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = int(self.per_seconds - (now - hits[0])) + 1
                raise Problem(429, f"too many lookups; retry in {retry} s", retry_after=retry)
            hits.append(now)

    def __call__(self, request: Request) -> None:
        self.check(request.client.host if request.client else "unknown")
