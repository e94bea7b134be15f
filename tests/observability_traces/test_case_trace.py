"""A case started through a traced client and run by the real worker is one trace, exported
over OTLP/HTTP: the client's StartWorkflow span, the workflow's RunWorkflow span and the spans of
its activities share one trace id."""

from __future__ import annotations

import uuid

import pytest
from temporalio.testing import WorkflowEnvironment

from models.enums import CaseStatus
from tests.observability_traces.traced import traced
from tests.workflows.cases import intake, start, until
from workers.worker import build_worker
from workflows.case import workflow_id


async def test_a_started_case_is_one_trace(
    env: WorkflowEnvironment, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_queue = f"hotline-traces-{uuid.uuid4().hex[:8]}"
    case = intake()
    async with traced(env.client, monkeypatch) as tracing:
        async with build_worker(tracing.client, task_queue, database_url):
            handle = await start(tracing.client, case, task_queue)
            await until(handle, lambda state: state.status is CaseStatus.DISPATCHED)
            await handle.terminate("trace recorded")
        tracing.flush()
        received = tracing.receiver

    assert set(received.paths) == {"/v1/traces"}
    [started] = received.named("StartWorkflow:CaseWorkflow")
    [run] = received.named("RunWorkflow:CaseWorkflow")
    activities = received.named("RunActivity:")
    assert activities, [span.name for span in received.spans]
    assert {span.trace_id for span in [run, *activities]} == {started.trace_id}
    assert run.parent_span_id == started.span_id
    assert started.attributes["temporalWorkflowID"] == workflow_id(case.case_no)
    assert {span.service for span in received.spans} == {"hotline-worker"}
    everything = repr(received.spans)
    for personal in ("张三", "13800001234", "中华北路1号"):  # the intake's caller
        assert personal not in everything
