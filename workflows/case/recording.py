"""Recording a case's transitions: the timeline, the search attributes, the SQL write, faults.

Every step ends in `Recorder.record`: it appends to the timeline, upserts the search attributes
that changed and runs `record_transition` (projection, log row and outbox in one transaction).
Work that fails for a reason no retry can fix (bad data, `activities/failures.py`) neither fails
the case nor stalls it: the case records a fault (`CaseState.faults`, search attribute
`Faulted`), keeps its clocks and steps going, and holds the transitions it could not write (the
log is a hash chain, so every later one waits too) until an administrator fixes the cause and
runs the `retry_faults` Update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.case import patches
from workflows.case.checks import refuse
from workflows.case.views import SearchAttributeValues, projection, search_attribute_updates
from workflows.case.views import search_attributes as attributes_of

with workflow.unsafe.imports_passed_through():
    from activities.case_activities import RECORD_TRANSITION, CaseActivities
    from models import search_attributes as sa
    from models.actions import Action
    from models.enums import CaseStatus
    from models.errors import FAULT_RETRY_FAILED
    from models.records import Notification, Transition, TransitionRecord, projection_delta
    from models.state import CaseFault, CaseState, TimelineEntry


DB_TIMEOUT = timedelta(seconds=10)
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))

RetryWork = Callable[[], Awaitable[ApplicationError | None]]
"""The work of an open fault, run again by `retry_faults`; returns the new failure, if any."""


class Recorder:
    """Writes a case's transitions, in order, and keeps its faults."""

    def __init__(self, state: CaseState, search_attributes: SearchAttributeValues) -> None:
        self._state = state
        self._search_attributes = search_attributes
        self._unrecorded: list[TransitionRecord] = []  # held since a write met bad data
        self._retry_work: dict[int, RetryWork] = {}
        self._sent: dict[str, Any] | None = None  # the last projection sent, as JSON values
        # Asked when the case starts, ahead of any command: a marker asked for later, after a
        # local activity, can land in another workflow task on replay than it did live. A case
        # from before the patch keeps sending whole projections to its end.
        self._deltas = patches.taken(patches.DELTA_PATCH)

    async def record(
        self,
        action: Action,
        actor: str,
        to_status: CaseStatus,
        detail: dict[str, Any],
        notifications: list[Notification] | None = None,
        initial: bool = False,
    ) -> None:
        """Append to the timeline, then persist projection, log row and outbox in one step."""
        state = self._state
        now = workflow.now()
        previous = None if initial else state.status
        state.status = to_status
        entry = TimelineEntry(
            seq=len(state.timeline) + 1,
            at=now,
            action=action,
            actor=actor,
            from_status=previous,
            to_status=to_status,
            detail={k: v for k, v in detail.items() if v is not None},
        )
        state.timeline.append(entry)
        record = TransitionRecord(
            projection=projection(state, now),
            transition=Transition(
                case_no=state.intake.case_no,
                seq=entry.seq,
                at=now,
                action=action,
                actor=actor,
                from_status=previous.value if previous else None,
                to_status=to_status.value,
                detail=entry.detail,
            ),
            notifications=[
                n.model_copy(update={"event_key": f"{entry.seq}:{n.event_key}"})
                for n in notifications or []
            ],
        )
        attributes = attributes_of(state)
        if attributes != self._search_attributes:
            changed = {k: v for k, v in attributes.items() if self._search_attributes.get(k) != v}
            workflow.upsert_search_attributes(search_attribute_updates(changed))
            self._search_attributes = attributes
        await self._persist(record)

    async def _persist(self, record: TransitionRecord) -> None:
        """Write one transition; if the write meets bad data, open a fault and keep it, and
        every later transition behind it, for `retry_faults`."""
        if self._unrecorded:
            self._unrecorded.append(record)
            return
        failure = await self.try_activity(CaseActivities.record_transition, self._slim(record))
        if failure is not None:
            self._sent = None
            self._unrecorded.append(record)
            self.open_fault(
                RECORD_TRANSITION, failure, self._write_unrecorded, seq=record.transition.seq
            )

    def _slim(self, record: TransitionRecord) -> TransitionRecord:
        """The record as it travels: with only what changed since the last projection sent
        (behind `DELTA_PATCH`), else whole; remembers this projection as the last one sent."""
        assert record.projection is not None
        sent = record.projection.model_dump(mode="json")
        before, self._sent = self._sent, sent
        if before is None or not self._deltas:
            return record
        delta = projection_delta(before, sent)
        return record.model_copy(update={"projection": None, "delta": delta})

    async def _write_unrecorded(self) -> ApplicationError | None:
        """Write the held transitions in order, each with the current projection (the store
        keeps the newest version), until one fails again."""
        while self._unrecorded:
            record = self._unrecorded[0].model_copy(
                update={"projection": projection(self._state, workflow.now())}
            )
            failure = await self.try_activity(CaseActivities.record_transition, record)
            if failure is not None:
                return failure
            assert record.projection is not None
            self._sent = record.projection.model_dump(mode="json")
            self._unrecorded.pop(0)
        return None

    async def try_activity(
        self, activity: Callable[..., Any], *args: Any
    ) -> ApplicationError | None:
        """Run a database activity (retried with backoff while its failure is transient); a
        bad-data failure is returned rather than raised, so the case goes on."""
        try:
            await workflow.execute_activity_method(
                activity,
                args=list(args),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            # Histories from before faults existed failed here, and replay the same way.
            if (
                isinstance(cause, ApplicationError)
                and cause.non_retryable
                and patches.taken(patches.FAULTS_PATCH)
            ):
                return cause
            raise
        return None

    def open_fault(
        self, activity: str, failure: ApplicationError, retry: RetryWork, seq: int | None = None
    ) -> None:
        state = self._state
        fault = CaseFault(
            id=len(state.faults) + 1,
            activity=activity,
            error_type=failure.type or type(failure).__name__,
            message=failure.message,
            at=workflow.now(),
            seq=seq,
        )
        state.faults.append(fault)
        self._retry_work[fault.id] = retry
        workflow.logger.warning("case fault %d opened: %s", fault.id, failure.message)
        self._upsert_faulted()

    async def retry_faults(self, by: str, note: str | None) -> None:
        """Re-run the work of every open fault, oldest first; each that succeeds is resolved.
        If one fails again, its fault stays open (with the new error) and the Update fails."""
        state = self._state
        now = workflow.now()
        resolved: list[int] = []
        for fault in state.open_faults:
            fault.retries += 1
            fault.last_retry_at = now
            work = self._retry_work.get(fault.id)
            failure = await work() if work is not None else None
            if failure is not None:
                fault.error_type = failure.type or type(failure).__name__
                fault.message = failure.message
                raise ApplicationError(
                    f"fault {fault.id} ({fault.activity}) failed again: {failure.message}",
                    type=FAULT_RETRY_FAILED,
                    non_retryable=True,
                )
            fault.resolved_at = workflow.now()
            fault.resolved_by = by
            self._retry_work.pop(fault.id, None)
            resolved.append(fault.id)
        self._upsert_faulted()
        await self.record(
            Action.FAULTS_RETRIED, by, state.status, {"faults": resolved, "note": note}
        )

    def _upsert_faulted(self) -> None:
        workflow.upsert_search_attributes([sa.FAULTED.value_set(bool(self._state.open_faults))])


def check_retry_faults(state: CaseState) -> None:
    if not state.open_faults:
        raise refuse(f"case {state.intake.case_no} has no open fault to retry")
