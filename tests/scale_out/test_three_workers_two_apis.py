"""Drill: 3 worker processes and 2 API processes on one Temporal server and one PostgreSQL.

The workers split the queues as a deployment may: one polls the case and the heavy queue, one
only cases, one only heavy work (`HOTLINE_WORKER_QUEUES`). Cases are taken in alternately
through both APIs over HTTP, then signed for and replied to through either, every other one
reviewed and called back until it closes. Once a third are acknowledged, the worker that polls
both queues gets SIGKILL and is never started again. The other two must pick up its workflow
tasks and retry its cut-off activities: every acknowledged case has its workflow and converges
to its projection (version = timeline length, no gap), no case number is handed out twice, no
notice is doubled or lost, and every closed case's history is archived exactly once, by the
heavy-only worker. The public lookup's per-address limit is one budget across both APIs.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.routes.public import lookups
from db.engine import SessionFactory, make_engine, session_factory
from db.tables import ArchiveRow
from tests.reliability.checks import missing_notices, verify, workflow_states
from tests.reliability.conftest import requires_postgres, role_headers
from tests.reliability.http_load import statuses
from tests.reliability.load import LEAD
from tests.reliability.processes import (
    HOST,
    DevServer,
    Service,
    api_service,
    free_port,
    wait_for_api,
    worker_service,
)
from tests.scale_out.two_api_load import TwoApiLoad

pytestmark = [requires_postgres, pytest.mark.timeout(300)]

WORKER_QUEUES = ("cases,heavy", "cases", "heavy")  # the first is killed
CASES = 36
KILL_AT = 12
CONCURRENCY = 8
QUEUE = "drill-scale-out"


async def lookups_share_one_budget(first: httpx.AsyncClient, second: httpx.AsyncClient) -> None:
    """The limit's lookups through both processes together; the next is refused by either."""

    async def lookup(http: httpx.AsyncClient) -> int:
        body = {"case_no": f"GY20200101-{uuid.uuid4().int % 10**6:06d}", "retrieval_code": "1" * 6}
        return (await http.post("/public/progress", json=body)).status_code

    allowed = [await lookup((first, second)[i % 2]) for i in range(lookups.limit)]
    assert allowed == [404] * lookups.limit
    assert [await lookup(first), await lookup(second)] == [429, 429]


async def archived(sessions: SessionFactory, case_nos: set[str], timeout: float) -> dict[str, int]:
    """Archive rows per closed case, polled until each has one or `timeout` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def count() -> dict[str, int]:
        with sessions() as session:
            rows = session.execute(
                select(ArchiveRow.case_no, func.count())
                .where(ArchiveRow.case_no.in_(case_nos))
                .group_by(ArchiveRow.case_no)
            ).all()
        return {case_no: n for case_no, n in rows}

    while True:
        found = await asyncio.to_thread(count)
        if len(found) == len(case_nos) or loop.time() > deadline:
            return found
        await asyncio.sleep(1.0)


async def test_three_workers_two_apis_lose_nothing_when_a_worker_dies(
    dev_server: DevServer, drill_database: str, tmp_path: Path
) -> None:
    sessions = session_factory(make_engine(drill_database))
    workers: list[Service] = []
    for n, queues in enumerate(WORKER_QUEUES):
        worker = worker_service(dev_server, QUEUE, drill_database, tmp_path / f"worker-{n}.log")
        worker.environment["HOTLINE_WORKER_QUEUES"] = queues
        workers.append(worker)
    ports = [free_port(), free_port()]
    apis = [
        api_service(dev_server, QUEUE, drill_database, port, tmp_path / f"api-{n}.log")
        for n, port in enumerate(ports)
    ]
    urls = [f"http://{HOST}:{port}" for port in ports]
    operator = role_headers(sessions, "operator")
    department = role_headers(sessions, "department", LEAD)
    dispatcher = role_headers(sessions, "dispatcher")
    try:
        for service in (*workers, *apis):
            service.start()
        await asyncio.gather(*(wait_for_api(url, timeout=120) for url in urls))
        client = await dev_server.client()
        async with (
            httpx.AsyncClient(base_url=urls[0]) as first,
            httpx.AsyncClient(base_url=urls[1]) as second,
        ):
            lookups.forget(sessions)  # a budget left by an earlier run on this schema
            await lookups_share_one_budget(first, second)
            prefix = f"scale-{os.getpid()}"
            load = TwoApiLoad(
                first,
                operator,
                department,
                prefix,
                CASES,
                CONCURRENCY,
                second=second,
                dispatcher=dispatcher,
            )
            driving = asyncio.create_task(load.run())
            await load.until_acknowledged(KILL_AT, timeout=180)
            open_at_kill = len(load.acknowledged) - len(load.finished)
            victim = workers[0]
            victim.kill()
            await asyncio.wait_for(driving, timeout=240)
        survivors = [w.running for w in workers[1:]]
        verdict = await verify(client, sessions, load.acknowledged.values(), timeout=120)
        states = await workflow_states(client, load.acknowledged.values())
        lost_notices = await asyncio.to_thread(missing_notices, states, sessions)
        archives = await archived(sessions, load.closed, timeout=120)
        heavy_log = workers[2].log.read_text(errors="replace")
    finally:
        for service in (*apis, *workers):
            service.stop()
    print(
        f"\n[scale-out: {len(WORKER_QUEUES)} workers, 2 APIs, one worker kill -9] {CASES} cases, "
        f"{open_at_kill} mid-steps at the kill; acknowledged {len(load.acknowledged)}, "
        f"driven to reply {len(load.finished)}; answers {dict(statuses(load.answers))}; "
        f"{verdict.figures()}; notices lost {len(lost_notices)}; "
        f"closed {len(load.closed)}, archived {len(archives)}"
    )
    assert survivors == [True] * (len(WORKER_QUEUES) - 1)
    assert open_at_kill > 0, "the worker died with no case mid-steps"
    assert len(load.acknowledged) == CASES
    assert len(set(load.acknowledged.values())) == CASES, "a case number was handed out twice"
    assert len(load.finished) == CASES
    assert verdict.ok, verdict
    assert lost_notices == []
    assert len(load.closed) == CASES // 2
    assert archives == dict.fromkeys(load.closed, 1), "a closed case not archived exactly once"
    assert f"{QUEUE}-heavy" in heavy_log and f"polling task queue {QUEUE} " not in heavy_log
