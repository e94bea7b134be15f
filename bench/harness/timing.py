"""Nearest-rank percentiles and timed calls."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from time import perf_counter
from typing import TypeVar

T = TypeVar("T")
X = TypeVar("X")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def since_ms(started: float) -> float:
    """Milliseconds since `started` (a `perf_counter()` reading)."""
    return (perf_counter() - started) * 1000


async def timed(samples: list[float], call: Awaitable[T]) -> T:
    """Await `call`, appending its duration in ms to `samples`."""
    started = perf_counter()
    result = await call
    samples.append(since_ms(started))
    return result


def timed_each(call: Callable[[X], object], inputs: Iterable[X]) -> list[float]:
    """Milliseconds of `call` on each of `inputs`, one after the other."""
    samples = []
    for each in inputs:
        started = perf_counter()
        call(each)
        samples.append(since_ms(started))
    return samples


def repeated(action: Callable[[], T], runs: int) -> tuple[list[float], T]:
    """Seconds of each of `runs` calls of `action` after one warm-up, and its last result."""
    result = action()
    seconds = []
    for _ in range(runs):
        started = perf_counter()
        result = action()
        seconds.append(perf_counter() - started)
    return seconds, result
