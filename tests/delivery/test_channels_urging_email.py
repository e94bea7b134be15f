"""End to end on the real dev server: an urging notice in the outbox goes through the delivery
workflow to a real local SMTP server, its 催办通知书 attached, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.delivery import DeliveryOptions, DeliveryRequest, delivery_workflow_id
from activities.notifications import NotificationRenderer
from db.engine import make_engine, session_factory
from db.seed import DEMO_DEPARTMENTS
from db.tables import NoticeAttemptRow, NotificationRow
from models.delivery import ChannelKind, NoticeStatus
from models.records import Notification
from rules.notice_rules import notice_key
from settings.notices import NoticeSettings, Route, SmtpSettings
from tests.conftest import next_case_no
from tests.delivery.channel_servers import MailStore, smtp_server
from workers.worker import build_worker
from workflows.notice_delivery import NoticeDeliveryWorkflow

LIAISON = "liaison@dept.guiyang.example"
SENDER = "notices@12345.guiyang.example"


def _outbox_row(database_url: str, case_no: str, department: str) -> int:
    notification = Notification(
        case_no=case_no,
        event_key="urge:handling:1",
        template="urging_notice",
        channel="internal",
        recipient=department,
        context={"step": "handling", "due": "2026-11-30T18:00:00+08:00", "days_overdue": 2},
    )
    subject, body = NotificationRenderer().render(notification)
    with session_factory(make_engine(database_url)).begin() as session:
        row = NotificationRow(
            case_no=case_no,
            event_key=notification.event_key,
            template=notification.template,
            channel=notification.channel,
            recipient=department,
            subject=subject,
            body=body,
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        return row.id


async def test_an_urging_notice_reaches_the_smtp_server_with_its_document_once(
    env: WorkflowEnvironment, database_url: str
) -> None:
    department, department_name, *_ = DEMO_DEPARTMENTS[0]
    case_no = next_case_no()
    row_id = _outbox_row(database_url, case_no, department)
    store = MailStore()
    queue = f"notices-{uuid.uuid4().hex[:8]}"
    with smtp_server(store) as port:
        settings = NoticeSettings(
            smtp=SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender=SENDER),
            routes={department: Route("email", address=LIAISON)},
        )
        request = DeliveryRequest(notice_id=row_id, options=DeliveryOptions.of(settings))
        async with build_worker(env.client, queue, database_url, notices=settings):
            status = await env.client.execute_workflow(
                NoticeDeliveryWorkflow.run,
                request,
                id=delivery_workflow_id(row_id),
                task_queue=queue,
            )
            # A second delivery of the same row finds its success recorded: nothing is sent.
            again = await env.client.execute_workflow(
                NoticeDeliveryWorkflow.run,
                request,
                id=f"{delivery_workflow_id(row_id)}-again",
                task_queue=queue,
            )
    assert (status, again) == (NoticeStatus.SENT, NoticeStatus.SENT)
    key = notice_key(case_no, "urge:handling:1")
    (envelope,) = store.envelopes
    assert envelope.rcpt_tos == [LIAISON]
    (message,) = store.messages()
    assert message["Subject"] == f"催办通知书：工单{case_no}办理已超期"
    assert message["X-Hotline-Notice-Id"] == key
    assert message["Message-ID"] == f"<{key}@hotline12345>"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "现已超期2天" in body.get_content()
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == f"催办通知书-{case_no}.html"
    assert attached.get_content_type() == "text/html"
    document = attached.get_payload(decode=True).decode("utf-8")
    assert f"{department_name}：" in document
    assert f"{case_no}号" in document
    assert "现已超期2天。" in document

    with session_factory(make_engine(database_url))() as session:
        row = session.get(NotificationRow, row_id)
        attempts = session.scalars(
            select(NoticeAttemptRow).where(NoticeAttemptRow.notification_id == row_id)
        ).all()
    assert row is not None
    assert row.status == NoticeStatus.SENT.value
    assert row.channel_kind == ChannelKind.EMAIL.value
    assert row.attempts == 1
    assert row.sent_at is not None
    assert [(a.attempt, a.ok) for a in attempts] == [(1, True)]
    assert attempts[0].detail == f"accepted (<{key}@hotline12345>)"
