"""The per-address lookup limit is one budget for every API process, kept in the database."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import ApiContext
from api.problems import Problem
from api.rate_limit import RateLimiter, client_hash
from api.routes.public import lookups
from db.engine import SessionFactory, make_engine
from db.engine import session_factory as make_sessions
from db.tables import RateWindowRow
from tests.api.http import Api
from tests.conftest import TASK_QUEUE

_hosts = itertools.count(1)
T0 = 1_800_000_000.0  # a bucket boundary for 10 s buckets


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def hits(sessions: SessionFactory, scope: str) -> list[tuple[str, int, int]]:
    with sessions() as session:
        rows = session.execute(
            select(RateWindowRow.key_hash, RateWindowRow.window_start, RateWindowRow.hits)
            .where(RateWindowRow.scope == scope)
            .order_by(RateWindowRow.window_start)
        ).all()
    return [(key, start, count) for key, start, count in rows]


def refused(limiter: RateLimiter, sessions: SessionFactory, client: str) -> int | None:
    """The Retry-After of a refusal, or None when the request was let through."""
    try:
        limiter.check(sessions, client)
    except Problem as problem:
        assert problem.status == 429
        retry: int = problem.extra["retry_after"]
        assert problem.detail == f"too many lookups; retry in {retry} s"
        return retry
    return None


def test_the_window_slides_and_old_buckets_go(session_factory: SessionFactory) -> None:
    clock = Clock()
    limiter = RateLimiter(scope="test-slide", limit=3, per_seconds=60, clock=clock)
    assert [refused(limiter, session_factory, "10.1.0.1") for _ in range(3)] == [None] * 3
    clock.now = T0 + 25
    # Three in the window: refused until the first bucket leaves it, 60 s after T0.
    assert refused(limiter, session_factory, "10.1.0.1") == 35
    # The refusal is not counted; another address has its own budget.
    assert refused(limiter, session_factory, "10.1.0.2") is None
    clock.now = T0 + 60
    assert refused(limiter, session_factory, "10.1.0.1") is None
    rows = hits(session_factory, "test-slide")
    assert all("10.1.0" not in key for key, _, _ in rows)
    assert (client_hash("10.1.0.1"), int(T0), 3) not in rows  # the first bucket left
    assert (client_hash("10.1.0.1"), int(T0) + 60, 1) in rows
    clock.now = T0 + 200
    assert refused(limiter, session_factory, "10.1.0.3") is None
    assert [start for _, start, _ in hits(session_factory, "test-slide")] == [int(T0) + 200]
    limiter.forget(session_factory)
    assert hits(session_factory, "test-slide") == []


@pytest.fixture
def address() -> tuple[str, int]:
    """One client address per test run (the budget is per address; the database may outlive
    a run)."""
    n = uuid.uuid4().int
    return (f"10.{88 + n % 8}.{n // 8 % 250}.{n // 2000 % 250 + 1}", 5000)


@pytest.fixture
async def second_api(
    env: WorkflowEnvironment, api: Api, database_url: str, address: tuple[str, int]
) -> AsyncIterator[httpx.AsyncClient]:
    """Another app, with its own context and engine, on the same database: a second process."""
    sessions = make_sessions(make_engine(database_url))
    app = create_app(ApiContext(client=env.client, sessions=sessions, task_queue=TASK_QUEUE))
    transport = httpx.ASGITransport(app=app, client=address)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield client


async def lookup(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        "/public/progress",
        json={"case_no": f"GY20200101-{uuid.uuid4().int % 10**6:06d}", "retrieval_code": "123456"},
    )


async def test_two_api_processes_share_one_budget(
    api: Api, second_api: httpx.AsyncClient, address: tuple[str, int]
) -> None:
    transport = httpx.ASGITransport(app=api.app, client=address)
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as first:
        pair = (first, second_api)
        statuses = [(await lookup(pair[i % 2])).status_code for i in range(lookups.limit)]
        assert statuses == [404] * lookups.limit
        for client in pair:
            over = await lookup(client)
            assert over.status_code == 429, over.text
            assert over.json()["retry_after"] >= 1
            assert over.json()["detail"].startswith("too many lookups; retry in ")
        # Another address still has its whole budget, in either process.
        other = httpx.ASGITransport(app=api.app, client=(f"10.99.{next(_hosts)}.1", 5000))
        async with httpx.AsyncClient(transport=other, base_url="http://hotline.test") as fresh:
            assert (await lookup(fresh)).status_code == 404
