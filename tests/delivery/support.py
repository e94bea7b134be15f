"""Helpers of the delivery tests: take in a case with a caller's phone, read its notices,
wait for a status, and move a held notice's virtual clock past its hold."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.tables import NoticeAttemptRow, NotificationRow
from models.delivery import NoticeStatus
from models.enums import CaseType, Urgency
from models.intake import Caller, Location, ToDispatch
from services import cases as case_service
from tests.conftest import TASK_QUEUE

WAIT_S = 60.0
_serials = itertools.count(random.randint(10_000_000, 80_000_000))


def new_phone() -> str:
    """A mobile number no other test uses (the daily cap counts per number)."""
    return f"139{next(_serials):08d}"


async def open_case(
    client: Client, sessions: SessionFactory, phone: str, urgency: Urgency = Urgency.NORMAL
) -> str:
    """A complaint dispatched at intake to gy-market, from a caller with `phone`: its receipt
    SMS is in the outbox once this returns."""
    request = case_service.IntakeRequest(
        request_id=f"delivery-{phone}-{random.randint(0, 10**9)}",
        operator_id="op-delivery",
        caller=Caller(name="李四", phones=[phone]),
        location=Location(district="云岩区", street="中华北路街道", address="中华北路2号"),
        case_type=CaseType.COMPLAINT,
        category="市场监管/消费投诉",
        urgency=urgency,
        title="商家拒绝退款",
        content="购买的商品有质量问题，商家拒绝退款。",
        outcome=ToDispatch(lead_department="gy-market"),
    )
    view = await case_service.open_case(client, sessions, request, TASK_QUEUE)
    await receipt(sessions, view.case_no)
    return view.case_no


def row_of(sessions: SessionFactory, case_no: str, template: str) -> NotificationRow | None:
    with sessions() as session:
        return session.scalars(
            select(NotificationRow).where(
                NotificationRow.case_no == case_no, NotificationRow.template == template
            )
        ).one_or_none()


async def receipt(sessions: SessionFactory, case_no: str) -> NotificationRow:
    """The case's receipt SMS row, once the case has written it."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(row_of, sessions, case_no, "sms_received")
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"case {case_no} wrote no receipt SMS")


def reread(sessions: SessionFactory, notice_id: int) -> NotificationRow:
    with sessions() as session:
        found = session.get(NotificationRow, notice_id)
        assert found is not None
        return found


async def until_status(
    sessions: SessionFactory, notice_id: int, statuses: Iterable[NoticeStatus]
) -> NotificationRow:
    wanted = {s.value for s in statuses}
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        row = await asyncio.to_thread(reread, sessions, notice_id)
        if row.status in wanted:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"notice {notice_id} is {row.status}, not {sorted(wanted)}")


def attempts_of(sessions: SessionFactory, notice_id: int) -> list[NoticeAttemptRow]:
    with sessions() as session:
        return list(
            session.scalars(
                select(NoticeAttemptRow)
                .where(NoticeAttemptRow.notification_id == notice_id)
                .order_by(NoticeAttemptRow.attempt)
            )
        )


async def past_hold(env: WorkflowEnvironment, sessions: SessionFactory, notice_id: int) -> None:
    """If the notice is held (quiet hours, the cap), fast-forward its delivery past the hold."""
    row = await until_status(
        sessions,
        notice_id,
        [NoticeStatus.HELD, NoticeStatus.SENDING, NoticeStatus.SENT, NoticeStatus.DEAD],
    )
    if row.status != NoticeStatus.HELD.value:
        return
    assert row.held_until is not None
    handle = env.client.get_workflow_handle(f"notice-{notice_id}")
    now = await env.get_current_time(handle)
    await env.fast_forward(handle, row.held_until - now + timedelta(seconds=1))
