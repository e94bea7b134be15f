"""A case's timeline read from its workflow history alone: who did what, when, and why.

The history is the record an auditor trusts: the intake (the workflow's start input), every
human step (an Update: its name, arguments and the client's identity), every escalation (the
`escalate` Signal), every persisted transition (the `record_transition` activity's input, a
`TransitionRecord`), every deadline computed (the `compute_deadlines` local-activity marker) and
the archive step. `build_timeline` turns those events into a `Timeline` of plain-worded items.

Payloads are decoded with the one data converter (`connection.client.data_converter()`): its codec
first when one is set, then its payload converter, so an encrypted history reads the same as a
clear one. Nothing else is read: no database, no engine state.

Deadlines are listed right after the step that computed them (the marker comes before the
transition it belongs to in the history); every other item keeps the order of the history.
Personal data of the caller stays in `Timeline.intake` and in SMS recipients only; `masked()`
returns the copy an auditor without a need for it reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from activities.case_activities import ARCHIVE_CASE, RECORD_TRANSITION
from audit.timeline_model import (
    FinalState,
    IntakeFacts,
    ItemKind,
    Timeline,
    TimelineError,
    TimelineItem,
    TransitionFact,
)
from audit.timeline_words import CLOSED, describe_deadline, describe_transition, in_words
from models.actions import Action
from models.records import Transition
from models.state import Deadline

COMPUTE_DEADLINES = "compute_deadlines"
ARCHIVE_WORKFLOW = "ArchiveCaseWorkflow"
LOCAL_ACTIVITY_MARKER = "core_local_activity"
SYSTEM = "system"
SIGNAL_OF_ACTION: dict[str, str] = {
    Action.ESCALATE: "escalate",
    Action.ESCALATION_REFUSED: "escalate",
    Action.MERGED_CASE_LINKED: "link_merged",
}
"""The Signal whose handler records each of these actions."""


# ---- building ---------------------------------------------------------------------------------


@dataclass
class _Request:
    """An Update, Signal or the start that may have caused the transitions that follow it."""

    kind: str  # "update", "signal", "start"
    name: str
    event_id: int
    identity: str
    args: dict[str, Any]
    at: datetime
    update_id: str | None = None
    transitions: list[int] = field(default_factory=list)

    @property
    def by(self) -> str | None:
        by = self.args.get("by")
        return str(by) if by is not None else None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "via": f"{self.kind} {self.name}" if self.kind != "start" else "workflow start",
            "event_id": self.event_id,
            "client_identity": self.identity,
        }
        if self.update_id:
            described["update_id"] = self.update_id
        return described


@dataclass
class _Builder:
    converter: DataConverter
    workflow_id: str
    items: list[tuple[tuple[int, int], TimelineItem]] = field(default_factory=list)
    transitions: list[TransitionFact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    intake: IntakeFacts | None = None
    start: _Request | None = None
    final: FinalState | None = None
    projection: dict[str, Any] = field(default_factory=dict)  # as the last record left it
    run_id: str | None = None
    execution: str = "running"
    archived: bool = False
    open_updates: dict[str, _Request] = field(default_factory=dict)
    signals: list[_Request] = field(default_factory=list)
    pending_deadlines: list[tuple[HistoryEvent, Deadline]] = field(default_factory=list)
    scheduled: dict[int, str] = field(default_factory=dict)  # activity event id -> type
    transition_at_event: dict[int, TransitionFact] = field(default_factory=dict)
    archive_item: TimelineItem | None = None
    children: dict[int, str] = field(default_factory=dict)  # archive workflows started
    closed_at_event: int | None = None

    # -- decoding --

    async def decode(self, payloads: list[Payload]) -> list[Any]:
        if not payloads:
            return []
        return await self.converter.decode(payloads)

    async def decode_one(self, payloads: list[Payload], what: str, event_id: int) -> Any:
        try:
            values = await self.decode(payloads)
        except Exception as err:  # a codec or converter of any kind
            self.notes.append(f"event {event_id}: cannot decode the {what} ({err})")
            return None
        return values[0] if values else None

    # -- events --

    async def event(self, event: HistoryEvent) -> None:
        handler = _HANDLERS.get(event.event_type)
        if handler is not None:
            await handler(self, event)

    async def started(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_started_event_attributes
        self.run_id = attrs.original_execution_run_id or None
        try:
            values = await self.decode(list(attrs.input.payloads))
        except Exception as err:  # a codec or converter of any kind
            raise TimelineError(
                f"cannot decode the case intake of {self.workflow_id} "
                f"(is this the key ring the engine used?): {err}"
            ) from err
        raw = values[0] if values else None
        if not isinstance(raw, dict):
            raise TimelineError(f"the start event holds no case intake ({type(raw).__name__})")
        self.start = _Request(
            "start", "CaseWorkflow", event.event_id, attrs.identity, raw, _event_time(event)
        )
        self.intake = _intake_facts(raw, attrs.identity)

    async def update_accepted(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_update_accepted_event_attributes
        request = attrs.accepted_request
        raw = await self.decode_one(
            list(request.input.args.payloads),
            f"arguments of update {request.input.name}",
            event.event_id,
        )
        args = raw if isinstance(raw, dict) else {"value": raw}
        update_id = request.meta.update_id or attrs.protocol_instance_id
        self.open_updates[update_id] = _Request(
            "update",
            request.input.name,
            event.event_id,
            request.meta.identity,
            args,
            _event_time(event),
            update_id=update_id,
        )

    async def update_completed(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_update_completed_event_attributes
        request = self.open_updates.pop(attrs.meta.update_id, None)
        if not attrs.outcome.HasField("failure"):
            return
        message = await self.failure_message(attrs.outcome.failure)
        name = request.name if request else "an update"
        actor = (request.by if request else None) or "unknown"
        detail: dict[str, Any] = {"update": name, "reason": message}
        if request is not None:
            detail |= {"request": request.describe(), "arguments": request.args}
        self.add(
            event.event_id,
            TimelineItem(
                at=_event_time(event),
                kind=ItemKind.REFUSED,
                actor=actor,
                action=name,
                summary=f"{in_words(name)} by {actor} refused: {message}",
                detail=detail,
                event_id=event.event_id,
            ),
        )

    async def failure_message(self, failure: Failure) -> str:
        try:
            error = await self.converter.decode_failure(copy.deepcopy(failure))
        except Exception:  # an undecodable failure still has its (maybe encoded) message
            return failure.message or "(no message)"
        return str(error) or failure.message or "(no message)"

    async def signaled(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_signaled_event_attributes
        raw = await self.decode_one(
            list(attrs.input.payloads), f"input of signal {attrs.signal_name}", event.event_id
        )
        args = raw if isinstance(raw, dict) else {"value": raw}
        self.signals.append(
            _Request(
                "signal",
                attrs.signal_name,
                event.event_id,
                attrs.identity,
                args,
                _event_time(event),
            )
        )

    async def marker(self, event: HistoryEvent) -> None:
        attrs = event.marker_recorded_event_attributes
        if attrs.marker_name != LOCAL_ACTIVITY_MARKER:
            return
        data = await self.decode_one(
            list(attrs.details["data"].payloads) if "data" in attrs.details else [],
            "local activity marker",
            event.event_id,
        )
        if not isinstance(data, dict) or data.get("activity_type") != COMPUTE_DEADLINES:
            return
        if attrs.HasField("failure") or "result" not in attrs.details:
            message = await self.failure_message(attrs.failure)
            self.notes.append(f"event {event.event_id}: a deadline computation failed: {message}")
            return
        raw = await self.decode_one(
            list(attrs.details["result"].payloads), "computed deadlines", event.event_id
        )
        for index, value in enumerate(raw if isinstance(raw, list) else []):
            try:
                deadline = Deadline.model_validate(value)
            except ValidationError as err:
                self.notes.append(
                    f"event {event.event_id}: deadline {index + 1} is not readable: "
                    f"{err.error_count()} error(s)"
                )
                continue
            self.pending_deadlines.append((event, deadline))

    async def activity_scheduled(self, event: HistoryEvent) -> None:
        attrs = event.activity_task_scheduled_event_attributes
        activity = attrs.activity_type.name
        self.scheduled[event.event_id] = activity
        if activity == ARCHIVE_CASE:
            self.flush_deadlines(None)
            self.archive_item = TimelineItem(
                at=_event_time(event),
                kind=ItemKind.OTHER,
                actor=SYSTEM,
                action="archive",
                summary="the case history is handed to the archive",
                detail={"completed": False},
                event_id=event.event_id,
            )
            self.add(event.event_id, self.archive_item)
            return
        if activity != RECORD_TRANSITION:
            return
        raw = await self.decode_one(list(attrs.input.payloads), "transition record", event.event_id)
        record = raw if isinstance(raw, dict) else {}
        try:
            transition = Transition.model_validate(record.get("transition"))
        except ValidationError:
            self.notes.append(f"event {event.event_id}: a transition record is not readable")
            return
        self.transition(event, transition, record)

    async def child_initiated(self, event: HistoryEvent) -> None:
        attrs = event.start_child_workflow_execution_initiated_event_attributes
        if attrs.workflow_type.name != ARCHIVE_WORKFLOW:
            return
        self.flush_deadlines(None)
        self.children[event.event_id] = attrs.workflow_id
        self.archive_item = TimelineItem(
            at=_event_time(event),
            kind=ItemKind.OTHER,
            actor=SYSTEM,
            action="archive",
            summary=f"the case history is handed to the archive (workflow {attrs.workflow_id})",
            detail={"archive_workflow_id": attrs.workflow_id, "started": False},
            event_id=event.event_id,
        )
        self.add(event.event_id, self.archive_item)

    async def child_started(self, event: HistoryEvent) -> None:
        attrs = event.child_workflow_execution_started_event_attributes
        if attrs.initiated_event_id in self.children and self.archive_item is not None:
            self.archive_item.detail["started"] = True
            self.archive_item.summary = (
                f"the case history is handed to the archive: workflow "
                f"{attrs.workflow_execution.workflow_id} started"
            )

    async def child_failed(self, event: HistoryEvent) -> None:
        attrs = event.start_child_workflow_execution_failed_event_attributes
        if attrs.initiated_event_id in self.children:
            self.notes.append(
                f"event {event.event_id}: the archive workflow {attrs.workflow_id} "
                "could not be started"
            )

    async def activity_completed(self, event: HistoryEvent) -> None:
        scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
        fact = self.transition_at_event.get(scheduled)
        if fact is not None:
            fact.persisted = True
        elif self.scheduled.get(scheduled) == ARCHIVE_CASE and self.archive_item is not None:
            self.archived = True
            self.archive_item.detail["completed"] = True
            self.archive_item.summary = "the case history was archived"

    async def activity_failed(self, event: HistoryEvent) -> None:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            scheduled = event.activity_task_failed_event_attributes.scheduled_event_id
        else:
            scheduled = event.activity_task_timed_out_event_attributes.scheduled_event_id
        activity = self.scheduled.get(scheduled)
        if activity in (RECORD_TRANSITION, ARCHIVE_CASE):
            self.notes.append(
                f"event {event.event_id}: the {activity} activity of event {scheduled} "
                "did not complete"
            )

    async def finished(self, event: HistoryEvent) -> None:
        self.execution = {
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "canceled",
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed out",
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued as new",
        }[EventType.ValueType(event.event_type)]
        if self.execution == "completed":
            return
        detail: dict[str, Any] = {}
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            attrs = event.workflow_execution_terminated_event_attributes
            detail = {"reason": attrs.reason, "identity": attrs.identity}
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            failed = event.workflow_execution_failed_event_attributes
            detail = {"reason": await self.failure_message(failed.failure)}
        reason = f": {detail['reason']}" if detail.get("reason") else ""
        self.add(
            event.event_id,
            TimelineItem(
                at=_event_time(event),
                kind=ItemKind.OTHER,
                actor=str(detail.get("identity") or SYSTEM),
                action=f"workflow_{self.execution.replace(' ', '_')}",
                summary=f"the case workflow {self.execution}{reason}",
                detail=detail,
                event_id=event.event_id,
            ),
        )

    # -- transitions --

    def transition(
        self, event: HistoryEvent, transition: Transition, record: dict[str, Any]
    ) -> None:
        fact = TransitionFact(**transition.model_dump(), event_id=event.event_id, persisted=False)
        if self.transitions and fact.seq != self.transitions[-1].seq + 1:
            self.notes.append(
                f"event {event.event_id}: transition {fact.seq} follows "
                f"{self.transitions[-1].seq} (expected {self.transitions[-1].seq + 1})"
            )
        self.transitions.append(fact)
        self.transition_at_event[event.event_id] = fact
        projection = record.get("projection")
        delta = record.get("delta")
        if isinstance(delta, dict) and isinstance(delta.get("changes"), dict):
            # Since the record-transition-delta patch a record after the first carries only
            # the fields that changed: the projection is the last one with those applied.
            projection = {**self.projection, **delta["changes"]}
        if isinstance(projection, dict):
            self.projection = projection
            try:
                self.final = FinalState.model_validate(projection)
            except ValidationError:
                self.notes.append(f"event {event.event_id}: the projection is not readable")
        if fact.to_status == CLOSED and self.closed_at_event is None:
            self.closed_at_event = event.event_id
        request = self.request_for(fact)
        notifications = [
            {"template": n.get("template"), "channel": n.get("channel"), "to": n.get("recipient")}
            for n in record.get("notifications") or []
            if isinstance(n, dict)
        ]
        detail: dict[str, Any] = {
            "from_status": fact.from_status,
            "to_status": fact.to_status,
            **fact.detail,
        }
        if notifications:
            detail["notifications"] = notifications
        if request is not None:
            detail["request"] = request.describe()
        kind, summary = describe_transition(fact, notifications, self.intake)
        self.add(
            event.event_id,
            TimelineItem(
                at=fact.at,
                kind=kind,
                actor=fact.actor,
                action=fact.action,
                summary=summary,
                detail=detail,
                event_id=event.event_id,
                seq=fact.seq,
            ),
        )
        self.flush_deadlines(fact, request)

    def request_for(self, fact: TransitionFact) -> _Request | None:
        """The Update, Signal or start this transition answered (by actor and kind)."""
        if fact.actor == SYSTEM:
            return None
        signal_name = SIGNAL_OF_ACTION.get(fact.action)
        if signal_name is not None:
            for signal in self.signals:
                if (
                    signal.name == signal_name
                    and not signal.transitions
                    and (signal.by or "unknown") == fact.actor
                ):
                    signal.transitions.append(fact.seq)
                    return signal
            return None
        for update in self.open_updates.values():
            if update.by == fact.actor:
                update.transitions.append(fact.seq)
                return update
        if self.start is not None and fact.actor == self.start.by:
            self.start.transitions.append(fact.seq)
            return self.start
        if self.start is not None and fact.actor == self.start.args.get("operator_id"):
            self.start.transitions.append(fact.seq)
            return self.start
        return None

    def flush_deadlines(
        self, after: TransitionFact | None, request: _Request | None = None
    ) -> None:
        """List the deadlines computed since the last transition right after `after`."""
        pending, self.pending_deadlines = self.pending_deadlines, []
        for index, (event, deadline) in enumerate(pending, start=1):
            anchor = after.event_id if after is not None else event.event_id
            at = after.at if after is not None else _event_time(event)
            context = request.name if request is not None else (after.action if after else "")
            self.items.append(
                (
                    (anchor, index),
                    TimelineItem(
                        at=at,
                        kind=ItemKind.DEADLINE,
                        actor=SYSTEM,
                        action=COMPUTE_DEADLINES,
                        summary=describe_deadline(deadline, context),
                        detail={
                            "step": deadline.step.value,
                            **deadline.model_dump(mode="json", exclude={"step"}),
                            "for_transition": after.seq if after is not None else None,
                        },
                        event_id=event.event_id,
                        seq=None,
                    ),
                )
            )

    def add(self, anchor: int, item: TimelineItem) -> None:
        self.items.append(((anchor, 0), item))

    # -- the end --

    def finish(self) -> Timeline:
        self.flush_deadlines(None)
        for signal in self.signals:
            if signal.transitions:
                continue
            closed = self.closed_at_event is not None and signal.event_id > self.closed_at_event
            outcome = "ignored: the case was already closed" if closed else "not applied"
            by = signal.by or "unknown"
            self.add(
                signal.event_id,
                TimelineItem(
                    at=signal.at,
                    kind=ItemKind.SIGNAL,
                    actor=by,
                    action=signal.name,
                    summary=f"signal {signal.name} from {by} {outcome}",
                    detail={"arguments": signal.args, "request": signal.describe()},
                    event_id=signal.event_id,
                ),
            )
        for update in self.open_updates.values():
            if not update.transitions:
                self.notes.append(
                    f"event {update.event_id}: update {update.name} by {update.by} "
                    "was accepted and has not completed"
                )
        self.items.sort(key=lambda pair: pair[0])
        last = self.transitions[-1] if self.transitions else None
        case_no = self.intake.case_no if self.intake else self.workflow_id.removeprefix("case-")
        return Timeline(
            case_no=case_no,
            workflow_id=self.workflow_id,
            run_id=self.run_id,
            status=last.to_status if last else "unknown",
            closure_reason=self.final.closure_reason if self.final else None,
            escalation_level=self.final.escalation_level if self.final else 0,
            execution=self.execution,
            archived=self.archived,
            intake=self.intake,
            final=self.final,
            entries=[item for _, item in self.items],
            transitions=self.transitions,
            notes=self.notes,
        )


_HANDLERS: dict[int, Any] = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _Builder.started,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _Builder.update_accepted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _Builder.update_completed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _Builder.signaled,
    EventType.EVENT_TYPE_MARKER_RECORDED: _Builder.marker,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _Builder.activity_scheduled,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _Builder.activity_completed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: _Builder.activity_failed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _Builder.activity_failed,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: _Builder.child_initiated,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: _Builder.child_started,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: _Builder.child_failed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _Builder.finished,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _Builder.finished,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _Builder.finished,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _Builder.finished,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _Builder.finished,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _Builder.finished,
}


async def build_timeline(
    history: WorkflowHistory, converter: DataConverter | None = None
) -> Timeline:
    """The case's timeline from its history; payloads decoded with `converter`.

    `converter` defaults to `connection.client.data_converter()`, the one the engine stored with.
    """
    if converter is None:
        from connection.client import data_converter

        converter = data_converter()
    if not history.events:
        raise TimelineError(f"the history of {history.workflow_id} has no events")
    if history.events[0].event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise TimelineError(f"the history of {history.workflow_id} does not begin with its start")
    builder = _Builder(converter, history.workflow_id)
    for event in history.events:
        await builder.event(event)
    return builder.finish()


# ---- intake and personal data -------------------------------------------------------------------


def _intake_facts(raw: dict[str, Any], identity: str) -> IntakeFacts:
    caller = raw.get("caller") or {}
    location = raw.get("location") or {}
    outcome = raw.get("outcome") or {}
    received = raw.get("received_at")
    return IntakeFacts(
        case_no=str(raw.get("case_no", "")),
        channel=str(raw.get("channel", "")),
        operator_id=str(raw.get("operator_id", "")),
        received_at=datetime.fromisoformat(received) if isinstance(received, str) else None,
        case_type=str(raw.get("case_type", "")),
        category=str(raw.get("category", "")),
        urgency=str(raw.get("urgency", "")),
        complex=bool(raw.get("complex", False)),
        title=str(raw.get("title", "")),
        district=str(location.get("district", "")),
        street=location.get("street"),
        outcome=str(outcome.get("kind", "")),
        caller_name=caller.get("name"),
        caller_phones=[str(p) for p in caller.get("phones") or []],
        address=location.get("address"),
        confidential=bool(caller.get("confidential", False)),
        enterprise=bool(caller.get("enterprise", False)),
        client_identity=identity,
    )


def _event_time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)
