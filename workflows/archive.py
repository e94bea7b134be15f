"""ArchiveCaseWorkflow: keeps a closed case's complete history in the database for good.

A case cannot export its own history while it is still running, so its last act is to start
this workflow (abandoned by its parent on close). The one activity waits for the case's close
event, exports the whole history, and stores it with the code version and a digest; the store
writes a case's archive exactly once however often the activity is retried.

It runs on the heavy task queue of the case's own queue (`heavy_task_queue`, polled by
`workers.heavy`): the name is derived from the case's task queue, which is in its history, so
every replay computes the same queue and the case and its archive can never disagree.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.archive import HistoryArchiver
    from models.errors import ARCHIVE_CONFLICT
    from models.records import ArchiveRequest

ARCHIVE_TIMEOUT = timedelta(minutes=5)
ARCHIVE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=[ARCHIVE_CONFLICT],
)


HEAVY_SUFFIX = "-heavy"


def archive_workflow_id(case_no: str) -> str:
    return f"archive-{case_no}"


def heavy_task_queue(case_task_queue: str) -> str:
    """The queue of the heavy work (history archive) of cases run on `case_task_queue`."""
    return f"{case_task_queue}{HEAVY_SUFFIX}"


@workflow.defn
class ArchiveCaseWorkflow:
    @workflow.run
    async def run(self, request: ArchiveRequest) -> bool:
        """True when this run wrote the archive, False when it was already there."""
        written = await workflow.execute_activity_method(
            HistoryArchiver.archive_history,
            request,
            start_to_close_timeout=ARCHIVE_TIMEOUT,
            retry_policy=ARCHIVE_RETRY,
        )
        return written
