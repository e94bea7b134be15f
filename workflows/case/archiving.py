"""The case's last act: keep its complete history (the `ArchiveCaseWorkflow` child, on the
heavy task queue of the case's queue), or, for a history that ended before the archive existed,
stamp the projection as it did then."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

from workflows.case import patches
from workflows.case.context import CaseRun

with workflow.unsafe.imports_passed_through():
    from activities.case_activities import ARCHIVE_CASE, CaseActivities
    from models.records import ArchiveRequest
    from workflows.archive import ArchiveCaseWorkflow, archive_workflow_id, heavy_task_queue


async def archive(case: CaseRun) -> None:
    case_no = case.state.intake.case_no
    # Histories that ended before the archive existed scheduled `archive_case` here; their
    # replay finds no patch marker and must do the same.
    if not patches.taken(patches.ARCHIVE_HISTORY_PATCH):

        async def stamp() -> ApplicationError | None:
            return await case.recorder.try_activity(
                CaseActivities.archive_case, case_no, workflow.now()
            )

        failure = await stamp()
        if failure is not None:
            case.recorder.open_fault(ARCHIVE_CASE, failure, stamp)
            await workflow.wait_condition(
                lambda: not case.state.open_faults and workflow.all_handlers_finished()
            )
        return
    await workflow.start_child_workflow(
        ArchiveCaseWorkflow.run,
        ArchiveRequest(
            case_no=case_no,
            workflow_id=workflow.info().workflow_id,
            run_id=workflow.info().run_id,
        ),
        id=archive_workflow_id(case_no),
        task_queue=heavy_task_queue(workflow.info().task_queue),
        parent_close_policy=ParentClosePolicy.ABANDON,
    )
