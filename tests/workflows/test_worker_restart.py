"""A worker killed mid-case (SIGKILL, activity in flight) and replaced: no case lost, no
notification doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter

from sqlalchemy import select
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from db.engine import make_engine, session_factory
from db.tables import CaseRow, NotificationRow, TransitionRow
from models.commands import ReplyReview, SignOff
from models.enums import CaseStatus, ClosureReason
from tests.conftest import ROOT
from tests.workflows.cases import REPLY, SATISFIED, intake, start, until
from workers.worker import build_worker
from workflows.case import CaseWorkflow

QUEUE = "restart-test"


def spawn_worker(env: WorkflowEnvironment, database_url: str) -> subprocess.Popen[bytes]:
    environment = os.environ | {
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": env.client.namespace,
        "HOTLINE_TASK_QUEUE": QUEUE,
        "DATABASE_URL": database_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "workers.worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_killed_worker_loses_nothing_and_doubles_nothing(
    env: WorkflowEnvironment, database_url: str
) -> None:
    process = spawn_worker(env, database_url)
    try:
        case = intake()
        handle = await start(env.client, case, task_queue=QUEUE)
        await until(handle, lambda s: s.status is CaseStatus.DISPATCHED, timeout=30)
        await handle.execute_update(CaseWorkflow.sign_off, SignOff(by="l", department="gy-market"))
        # Accepted, so its handler is running its activities when the worker dies.
        await handle.start_update(
            CaseWorkflow.reply, REPLY, id="reply-1", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    async with build_worker(env.client, QUEUE, database_url):
        reply = handle.get_update_handle_for(CaseWorkflow.reply, "reply-1")
        view = await asyncio.wait_for(reply.result(), timeout=60)
        assert view.status is CaseStatus.REPLIED
        await handle.execute_update(CaseWorkflow.review_reply, ReplyReview(by="r", approve=True))
        await handle.execute_update(CaseWorkflow.record_callback, SATISFIED)
        result = await handle.result()
        state = await handle.query(CaseWorkflow.state)
    assert result.closure_reason is ClosureReason.RESOLVED
    with session_factory(make_engine(database_url))() as session:
        row = session.get(CaseRow, case.case_no)
        assert row is not None and row.status == "closed"
        seqs = session.scalars(
            select(TransitionRow.seq).where(TransitionRow.case_no == case.case_no)
        ).all()
        templates = Counter(
            session.scalars(
                select(NotificationRow.template).where(NotificationRow.case_no == case.case_no)
            ).all()
        )
    assert sorted(seqs) == list(range(1, len(state.timeline) + 1))
    assert templates == {
        "dispatch_notice": 1,
        "sms_received": 1,
        "callback_script": 1,
        "closure_sms": 1,
    }
