"""BaselineWorkflow: the bare Temporal engine doing what one dispatched case lifecycle asks of it.

It has the shape of one CaseWorkflow lifecycle on the path the benchmark drives (intake
dispatching to a named lead department → ``sign_off`` → ``reply`` → ``review_reply(approve)``
→ ``record_callback(reached, satisfied)`` → closed) and nothing else: the same Updates, the same
activity calls of the same kind, names, timeouts and retry policies, but no-op activities (no
database, no calendar) and no state beyond a counter. The gap between the two runs is therefore
what the case engine itself costs: its state and payloads, the database, the deadline
calendar, its timers and search-attribute upserts.

Counted from ``workflows/case/`` (every ``record`` of ``recording.py`` is one
``record_transition`` activity, every ``deadlines`` of ``clocks.py`` one local
``compute_deadlines`` activity, ``route`` of ``assignment.py`` one ``route_case`` activity,
plus the archive child workflow with its one ``archive_history`` activity when the run ends),
one lifecycle on that path makes:

  step                      CaseWorkflow calls                               remote  local
  intake (in run)           record("intake"), route,                         3       1
                            deadlines(sign-off, return window, handling),
                            record("dispatch")
  Update sign_off           record("sign_off")  (lead department)            1       0
  Update reply              deadlines(reply review), record("reply")         1       1
  Update review_reply       deadlines(callback), record("reply_approved")    1       1
                            (approved; complaints are always called back)
  Update record_callback    close -> record("callback")                      1       0
  end of run                child ArchiveCaseWorkflow: archive_history       1       0
  total                     6 record_transition, 1 route_case,               8       3
                            1 archive_history; 3 compute_deadlines (local)

That is 4 Updates, 8 activities and 3 local activities per case. CaseWorkflow also upserts
search attributes in every ``record`` (6 per case) and re-arms a timer for its next deadline
milestone whenever its clocks move; the baseline does neither, as both belong to the case
engine's cost.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.errors import NO_ROUTE, STEP_REFUSED

TASK_QUEUE = "bench-baseline"
# The activity options of CaseWorkflow (workflows/case/: DB_TIMEOUT, DB_RETRY, ROUTE_RETRY).
DB_TIMEOUT = timedelta(seconds=10)
DB_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
ROUTE_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=30), non_retryable_error_types=[NO_ROUTE]
)
LOCAL_TIMEOUT = timedelta(seconds=10)

INTAKE_CALLS = 4
"""Activity calls (remote and local) made before the case is dispatched."""
CALLS_PER_CASE = 11
"""Activity calls per lifecycle: 8 remote + 3 local."""
UPDATES_PER_CASE = 4
REMOTE_ACTIVITIES_PER_CASE = 8
LOCAL_ACTIVITIES_PER_CASE = 3
_CLOSED_AT = CALLS_PER_CASE - 1  # every call but the archive's


# ---- no-op activities, under the names CaseWorkflow uses --------------------------------------


@activity.defn(name="record_transition")
def record_transition(case_no: str) -> None:
    """No-op stand-in for the projection/log/outbox write."""


@activity.defn(name="route_case")
def route_case(case_no: str) -> None:
    """No-op stand-in for routing by the catalogue."""


@activity.defn(name="compute_deadlines")
def compute_deadlines(case_no: str) -> None:
    """No-op stand-in for the working-day calendar (run as a local activity)."""


@activity.defn(name="archive_history")
def archive_history(case_no: str) -> None:
    """No-op stand-in for exporting and storing the closed case's history."""


ACTIVITIES = [record_transition, route_case, compute_deadlines, archive_history]


@workflow.defn
class BaselineArchiveWorkflow:
    """The archive child's shape: one activity, started by the case as its last act."""

    @workflow.run
    async def run(self, case_no: str) -> None:
        await workflow.execute_activity(
            archive_history, case_no, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_RETRY
        )


# ---- the workflow -----------------------------------------------------------------------------


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, type=STEP_REFUSED, non_retryable=True)


@workflow.defn
class BaselineWorkflow:
    """One case's shape on the bare engine: its only state is the count of calls made."""

    @workflow.init
    def __init__(self, case_no: str) -> None:
        self._case_no = case_no
        self._calls = 0

    @workflow.run
    async def run(self, case_no: str) -> int:
        await self._activity("record_transition")  # intake
        await self._activity("route_case", ROUTE_RETRY)
        await self._local()  # sign-off, return window and handling deadlines
        await self._activity("record_transition")  # dispatch
        await workflow.wait_condition(lambda: self._calls >= _CLOSED_AT)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await workflow.start_child_workflow(
            BaselineArchiveWorkflow.run,
            case_no,
            id=f"baseline-archive-{case_no}",
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
        self._calls += 1  # the child's one activity
        return self._calls

    @workflow.query
    def calls(self) -> int:
        """Activity calls completed so far (``INTAKE_CALLS`` once the case is dispatched)."""
        return self._calls

    @workflow.update
    async def sign_off(self) -> int:
        await self._activity("record_transition")
        return self._calls

    @sign_off.validator
    def _check_sign_off(self) -> None:
        self._expect(INTAKE_CALLS, "sign off")

    @workflow.update
    async def reply(self) -> int:
        await self._local()
        await self._activity("record_transition")
        return self._calls

    @reply.validator
    def _check_reply(self) -> None:
        self._expect(INTAKE_CALLS + 1, "reply")

    @workflow.update
    async def review_reply(self) -> int:
        await self._local()
        await self._activity("record_transition")
        return self._calls

    @review_reply.validator
    def _check_review_reply(self) -> None:
        self._expect(INTAKE_CALLS + 3, "review a reply")

    @workflow.update
    async def record_callback(self) -> int:
        await self._activity("record_transition")
        return self._calls

    @record_callback.validator
    def _check_callback(self) -> None:
        self._expect(INTAKE_CALLS + 5, "record a callback")

    def _expect(self, calls: int, step: str) -> None:
        if self._calls != calls:
            raise _refuse(f"cannot {step} after {self._calls} calls")

    async def _activity(self, name: str, retry_policy: RetryPolicy = DB_RETRY) -> None:
        await workflow.execute_activity(
            name,
            self._case_no,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=retry_policy,
        )
        self._calls += 1

    async def _local(self) -> None:
        await workflow.execute_local_activity(
            "compute_deadlines", self._case_no, start_to_close_timeout=LOCAL_TIMEOUT
        )
        self._calls += 1
