"""Drill 1: kill -9 the worker with 200+ open cases mid-steps, start it again.

A `hotline worker` process serves the drill's own dev server; 240 cases are taken in,
dispatched, signed for and replied to, 40 at a time. Once 200 intakes are acknowledged (the
rest still being taken in and steps in flight), the worker gets SIGKILL and a new one is
started. Every call is retried as a client retries (same request id, same update id). Then: no
acknowledged case lost, no notice doubled, every projection converges to its workflow.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from db.engine import make_engine, session_factory
from tests.reliability.checks import missing_notices, verify, workflow_states
from tests.reliability.conftest import requires_postgres
from tests.reliability.load import Load
from tests.reliability.processes import DevServer, worker_service

pytestmark = [requires_postgres, pytest.mark.timeout(400)]

CASES = 220
KILL_AT = 200
CONCURRENCY = 40
QUEUE = "drill-worker-kill"


async def test_killed_worker_loses_and_doubles_nothing(
    dev_server: DevServer, drill_database: str, tmp_path: Path
) -> None:
    sessions = session_factory(make_engine(drill_database))
    client = await dev_server.client()
    worker = worker_service(dev_server, QUEUE, drill_database, tmp_path / "worker.log")
    load = Load(client, sessions, QUEUE, f"kill-{os.getpid()}", CASES, CONCURRENCY)
    worker.start()
    try:
        driving = asyncio.create_task(load.run())
        await load.until_acknowledged(KILL_AT)
        in_flight = load.snapshot()
        open_cases = len(load.acknowledged)
        worker.kill()
        await asyncio.sleep(2)  # calls keep coming while no worker runs
        worker.start()
        await asyncio.wait_for(driving, timeout=400)
        verdict = await verify(client, sessions, load.acknowledged.values(), timeout=120)
        states = await workflow_states(client, load.acknowledged.values())
        lost_notices = await asyncio.to_thread(missing_notices, states, sessions)
    finally:
        worker.stop()
    print(
        f"\n[drill 1: worker kill -9] {CASES} cases, {open_cases} open at the kill, "
        f"in flight {in_flight}; acknowledged {len(load.acknowledged)}, "
        f"driven to reply {len(load.finished)}; retries {dict(load.retries)} "
        f"({dict(load.errors)}); {verdict.figures()}; notices lost {len(lost_notices)}"
    )
    assert open_cases >= KILL_AT
    assert sum(in_flight.values()) > 0, "the worker died with no case mid-step"
    assert len(load.acknowledged) == CASES
    assert len(set(load.acknowledged.values())) == CASES, "a retried intake made a second case"
    assert verdict.ok, verdict
    assert lost_notices == []
