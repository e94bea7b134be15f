"""Supervisor escalation by Signal (typed and the stock `temporal` CLI) and listing by attribute."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import timedelta

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.devstack import temporal_binary
from models.commands import Escalate
from models.enums import CaseStatus, Urgency
from tests.workflows.cases import advance_to, intake, start, until
from workflows.case import CaseWorkflow, workflow_id


def temporal_cli(env: WorkflowEnvironment, *args: str) -> str:
    config = env.client.service_client.config
    completed = subprocess.run(
        [
            temporal_binary(),
            *args,
            "--address",
            config.target_host,
            "--namespace",
            env.client.namespace,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def signal_escalate(env: WorkflowEnvironment, case_no: str, payload: dict[str, object]) -> None:
    """What a supervisor types: the stock CLI's `workflow signal --name escalate`."""
    temporal_cli(
        env,
        "workflow",
        "signal",
        "--workflow-id",
        workflow_id(case_no),
        "--name",
        "escalate",
        "--input",
        json.dumps(payload, ensure_ascii=False),
    )


async def test_levels_never_go_down_and_deadlines_only_shorten(client: Client) -> None:
    handle = await start(client, intake())
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    due = state.clock("handling").deadline.due

    await handle.signal(CaseWorkflow.escalate, Escalate(level=2, note="媒体关注", by="sup-1"))
    state = await until(handle, lambda s: s.escalation_level == 2)
    await handle.signal(
        CaseWorkflow.escalate,
        Escalate(level=1, note="", by="sup-2", deadline=due + timedelta(days=3)),
    )
    state = await until(handle, lambda s: s.timeline[-1].actor == "sup-2")
    assert state.escalation_level == 2
    assert state.clock("handling").deadline.due == due
    assert "deadline_ignored" in state.timeline[-1].detail

    shorter = due - timedelta(days=1)
    await handle.signal(
        CaseWorkflow.escalate, Escalate(level=2, note="限期办结", by="sup-3", deadline=shorter)
    )
    state = await until(handle, lambda s: s.timeline[-1].actor == "sup-3")
    clock = state.clock("handling")
    assert clock.deadline.due == shorter and clock.original_due == due


async def test_stock_cli_signals_escalate_and_lists_overdue(env: WorkflowEnvironment, client):
    case = intake(urgency=Urgency.URGENT, outcome=intake().outcome)
    handle = await start(client, case)
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    payload = {"level": 3, "note": "政府督查", "by": "sup-9"}
    signal_escalate(env, case.case_no, payload)
    state = await until(handle, lambda s: s.escalation_level == 3)
    assert state.timeline[-1].actor == "sup-9"

    await advance_to(env, handle, state.clock("sign_off").deadline.due)
    await until(handle, lambda s: s.overdue)
    query = "Overdue=true AND LeadDepartment='gy-market' AND EscalationLevel=3"
    for _ in range(100):
        listed = temporal_cli(env, "workflow", "list", "--query", query, "--output", "json")
        ids = [row["execution"]["workflowId"] for row in json.loads(listed or "[]")]
        if workflow_id(case.case_no) in ids:
            break
        await asyncio.sleep(0.1)
    assert workflow_id(case.case_no) in ids


async def test_invalid_escalation_from_the_cli_changes_nothing(env: WorkflowEnvironment, client):
    case = intake()
    handle = await start(client, case)
    await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    before = await handle.query(CaseWorkflow.state)
    signal_escalate(env, case.case_no, {"level": 7, "by": "sup-1"})
    state = await until(handle, lambda s: len(s.timeline) > len(before.timeline))
    refused = state.timeline[-1]
    assert refused.action == "escalation_refused" and refused.actor == "sup-1"
    assert "level" in refused.detail["reason"]
    assert state.escalation_level == before.escalation_level == 0


async def test_a_deadline_before_sign_off_caps_the_sign_off_clock_too(client: Client) -> None:
    handle = await start(client, intake())
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    sign_off_due = state.clock("sign_off").deadline.due
    requested = state.clock("sign_off").deadline.start + timedelta(hours=1)
    assert requested < sign_off_due
    await handle.signal(
        CaseWorkflow.escalate, Escalate(level=1, note="1小时内处置", by="sup-4", deadline=requested)
    )
    state = await until(handle, lambda s: s.timeline[-1].actor == "sup-4")
    assert state.clock("sign_off").deadline.due == requested
    assert state.clock("handling").deadline.due == requested
    assert state.clock("sign_off").original_due == sign_off_due


async def test_a_stock_cli_deadline_without_an_offset_is_refused(env: WorkflowEnvironment, client):
    case = intake()
    handle = await start(client, case)
    state = await until(handle, lambda s: s.status is CaseStatus.DISPATCHED)
    due = state.clock("handling").deadline.due
    naive = (due - timedelta(days=1)).replace(tzinfo=None).isoformat()
    signal_escalate(env, case.case_no, {"level": 2, "by": "sup-5", "deadline": naive})
    state = await until(handle, lambda s: s.timeline[-1].actor == "sup-5")
    refused = state.timeline[-1]
    assert refused.action == "escalation_refused"
    assert "UTC offset" in refused.detail["reason"]
    assert state.escalation_level == 0
    assert state.clock("handling").deadline.due == due
