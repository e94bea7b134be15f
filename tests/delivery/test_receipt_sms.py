"""A citizen's receipt SMS goes from the outbox to the centre's HTTP gateway, once, signed.

Real dev server, real gateway on 127.0.0.1, the session database (SQLite, or PostgreSQL with
DATABASE_URL). Outside the quiet hours it goes at once; in them it is held, and the test moves
the delivery's virtual clock past 08:00.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.tables import CaseNumberRow, NotificationRow
from models.delivery import ChannelKind, NoticeStatus
from rules.notice_rules import notice_key
from security.webhook_signature import verify
from tests.delivery.conftest import SECRET
from tests.delivery.gateway import Gateway
from tests.delivery.support import attempts_of, new_phone, open_case, past_hold, until_status
from workers.notice_dispatch import NoticeDispatcher


def retrieval_code(sessions: SessionFactory, case_no: str) -> str:
    with sessions() as session:
        code = session.scalar(
            select(CaseNumberRow.retrieval_code).where(CaseNumberRow.case_no == case_no)
        )
    assert code
    return code


async def test_a_receipt_sms_reaches_the_gateway_once_signed(
    env: WorkflowEnvironment,
    delivery_client: Client,
    dispatcher: NoticeDispatcher,
    sessions: SessionFactory,
    gateway: Gateway,
    notice_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="activities.delivery")
    phone = new_phone()
    case_no = await open_case(delivery_client, sessions, phone)
    notice_id = await _receipt_id(sessions, case_no)
    await past_hold(env, sessions, notice_id)
    sent = await until_status(sessions, notice_id, [NoticeStatus.SENT])

    received = gateway.to(phone)
    assert len(received) == 1
    body = received[0].body
    assert body["id"] == notice_key(case_no, sent.event_key)
    assert body["to"] == phone
    assert case_no in body["text"]
    assert retrieval_code(sessions, case_no) in body["text"]
    assert body["text"].startswith("【贵阳12345】")
    assert body["text"].count("【贵阳12345】") == 1
    headers = received[0].headers
    assert verify(
        SECRET,
        headers["X-Hotline-Timestamp"],
        received[0].raw,
        headers["X-Hotline-Signature"],
        datetime.now(UTC),
    )
    assert sent.channel_kind == ChannelKind.SMS_GATEWAY
    assert sent.attempts == 1 and sent.sent_at is not None and sent.last_error is None
    [attempt] = attempts_of(sessions, notice_id)
    assert attempt.ok is True and attempt.channel_kind == ChannelKind.SMS_GATEWAY

    # The department's dispatch notice went to the notice file (no route configured), and the
    # file never holds the citizen's number.
    dispatch_id = await _dispatch_id(sessions, case_no)
    dispatch = await until_status(sessions, dispatch_id, [NoticeStatus.SENT])
    assert dispatch.channel_kind == ChannelKind.FILE
    lines = [json.loads(line) for line in notice_file.read_text(encoding="utf-8").splitlines()]
    mine = [line for line in lines if line["case_no"] == case_no]
    assert [line["template"] for line in mine] == ["dispatch_notice"]
    assert mine[0]["id"] == notice_key(case_no, dispatch.event_key)
    assert phone not in notice_file.read_text(encoding="utf-8")
    # The delivery's log lines name the notice, the case, the template and the channel: never
    # the phone number or the text.
    mine = [r.getMessage() for r in caplog.records if case_no in r.getMessage()]
    assert any("sms_received" in line and "sms_gateway" in line for line in mine), mine
    assert phone not in caplog.text
    code = retrieval_code(sessions, case_no)
    assert not any(code in r.getMessage().replace(case_no, "") for r in caplog.records)


async def _receipt_id(sessions: SessionFactory, case_no: str) -> int:
    return await _row_id(sessions, case_no, "sms_received")


async def _dispatch_id(sessions: SessionFactory, case_no: str) -> int:
    return await _row_id(sessions, case_no, "dispatch_notice")


async def _row_id(sessions: SessionFactory, case_no: str, template: str) -> int:
    with sessions() as session:
        found = session.scalar(
            select(NotificationRow.id).where(
                NotificationRow.case_no == case_no, NotificationRow.template == template
            )
        )
    assert found is not None
    return found
