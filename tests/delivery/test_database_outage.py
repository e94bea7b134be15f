"""The database goes away after the gateway took the SMS and before the success is recorded:
the send activity is retried until the database is back, sends again with the same id, and the
row ends `sent`, recorded once. Nothing is lost.

PostgreSQL only (a TCP proxy in front of DATABASE_URL's server is cut and restored); on SQLite
the test is skipped with that reason. The delivery worker of this test reaches the database
through the proxy; cases are taken in on the session's worker, which does not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.delivery import DeliveryOptions, DeliveryRequest, delivery_workflow_id
from db.engine import SessionFactory, is_sqlite
from models.delivery import NoticeStatus
from models.enums import Urgency
from settings.notices import NoticeSettings
from tests.delivery.gateway import HOLD, Gateway
from tests.delivery.support import attempts_of, new_phone, open_case, receipt
from tests.tcp_proxy import TcpProxy
from workers.worker import build_worker
from workflows.notice_delivery import NoticeDeliveryWorkflow

OUTAGE_QUEUE = "hotline-delivery-outage"
OPTIONS = DeliveryOptions(max_attempts=50, retry_initial_s=0.2, retry_max_s=1, send_timeout_s=10)


@pytest.fixture
def proxy(database_url: str) -> Iterator[TcpProxy]:
    if is_sqlite(database_url):
        pytest.skip("a database outage is drilled on PostgreSQL: set DATABASE_URL")
    target = make_url(database_url)
    found = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    found.start()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture
async def outage_worker(
    env: WorkflowEnvironment, database_url: str, proxy: TcpProxy, notice_settings: NoticeSettings
) -> AsyncIterator[None]:
    through = make_url(database_url).set(host=proxy.host, port=proxy.port)
    url = through.render_as_string(hide_password=False)
    async with build_worker(env.client, OUTAGE_QUEUE, url, notices=notice_settings):
        yield


async def retried_at_least(handle: WorkflowHandle[Any, Any], attempts: int) -> None:
    """Until the pending send has been attempted `attempts` times (the database still down)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].attempt >= attempts:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the send was not retried while the database was down")


async def test_a_database_lost_mid_send_loses_nothing(
    env: WorkflowEnvironment,
    client: Client,
    outage_worker: None,
    proxy: TcpProxy,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    phone = new_phone()
    gateway.script(phone, HOLD)
    gateway.holding.clear()
    gateway.release.clear()
    row = await receipt(sessions, await open_case(client, sessions, phone, Urgency.URGENT))
    handle = await env.client.start_workflow(
        NoticeDeliveryWorkflow.run,
        DeliveryRequest(notice_id=row.id, options=OPTIONS),
        id=delivery_workflow_id(row.id),
        task_queue=OUTAGE_QUEUE,
        execution_timeout=timedelta(minutes=5),
    )
    try:
        assert await asyncio.to_thread(gateway.holding.wait, 60)
        proxy.cut()  # the gateway has the SMS; its answer cannot be recorded
        gateway.release.set()
        await retried_at_least(handle, 3)
    finally:
        proxy.restore()
        gateway.release.set()
    status = await handle.result()

    assert status == NoticeStatus.SENT
    received = gateway.to(phone)
    assert len(received) == 2
    assert received[0].body["id"] == received[1].body["id"]
    assert [a.ok for a in attempts_of(sessions, row.id)] == [None, True]
