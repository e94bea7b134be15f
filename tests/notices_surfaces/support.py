"""Real cases whose outbox rows the surface tests read, and the states delivery would give them.

A case is taken in through `services.cases.open_case` on the session's dev server and worker;
its intake writes the citizen's receipt SMS and a dispatch notice per department to the
outbox. `arrange` sets a row's delivery columns in SQL, only to the states the delivery
process itself writes (held until 08:00, dead after its attempts, sent), so each surface can be
shown every status without waiting for a channel.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from temporalio.client import Client

from db.engine import SessionFactory
from db.tables import NotificationRow
from models.delivery import DeliveryCounts
from services.cases import IntakeRequest, open_case
from services.notice_delivery import delivery_counts
from tests.conftest import TASK_QUEUE

PHONE = "13912345678"
MASKED = "139****5678"
LEAD = "gy-hr"
ASSISTING = "gy-market"
OTHER = "gy-water"
"""劳动保障/欠薪 goes to gy-hr with gy-market assisting; gy-water holds none of these cases."""


def intake(**overrides: Any) -> IntakeRequest:
    fields: dict[str, Any] = {
        "request_id": uuid.uuid4().hex,
        "operator_id": "op-notices",
        "caller": {"name": "王五", "phones": [PHONE]},
        "location": {"district": "南明区", "street": "花果园街道", "address": "花果园B区3栋"},
        "case_type": "complaint",
        "category": "劳动保障/欠薪",
        "title": "工地拖欠工资",
        "content": "在花果园工地务工三个月，工资一直未结清。",
        "outcome": {
            "kind": "dispatch",
            "lead_department": LEAD,
            "assisting_departments": [ASSISTING],
        },
    }
    fields.update(overrides)
    return IntakeRequest.model_validate(fields)


async def dispatched_case(client: Client, sessions: SessionFactory) -> str:
    """A case dispatched to LEAD with ASSISTING: its receipt SMS and two dispatch notices."""
    view = await open_case(client, sessions, intake(), TASK_QUEUE)
    await outbox(sessions, view.case_no, {"sms_received", "dispatch_notice"}, at_least=3)
    return view.case_no


async def outbox(
    sessions: SessionFactory, case_no: str, templates: set[str], at_least: int
) -> list[NotificationRow]:
    """The case's outbox rows once the step's activity has written them."""
    rows: list[NotificationRow] = []
    for _ in range(300):
        with sessions() as session:
            rows = list(
                session.scalars(
                    select(NotificationRow)
                    .where(NotificationRow.case_no == case_no)
                    .order_by(NotificationRow.id)
                )
            )
        if len(rows) >= at_least and templates <= {row.template for row in rows}:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_no}: outbox holds {[r.template for r in rows]}")


def row_id(rows: list[NotificationRow], template: str, recipient: str | None = None) -> int:
    for row in rows:
        if row.template == template and recipient in (None, row.recipient):
            return row.id
    raise AssertionError(f"no {template} row for {recipient}")


def arrange(sessions: SessionFactory, notice_id: int, **values: Any) -> None:
    """Set a row's delivery columns as the delivery process would have left them."""
    with sessions.begin() as session:
        session.execute(
            update(NotificationRow).where(NotificationRow.id == notice_id).values(**values)
        )


def dead(sessions: SessionFactory, notice_id: int, at: datetime) -> None:
    arrange(
        sessions,
        notice_id,
        status="dead",
        channel_kind="sms_gateway",
        attempts=5,
        last_error="HTTP 503 from the SMS gateway",
        held_until=None,
        sent_at=None,
        delivered_at=None,
    )


def held(sessions: SessionFactory, notice_id: int, until: datetime) -> None:
    arrange(sessions, notice_id, status="held", held_until=until, attempts=0, sent_at=None)


def sent(sessions: SessionFactory, notice_id: int, at: datetime, delivered: bool = False) -> None:
    arrange(
        sessions,
        notice_id,
        status="delivered" if delivered else "sent",
        channel_kind="email",
        attempts=1,
        sent_at=at,
        delivered_at=at if delivered else None,
        held_until=None,
        last_error=None,
    )


async def settled_counts(sessions: SessionFactory) -> DeliveryCounts:
    """The counts once no delivery is moving them (two equal readings in a row)."""
    last = delivery_counts(sessions)
    for _ in range(100):
        await asyncio.sleep(0.2)
        now = delivery_counts(sessions)
        if now == last:
            return now
        last = now
    return last
