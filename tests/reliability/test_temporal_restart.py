"""Drill 2: stop the Temporal dev server under load and start it again on the same db file.

The drill's dev server keeps its state in a SQLite file (`--db-filename`). With 120 cases under
way, 30 at a time, the server is stopped; a step sent meanwhile must fail with an error the
caller can retry (not hang, not half-happen); the server is started again on the same file,
and the same step with the same update id then succeeds, once. The worker process and the
clients reconnect by themselves. Then the three checks: nothing lost, doubled or diverged.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from temporalio.service import RPCError, RPCStatusCode

from db.engine import make_engine, session_factory
from models.commands import SignOff
from models.errors import CaseActionError
from services import cases as case_service
from tests.reliability.checks import missing_notices, verify, workflow_states
from tests.reliability.conftest import requires_postgres
from tests.reliability.load import LEAD, Load, intake_request
from tests.reliability.processes import DevServer, worker_service
from workflows.case import CaseWorkflow

pytestmark = [requires_postgres, pytest.mark.timeout(400)]

CASES = 120
STOP_AT = 60
CONCURRENCY = 30
QUEUE = "drill-temporal-restart"
PROBE_TIMEOUT_S = 45.0
RETRYABLE = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)


async def test_restarted_server_loses_and_doubles_nothing(
    dev_server: DevServer, drill_database: str, tmp_path: Path
) -> None:
    sessions = session_factory(make_engine(drill_database))
    client = await dev_server.client()
    worker = worker_service(dev_server, QUEUE, drill_database, tmp_path / "worker.log")
    prefix = f"restart-{os.getpid()}"
    load = Load(client, sessions, QUEUE, prefix, CASES, CONCURRENCY)
    sign = SignOff(by="liaison-probe", department=LEAD)
    worker.start()
    try:
        probe = await case_service.open_case(
            client, sessions, intake_request(f"{prefix}-probe", 99_999, True), QUEUE
        )
        driving = asyncio.create_task(load.run())
        await load.until_acknowledged(STOP_AT)
        in_flight = load.snapshot()
        dev_server.stop()
        refusal: BaseException | None = None
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await case_service.act(
                    client, probe.case_no, CaseWorkflow.sign_off, sign, request_id="probe-sign"
                )
        except (RPCError, CaseActionError) as err:
            refusal = err
        dev_server.start()
        view = await case_service.act(
            client, probe.case_no, CaseWorkflow.sign_off, sign, request_id="probe-sign"
        )
        await asyncio.wait_for(driving, timeout=300)
        numbers = [*load.acknowledged.values(), probe.case_no]
        verdict = await verify(client, sessions, numbers, timeout=120)
        states = await workflow_states(client, numbers)
        lost_notices = await asyncio.to_thread(missing_notices, states, sessions)
        worker_survived = worker.running
    finally:
        worker.stop()
    probe_state = states[probe.case_no]
    probe_sign_offs = [e for e in probe_state.timeline if e.action == "sign_off"]
    print(
        f"\n[drill 2: Temporal restart] {CASES} cases, {STOP_AT} acknowledged at the stop, "
        f"in flight {in_flight}; step while down -> {type(refusal).__name__}"
        f"({getattr(refusal, 'status', None)}); retried after restart -> {view.status.value}, "
        f"sign-offs {len(probe_sign_offs)}; acknowledged {len(load.acknowledged)}, retries "
        f"{dict(load.retries)} ({dict(load.errors)}); {verdict.figures()}; "
        f"notices lost {len(lost_notices)}"
    )
    assert refusal is not None, "a step sent while the server was down did not fail"
    if isinstance(refusal, RPCError):
        assert refusal.status in RETRYABLE, refusal
    assert view.status.value == "handling"
    assert len(probe_sign_offs) == 1
    assert worker_survived, "the worker process died while the server was down"
    assert len(load.acknowledged) == CASES
    assert len(set(load.acknowledged.values())) == CASES
    assert verdict.ok, verdict
    assert lost_notices == []
