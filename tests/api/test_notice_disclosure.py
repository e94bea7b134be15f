"""Department notices of a confidential case carry nothing of the caller or the place.

A real case runs on the dev server to its dispatch, sign-off warning, urging and a
supervisor's escalation; every notice it writes to the outbox for a department is read back.
The renderer also drops a withheld key from a department notice even if a template declared one.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from jinja2 import DictLoader
from sqlalchemy import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities import notifications
from activities.notifications import (
    DEPARTMENT_TEMPLATES,
    TEMPLATE_CONTEXT_KEYS,
    TEMPLATE_OPTIONAL_KEYS,
    NotificationRenderer,
    make_environment,
)
from db.engine import make_engine, session_factory
from db.tables import NotificationRow
from models.commands import EscalationRequest
from models.enums import CaseStatus, ClockStage
from models.intake import Caller, Location
from models.records import Notification
from rules.disclosure import DEPARTMENT_WITHHELD_KEYS
from tests.workflows.cases import advance_to, intake, start, until
from workflows.case import CaseWorkflow

NAME = "周八"
PHONE = "13600009876"
STREET = "延安中路街道"
COMMUNITY = "市府社区"
ADDRESS = "市府路8号2栋"
LATITUDE = 26.5912
LONGITUDE = 106.7099
WITHHELD = (NAME, "周*", PHONE, "136****9876", STREET, COMMUNITY, ADDRESS, str(LATITUDE))


async def test_notices_of_a_confidential_case_to_departments(
    env: WorkflowEnvironment, client: Client, database_url: str
) -> None:
    case = intake(
        caller=Caller(name=NAME, phones=[PHONE], confidential=True),
        location=Location(
            district="云岩区",
            street=STREET,
            community=COMMUNITY,
            address=ADDRESS,
            latitude=LATITUDE,
            longitude=LONGITUDE,
        ),
        retrieval_code="739104",
    )
    handle = await start(client, case)
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    deadline = state.clock("sign_off").deadline
    await advance_to(env, handle, deadline.due)
    await until(handle, lambda s: s.clock("sign_off").stage is ClockStage.OVERDUE)
    await handle.signal(
        CaseWorkflow.escalate, EscalationRequest(level=2, note="从速办理", by="sup-1")
    )
    await until(handle, lambda s: s.escalation_level == 2)

    sessions = session_factory(make_engine(database_url))
    expected = {"dispatch_notice", "warning", "urging_notice", "escalation_notice"}
    for _ in range(200):  # the outbox is written by the step's activity, just after the state
        with sessions() as session:
            rows = list(
                session.scalars(
                    select(NotificationRow).where(NotificationRow.case_no == case.case_no)
                )
            )
        to_departments = [row for row in rows if row.template in DEPARTMENT_TEMPLATES]
        if expected <= {row.template for row in to_departments}:
            break
        await asyncio.sleep(0.1)
    assert expected <= {row.template for row in to_departments}
    for row in to_departments:
        for private in (*WITHHELD, "739104"):
            assert private not in row.subject + row.body, (row.template, private)
    # The citizen's receipt SMS is where the code goes (and only there).
    sms = [row for row in rows if row.template == "sms_received"]
    assert len(sms) == 1 and "739104" in sms[0].body


def test_no_department_template_declares_a_withheld_key() -> None:
    for name in DEPARTMENT_TEMPLATES:
        declared = TEMPLATE_CONTEXT_KEYS[name] | TEMPLATE_OPTIONAL_KEYS.get(name, frozenset())
        assert not declared & DEPARTMENT_WITHHELD_KEYS, name


def test_a_withheld_key_is_dropped_even_if_a_template_declares_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A careless edit: the warning template learns to print the street.
    optional = dict(TEMPLATE_OPTIONAL_KEYS)
    optional["warning"] = optional["warning"] | {"street"}
    monkeypatch.setattr(notifications, "TEMPLATE_OPTIONAL_KEYS", optional)
    environment = make_environment()
    environment.loader = DictLoader(
        {"warning.j2": "预警提醒\n{{ step }} {{ street | default('') }}"}
    )
    renderer = NotificationRenderer(environment)
    due = datetime(2026, 12, 1, 10, tzinfo=UTC)

    _, body = renderer.render(
        Notification(
            case_no="GY20261128-000123",
            event_key="warning:gy-market",
            template="warning",
            channel="internal",
            recipient="gy-market",
            context={"step": "sign_off", "due": due, "street": STREET},
        )
    )

    assert STREET not in body
