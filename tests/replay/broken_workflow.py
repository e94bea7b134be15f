"""A deliberately incompatible change to CaseWorkflow, to prove the replay gate catches one.

It waits one second before every dispatch (at intake or later) without a `workflow.patched`
guard: a timer command where every recorded history has the dispatch's activity. Kept in its
own module because the workflow sandbox re-imports the module a workflow class is defined in.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.intake import CaseIntake
    from models.state import CaseView
    from workflows.case import CaseWorkflow


@workflow.defn(name="CaseWorkflow")
class TimerBeforeDispatchWorkflow(CaseWorkflow):
    @workflow.run
    async def run(self, intake: CaseIntake) -> CaseView:
        return await super().run(intake)

    async def _dispatch(self, *args: Any, **kwargs: Any) -> None:
        await workflow.sleep(1)
        await super()._dispatch(*args, **kwargs)

    async def _dispatch_at_intake(self, *args: Any, **kwargs: Any) -> None:
        await workflow.sleep(1)
        await super()._dispatch_at_intake(*args, **kwargs)
