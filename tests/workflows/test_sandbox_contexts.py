"""The case runner answers the SDK's serialisation-context questions directly, and answers them
as the stock sandboxed runner does: a codec sees the same context for every payload."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

from workflows.case.sandbox import FastContextSandboxRunner, workflow_runner

Seen = tuple[str, str, str]  # (encode/decode, context kind, activity type or workflow id)


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn(sandboxed=True)
class ShoutWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=10)
        )


class ContextRecordingCodec(PayloadCodec, WithSerializationContext):
    """Passes payloads through and notes the context it was given for each call."""

    def __init__(self, seen: list[Seen], context: SerializationContext | None = None) -> None:
        self._seen = seen
        self._context = context

    def with_context(self, context: SerializationContext) -> ContextRecordingCodec:
        return ContextRecordingCodec(self._seen, context)

    def _note(self, direction: str) -> None:
        context = self._context
        if isinstance(context, ActivitySerializationContext):
            self._seen.append((direction, "activity", context.activity_type or ""))
        elif isinstance(context, WorkflowSerializationContext):
            self._seen.append((direction, "workflow", context.workflow_id or ""))
        else:
            self._seen.append((direction, "none", ""))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self._note("encode")
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self._note("decode")
        return list(payloads)


async def contexts_seen(env: WorkflowEnvironment, runner: WorkflowRunner) -> set[Seen]:
    """Run one ShoutWorkflow with `runner` in a worker whose codec records its contexts."""
    seen: list[Seen] = []
    converter = dataclasses.replace(
        DataConverter.default, payload_codec=ContextRecordingCodec(seen)
    )
    client = Client(
        env.client.service_client, namespace=env.client.namespace, data_converter=converter
    )
    queue = f"contexts-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ShoutWorkflow],
        activities=[shout],
        workflow_runner=runner,
    ):
        result = await client.execute_workflow(
            ShoutWorkflow.run, "hello", id=f"shout-{uuid.uuid4()}", task_queue=queue
        )
    assert result == "HELLO"
    return {(d, kind, "shout-*" if kind == "workflow" else name) for d, kind, name in seen}


async def test_the_case_runner_gives_a_codec_the_contexts_the_stock_runner_gives(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox_entries: list[CommandInfo | None] = []  # the stock path: a snippet run in the sandbox
    stock_answer = _Instance.get_serialization_context

    def counted(self: _Instance, command_info: CommandInfo | None) -> SerializationContext | None:
        sandbox_entries.append(command_info)
        return stock_answer(self, command_info)

    monkeypatch.setattr(_Instance, "get_serialization_context", counted)
    stock = await contexts_seen(env, SandboxedWorkflowRunner())
    entered_by_stock = len(sandbox_entries)
    fast = await contexts_seen(env, workflow_runner())
    assert entered_by_stock > 0
    assert len(sandbox_entries) == entered_by_stock  # the case runner never entered the sandbox
    assert isinstance(workflow_runner(), FastContextSandboxRunner)
    assert {("encode", "activity", "shout"), ("encode", "workflow", "shout-*")} <= stock
    assert fast == stock  # the workflow worker's answers included, not only the activity's
