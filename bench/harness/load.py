"""Bounded concurrency, and rounds that alternate the order of a benchmark and its baseline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


async def bounded(count: int, concurrency: int, job: Callable[[], Awaitable[T]]) -> list[T]:
    """Run `job` `count` times, at most `concurrency` at once; the first failure cancels all."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> T:
        async with gate:
            return await job()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one()) for _ in range(count)]
    return [task.result() for task in tasks]


def round_sizes(total: int, rounds: int) -> list[int]:
    """`total` split over `rounds` rounds as evenly as it goes (the first ones one larger)."""
    return [total // rounds + (i < total % rounds) for i in range(rounds)]


def alternating(kinds: Sequence[T], rounds: int) -> Iterator[tuple[int, T]]:
    """(round, kind) in the order A B, B A, A B, ...: slow drift hits every kind alike."""
    for round_ in range(rounds):
        for kind in kinds if round_ % 2 == 0 else kinds[::-1]:
            yield round_, kind
