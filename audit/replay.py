"""Replay case histories against the current workflow code, and say where they diverge.

A replay runs the recorded history through today's `CaseWorkflow` with the one data converter
(so encrypted payloads decode with the key ring). If today's code would issue different commands
than the history recorded, the engine's nondeterminism error is turned into plain words: which
event, what the history recorded there, and what the code did instead. This is the gate to pass
before deploying a change to workflow or rule code.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from connection.client import data_converter
from workflows.archive import ArchiveCaseWorkflow
from workflows.case import CaseWorkflow
from workflows.case.sandbox import workflow_runner

EVENT_REF = re.compile(r"HistoryEvent\(id: (\d+), (\w+)")
CORE_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')
ACTIVITY_MISMATCH = re.compile(
    r"Activity type of scheduled event '([^']*)' does not match activity type of activity "
    r"command '([^']*)'"
)
MACHINE = re.compile(r"(\w+) machine does not handle this event")

# What the code did, by the state machine that received an event it did not expect.
CODE_DID = {
    "Timer": "started a timer",
    "Activity": "scheduled an activity",
    "LocalActivity": "ran a local activity",
    "ChildWorkflow": "started a child workflow",
    "CompleteWorkflow": "completed the workflow",
    "FailWorkflow": "failed the workflow",
    "ContinueAsNew": "continued as new",
    "UpsertSearchAttributes": "upserted search attributes",
    "ModifyWorkflowProperties": "modified the workflow properties",
    "Patch": "checked a patch marker",
    "SignalExternal": "signalled another workflow",
    "CancelExternal": "cancelled another workflow",
    "UpdateMachine": "handled an update",
}


def case_replayer(converter: DataConverter | None = None) -> Replayer:
    """The replayer for case histories: today's workflows, today's converter and codec."""
    return Replayer(
        workflows=[CaseWorkflow, ArchiveCaseWorkflow],
        data_converter=converter or data_converter(),
        workflow_runner=workflow_runner(),
    )


@dataclass(frozen=True)
class Divergence:
    """Where today's code parts from a recorded history."""

    event_id: int | None
    history_has: str  # what the history recorded at that event, in words
    code_did: str  # what the current code did instead, in words
    engine_message: str

    def plain(self) -> str:
        where = f"at event {self.event_id}" if self.event_id is not None else "in the history"
        return (
            f"{where} the history records {self.history_has}, but the current code {self.code_did}"
        )


@dataclass(frozen=True)
class ReplayOutcome:
    workflow_id: str
    events: int
    divergence: Divergence | None = None
    error: str | None = None  # a failure that is not a divergence (e.g. a payload not decodable)

    @property
    def ok(self) -> bool:
        return self.divergence is None and self.error is None

    def plain(self) -> str:
        if self.divergence is not None:
            return f"{self.workflow_id}: DIVERGES {self.divergence.plain()}"
        if self.error is not None:
            return f"{self.workflow_id}: FAILED {self.error}"
        return f"{self.workflow_id}: replays ({self.events} events)"


async def replay_history(
    history: WorkflowHistory, replayer: Replayer | None = None
) -> ReplayOutcome:
    result = await (replayer or case_replayer()).replay_workflow(
        history, raise_on_replay_failure=False
    )
    return outcome_of(history, result.replay_failure)


async def replay_histories(
    histories: Sequence[WorkflowHistory], replayer: Replayer | None = None
) -> list[ReplayOutcome]:
    """Replay several histories through one replay worker (cheaper than one at a time)."""

    async def feed() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    outcomes = []
    async with (replayer or case_replayer()).workflow_replay_iterator(feed()) as results:
        async for result in results:
            outcomes.append(outcome_of(result.history, result.replay_failure))
    return outcomes


def outcome_of(history: WorkflowHistory, failure: Exception | None) -> ReplayOutcome:
    events = len(history.events)
    if failure is None:
        return ReplayOutcome(history.workflow_id, events)
    if isinstance(failure, NondeterminismError):
        return ReplayOutcome(
            history.workflow_id, events, divergence=explain(failure, history.events)
        )
    return ReplayOutcome(history.workflow_id, events, error=_core_message(str(failure)))


def explain(failure: Exception, events: Sequence[HistoryEvent]) -> Divergence:
    """Turn the engine's nondeterminism message into the event and the two behaviours."""
    message = _core_message(str(failure))
    by_id = {event.event_id: event for event in events}
    activities = ACTIVITY_MISMATCH.search(message)
    reference = EVENT_REF.search(message)
    event_id = int(reference.group(1)) if reference else None
    event = by_id.get(event_id) if event_id is not None else None
    history_has = describe(event) if event is not None else "something else"
    if activities:
        recorded, commanded = activities.groups()
        return Divergence(
            event_id,
            f"activity {recorded!r} scheduled",
            f"scheduled activity {commanded!r} instead",
            message,
        )
    machine = MACHINE.search(message)
    if machine:
        did = CODE_DID.get(machine.group(1), f"issued a {machine.group(1)} command")
        return Divergence(event_id, history_has, f"{did} there instead", message)
    if "No command scheduled for event" in message:
        return Divergence(
            event_id, history_has, "issued no command for it (a step was removed)", message
        )
    if "not found in history" in message or "more commands" in message.lower():
        return Divergence(event_id, history_has, "issued a command the history never had", message)
    return Divergence(event_id, history_has, f"did something else ({message})", message)


def describe(event: HistoryEvent) -> str:
    """An event in words: its type and the name that matters (activity, timer, marker, …)."""
    kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower().replace("_", " ")
    if event.HasField("activity_task_scheduled_event_attributes"):
        name = event.activity_task_scheduled_event_attributes.activity_type.name
        return f"activity {name!r} scheduled"
    if event.HasField("timer_started_event_attributes"):
        timeout = event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        return f"a timer of {timeout} started"
    if event.HasField("marker_recorded_event_attributes"):
        return f"a {event.marker_recorded_event_attributes.marker_name!r} marker"
    if event.HasField("start_child_workflow_execution_initiated_event_attributes"):
        attrs = event.start_child_workflow_execution_initiated_event_attributes
        return f"child workflow {attrs.workflow_type.name!r} started"
    if event.HasField("workflow_execution_update_accepted_event_attributes"):
        name = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        return f"update {name!r} accepted"
    if event.HasField("workflow_execution_signaled_event_attributes"):
        return f"signal {event.workflow_execution_signaled_event_attributes.signal_name!r}"
    return kind


def _core_message(text: str) -> str:
    found = CORE_MESSAGE.search(text)
    message = found.group(1) if found else text
    return message.removeprefix("[TMPRL1100] ").removeprefix("Nondeterminism error: ")
