"""How many open cases a worker keeps in memory: its sticky cache, `HOTLINE_WORKER_CACHED_CASES`.

A case in the cache takes its next step at once. A case outside it (evicted, least recently
used first, when the cache is full, or never run on this worker) is rebuilt from its history
before its next step: one replay, about 30 ms of CPU for a whole case (`bench.replay`), never a
different outcome. Each cached case holds about 190 KiB of the worker's memory, and churning
through a full cache leaves about as much again in allocator slack (`bench.memory`); a case
waiting days for a department needs no place in it, so the cache, not the number of open
cases, bounds what a worker holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

CACHED_CASES_ENV = "HOTLINE_WORKER_CACHED_CASES"
DEFAULT_CACHED_CASES = 1000
"""The SDK's own default: up to about 400 MiB of a worker's memory (`deploy/CAPACITY.md`)."""

MIN_CACHED_CASES = 2
"""The SDK's floor for a sticky cache (a worker must be able to poll two tasks at once)."""


def cached_cases(environ: Mapping[str, str] | None = None) -> int:
    """The number of workflow runs this worker keeps cached, from `HOTLINE_WORKER_CACHED_CASES`."""
    env = os.environ if environ is None else environ
    raw = env.get(CACHED_CASES_ENV, "").strip()
    if not raw:
        return DEFAULT_CACHED_CASES
    if not raw.isdigit() or int(raw) < MIN_CACHED_CASES:
        raise ValueError(
            f"{CACHED_CASES_ENV} must be a whole number of cases, at least "
            f"{MIN_CACHED_CASES}, not {raw!r}"
        )
    return int(raw)
