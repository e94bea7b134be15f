"""A worker killed (kill -9) after the gateway got the SMS but before the result was recorded:
the next worker sends it again with the same id, the row is recorded `sent` once, nothing lost.

The worker is a real `hotline worker` process on the session's dev server and database, with
the notice settings in its environment (the gateway, a short attempt limit so the dead
worker's attempt is retried soon). Its own dispatcher starts the delivery; the gateway holds
the first request open, the test kills the worker, and a second worker finishes the job.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from models.delivery import NoticeStatus
from models.enums import Urgency
from tests.delivery.conftest import SECRET
from tests.delivery.gateway import HOLD, Gateway
from tests.delivery.support import attempts_of, new_phone, open_case, receipt, until_status
from tests.reliability.processes import Service

KILL_QUEUE = "hotline-delivery-kill"


def worker_process(
    env: WorkflowEnvironment, database_url: str, gateway: Gateway, folder: Path, name: str
) -> Service:
    import os

    hotline = str(Path(sys.executable).parent / "hotline")
    environment = os.environ | {
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": env.client.namespace,
        "HOTLINE_TASK_QUEUE": KILL_QUEUE,
        "DATABASE_URL": database_url,
        "HOTLINE_SMS_WEBHOOK_URL": gateway.url,
        "HOTLINE_SMS_WEBHOOK_SECRET": SECRET,
        "HOTLINE_NOTICE_FILE": str(folder / "notices-sent.jsonl"),
        "HOTLINE_NOTICE_SEND_TIMEOUT_SECONDS": "4",
        "HOTLINE_NOTICE_RETRY_SECONDS": "0.2",
        "HOTLINE_NOTICE_RETRY_MAX_SECONDS": "1",
        "HOTLINE_NOTICE_POLL_SECONDS": "0.2",
    }
    return Service([hotline, "worker"], environment, folder / f"{name}.log")


async def test_a_worker_killed_mid_send_loses_nothing_and_sends_with_the_same_id(
    env: WorkflowEnvironment,
    client: Client,
    database_url: str,
    sessions: SessionFactory,
    gateway: Gateway,
    tmp_path: Path,
) -> None:
    phone = new_phone()
    gateway.script(phone, HOLD)
    gateway.holding.clear()
    gateway.release.clear()
    first = worker_process(env, database_url, gateway, tmp_path, "worker-1")
    second = worker_process(env, database_url, gateway, tmp_path, "worker-2")
    first.start()
    try:
        case_no = await open_case(client, sessions, phone, Urgency.URGENT)
        row = await receipt(sessions, case_no)
        assert await asyncio.to_thread(gateway.holding.wait, 90), (
            tmp_path / "worker-1.log"
        ).read_text(errors="replace")[-3000:]
        first.kill()  # the gateway has the POST; the worker never hears back
        gateway.release.set()
        assert (await until_status(sessions, row.id, [NoticeStatus.SENDING])).attempts == 1
        second.start()
        sent = await until_status(sessions, row.id, [NoticeStatus.SENT, NoticeStatus.DEAD])
    finally:
        first.stop()
        second.stop()
        gateway.release.set()

    assert sent.status == NoticeStatus.SENT
    received = gateway.to(phone)
    assert len(received) == 2
    assert received[0].body["id"] == received[1].body["id"]  # the gateway can drop the repeat
    attempts = attempts_of(sessions, row.id)
    assert [a.ok for a in attempts] == [None, True]  # the first never recorded its result
    assert sent.attempts == 2
