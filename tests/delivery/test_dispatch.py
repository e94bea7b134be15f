"""The dispatcher with several workers at once, and a dead-lettered row put back to `pending`.

Two dispatchers (two worker processes' worth) find the same rows at the same moment: each row
still gets one delivery workflow and reaches the gateway once. A row dead-lettered after a
refusal and put back to `pending` (what a supervisor's requeue does) gets a new run.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from temporalio.client import Client

from db.engine import SessionFactory
from db.tables import NotificationRow
from models.delivery import NoticeStatus
from models.enums import Urgency
from settings.notices import NoticeSettings
from tests.delivery.conftest import DELIVERY_QUEUE
from tests.delivery.gateway import Gateway
from tests.delivery.support import attempts_of, new_phone, open_case, receipt, until_status
from workers.notice_dispatch import NoticeDispatcher


async def test_two_dispatchers_deliver_each_row_once(
    delivery_client: Client,
    sessions: SessionFactory,
    gateway: Gateway,
    notice_settings: NoticeSettings,
) -> None:
    phone = new_phone()
    row = await receipt(sessions, await open_case(delivery_client, sessions, phone, Urgency.URGENT))
    one, two = (
        NoticeDispatcher(delivery_client, sessions, DELIVERY_QUEUE, notice_settings)
        for _ in range(2)
    )
    for _ in range(3):
        await asyncio.gather(one.dispatch_once(), two.dispatch_once())
    sent = await until_status(sessions, row.id, [NoticeStatus.SENT, NoticeStatus.DEAD])
    for _ in range(2):
        await asyncio.gather(one.dispatch_once(), two.dispatch_once())

    assert sent.status == NoticeStatus.SENT
    assert len(gateway.to(phone)) == 1
    assert len(attempts_of(sessions, row.id)) == 1


async def test_a_requeued_dead_letter_is_delivered_by_a_new_run(
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
) -> None:
    phone = new_phone()
    gateway.script(phone, 400)
    row = await receipt(sessions, await open_case(delivery_client, sessions, phone, Urgency.URGENT))
    await until_status(sessions, row.id, [NoticeStatus.DEAD])
    with sessions.begin() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == row.id)
            .values(status=NoticeStatus.PENDING.value)
        )
    sent = await until_status(sessions, row.id, [NoticeStatus.SENT])

    assert sent.attempts == 2
    assert [a.ok for a in attempts_of(sessions, row.id)] == [False, True]
    assert len(gateway.to(phone)) == 2
    handle = delivery_client.get_workflow_handle(f"notice-{row.id}")
    assert await handle.result() == NoticeStatus.SENT
