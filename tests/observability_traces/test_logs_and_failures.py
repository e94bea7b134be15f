"""JSON log lines of a traced worker carry the case number, workflow id, activity and trace id
and mask a phone number logged by mistake; a failed activity's span leaves the process without
the exception's message."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from observability.logs import configure_logging
from tests.conftest import next_case_no
from tests.observability_traces.noisy_case import (
    ADDRESS,
    CALLER,
    PHONE,
    NoisyCaseWorkflow,
    note_callback,
    store_caller,
)
from tests.observability_traces.traced import traced
from workflows.case import workflow_id


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The process's log records as JSON lines in a buffer, for the test's duration."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = configure_logging("hotline-worker", json=True, stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_an_activity_log_line_names_its_case_and_trace(
    env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch, json_lines: io.StringIO
) -> None:
    case_no = next_case_no()
    task_queue = f"hotline-logs-{uuid.uuid4().hex[:8]}"
    async with traced(env.client, monkeypatch) as tracing:
        async with Worker(
            tracing.client,
            task_queue=task_queue,
            workflows=[NoisyCaseWorkflow],
            activities=[note_callback, store_caller],
        ):
            result = await tracing.client.execute_workflow(
                NoisyCaseWorkflow.run, PHONE, id=workflow_id(case_no), task_queue=task_queue
            )
        tracing.flush()
        received = tracing.receiver
    assert result == "failed as expected"

    [started] = received.named("StartWorkflow:NoisyCaseWorkflow")
    [line] = [entry for entry in _lines(json_lines) if entry.get("activity") == "note_callback"]
    assert line["case_no"] == case_no
    assert line["workflow_id"] == workflow_id(case_no)
    assert line["trace_id"] == started.trace_id
    assert len(line["span_id"]) == 16
    assert line["service"] == "hotline-worker" and line["level"] == "INFO"
    assert line["time"].endswith("+00:00")
    assert line["message"].startswith("calling the caller back on [phone]")
    assert PHONE not in json_lines.getvalue()

    [failed] = received.named("RunActivity:store_caller")
    spans = repr(received.spans)
    [(event, exception)] = failed.events
    assert event == "exception" and exception["exception.type"].endswith("ApplicationError")
    assert exception["exception.message"] == "redacted"
    assert "store_caller" in exception["exception.stacktrace"]
    assert failed.status == "ApplicationError"
    assert CALLER not in spans and ADDRESS not in spans and PHONE not in spans
    assert failed.trace_id == started.trace_id


def test_explicit_case_numbers_and_masked_arguments(json_lines: io.StringIO) -> None:
    log = logging.getLogger("hotline.test")
    log.warning(
        "caller %s gave id %s", PHONE, "52010219900307123X", extra={"case_no": "GY20261128-000001"}
    )
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        log.exception("lookup failed")
    warning, failure = _lines(json_lines)[-2:]
    assert warning["case_no"] == "GY20261128-000001"
    assert warning["message"] == "caller [phone] gave id [id-card]"
    assert "trace_id" not in warning  # no span is current
    assert failure["level"] == "ERROR" and "ValueError: bad phone [phone]" in failure["exception"]
    assert PHONE not in json_lines.getvalue()
