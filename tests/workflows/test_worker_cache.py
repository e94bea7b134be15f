"""A worker keeps at most `HOTLINE_WORKER_CACHED_CASES` runs in memory: with more open cases than
that, cases leave its cache and are rebuilt from their histories on their next step, and every
case still ends as it would have in the cache. The SDK's own metrics show the evictions."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from temporalio.client import Client

from db.engine import SessionFactory, make_engine, session_factory
from models.commands import ReplyReview, SignOff
from models.enums import CaseStatus, ClosureReason
from observability.registry import new_registry
from observability.worker_http import WorkerHttp
from tests.cli.runner import run_cli
from tests.workflows.cases import (
    REPLY,
    SATISFIED,
    CaseHandle,
    actions,
    intake,
    start,
    until,
)
from workers.cache import CACHED_CASES_ENV, DEFAULT_CACHED_CASES, cached_cases
from workers.worker import build_worker
from workflows.case import CaseWorkflow

CACHE = 2
CASES = 5


def sample(text: str, name: str, queue: str) -> float:
    """The value of the SDK metric `name` for `queue`'s worker in a Prometheus scrape."""
    values = [
        float(value)
        for labels, value in re.findall(rf"^{name}\{{([^}}]*)\}} (\S+)$", text, re.MULTILINE)
        if f'task_queue="{queue}"' in labels
    ]
    assert values, f"{name} for {queue} is not in the scrape"
    return sum(values)


async def scrape(client: Client, sessions: SessionFactory) -> str:
    """One scrape of a worker's `/metrics`, where the SDK's metrics are appended."""
    http = WorkerHttp(new_registry(), client, sessions)
    await http.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}") as scraper:
            return (await scraper.get("/metrics")).text
    finally:
        await http.close()


async def test_cases_beyond_the_cache_are_rebuilt_and_all_close(
    metered_client: Client, database_url: str
) -> None:
    client = metered_client
    queue = f"small-cache-{uuid.uuid4()}"
    sessions = session_factory(make_engine(database_url))
    async with build_worker(client, queue, database_url, cache=CACHE):
        handles: list[CaseHandle] = [
            await start(client, intake(), task_queue=queue) for _ in range(CASES)
        ]
        for handle in handles:
            await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
        all_open = await scrape(client, sessions)
        # Each step goes round all the cases, so every case has left the cache before its next.
        for handle in handles:
            await handle.execute_update(
                CaseWorkflow.sign_off, SignOff(by="l", department="gy-market")
            )
        for handle in handles:
            await handle.execute_update(CaseWorkflow.reply, REPLY)
        for handle in handles:
            await handle.execute_update(
                CaseWorkflow.review_reply, ReplyReview(by="rev", approve=True)
            )
        for handle in handles:
            await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
        results = [await handle.result() for handle in handles]
        timelines = [await actions(handle) for handle in handles]
        text = await scrape(client, sessions)
    assert [(r.status, r.closure_reason) for r in results] == [
        (CaseStatus.CLOSED, ClosureReason.RESOLVED)
    ] * CASES
    assert timelines == [timelines[0]] * CASES and "callback" in str(timelines[0])
    assert sample(all_open, "temporal_sticky_cache_size", queue) <= CACHE
    # Each of the last three rounds found every case outside the cache.
    assert sample(text, "temporal_sticky_cache_total_forced_eviction", queue) >= 3 * CASES
    assert sample(text, "temporal_sticky_cache_miss", queue) >= 3 * CASES


def test_the_cache_size_comes_from_the_environment() -> None:
    assert cached_cases({}) == DEFAULT_CACHED_CASES
    assert cached_cases({CACHED_CASES_ENV: " 250 "}) == 250


@pytest.mark.parametrize("value", ["0", "1", "-5", "lots", "2.5"])
def test_a_cache_size_the_sdk_cannot_take_is_refused_with_its_value(value: str) -> None:
    with pytest.raises(
        ValueError, match=rf"{CACHED_CASES_ENV} .*at least 2, not '{re.escape(value)}'"
    ):
        cached_cases({CACHED_CASES_ENV: value})


@pytest.mark.parametrize("command", ["worker", "run"])
@pytest.mark.parametrize(
    ("name", "value"), [(CACHED_CASES_ENV, "lots"), ("HOTLINE_WORKER_QUEUES", "reports")]
)
def test_the_worker_and_the_dev_stack_refuse_a_wrong_setting_in_one_line(
    command: str, name: str, value: str
) -> None:
    done = run_cli(command, environ={name: value, "TEMPORAL_ADDRESS": "127.0.0.1:1"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"hotline {command}: {name}") and repr(value) in done.stderr
    assert "ready" not in done.stdout  # refused before the key ring or the dev server
