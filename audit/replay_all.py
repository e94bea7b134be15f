"""Replay many histories in parallel: the gate before deploying a workflow or rule change.

Histories are fetched concurrently (engine or archive) in chunks; each chunk is replayed through
one replay worker, in one of `jobs` worker processes (replay is CPU-bound Python) while the next
chunks are fetched. Each outcome is reported as it arrives (the CLI draws a progress bar from
that), and the summary gives the rate.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from audit.replay import ReplayOutcome, case_replayer, replay_histories
from audit.sources import HistoryNotFoundError, LoadedHistory

CHUNK = 8  # histories per replay worker run
CHUNKS_IN_FLIGHT_PER_JOB = 2
HISTORIES_PER_PROCESS = 100


@dataclass
class ReplaySummary:
    total: int = 0
    replayed: int = 0
    diverged: list[ReplayOutcome] = field(default_factory=list)
    failed: list[ReplayOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.diverged and not self.failed

    @property
    def rate(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0

    def add(self, outcome: ReplayOutcome) -> None:
        self.total += 1
        if outcome.divergence is not None:
            self.diverged.append(outcome)
        elif outcome.error is not None:
            self.failed.append(outcome)
        else:
            self.replayed += 1

    def plain(self) -> str:
        noun = "history" if self.total == 1 else "histories"
        return (
            f"{self.total} {noun} in {self.seconds:.1f} s ({self.rate:.1f} histories/s): "
            f"{self.replayed} replay, {len(self.diverged)} diverge, {len(self.failed)} failed"
        )


async def replay_all(
    keys: Sequence[str],
    fetch: Callable[[str], Awaitable[LoadedHistory]],
    jobs: int,
    on_outcome: Callable[[ReplayOutcome], None] = lambda _: None,
    histories_per_process: int = HISTORIES_PER_PROCESS,
) -> ReplaySummary:
    """Fetch and replay the history of every key (case number) in `jobs` worker processes."""
    summary = ReplaySummary()
    started = time.perf_counter()
    # A worker process costs seconds to start: one per `histories_per_process` at most.
    jobs = min(jobs, max(1, len(keys) // histories_per_process))
    loop = asyncio.get_running_loop()
    window = asyncio.Semaphore(max(jobs, 1) * CHUNKS_IN_FLIGHT_PER_JOB)

    def report(outcome: ReplayOutcome) -> None:
        summary.add(outcome)
        on_outcome(outcome)

    async def fetched(key: str) -> WorkflowHistory | None:
        try:
            return (await fetch(key)).history
        except HistoryNotFoundError as err:
            report(ReplayOutcome(key, 0, error=str(err)))
            return None

    with _executor(jobs) as executor:
        local = case_replayer() if executor is None else None

        async def one_chunk(chunk: Sequence[str]) -> None:
            try:
                loaded = await asyncio.gather(*(fetched(key) for key in chunk))
                histories = [history for history in loaded if history is not None]
                if executor is None:
                    outcomes = await replay_histories(histories, local)
                else:
                    documents = [(h.workflow_id, h.to_json()) for h in histories]
                    outcomes = await loop.run_in_executor(executor, replay_documents, documents)
                for outcome in outcomes:
                    report(outcome)
            finally:
                window.release()

        async with asyncio.TaskGroup() as group:
            for start in range(0, len(keys), CHUNK):
                await window.acquire()
                group.create_task(one_chunk(keys[start : start + CHUNK]))
    summary.seconds = time.perf_counter() - started
    return summary


# ---- worker processes ------------------------------------------------------------------------

_process_replayer: Replayer | None = None
_process_loop: asyncio.AbstractEventLoop | None = None


def _start_process() -> None:
    global _process_replayer, _process_loop
    _process_loop = asyncio.new_event_loop()
    _process_replayer = case_replayer()


def replay_documents(documents: Sequence[tuple[str, str]]) -> list[ReplayOutcome]:
    """Replay (workflow id, history JSON) pairs in a worker process (replayer made once)."""
    assert _process_loop is not None and _process_replayer is not None
    histories = [WorkflowHistory.from_json(wid, text) for wid, text in documents]
    return _process_loop.run_until_complete(replay_histories(histories, _process_replayer))


@contextmanager
def _executor(jobs: int) -> Iterator[Executor | None]:
    if jobs <= 1:
        yield None
        return
    # Spawned, not forked: the parent already runs the Temporal core's threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_process) as pool:
        yield pool
