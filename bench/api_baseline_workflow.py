"""`BaselineApiWorkflow`: `bench.baseline.BaselineWorkflow` with the API's intake Update.

In a module of its own, so that the workflow sandbox imports nothing but the baseline.
"""

from __future__ import annotations

from temporalio import workflow

from bench.baseline import INTAKE_CALLS, BaselineWorkflow


@workflow.defn
class BaselineApiWorkflow(BaselineWorkflow):
    """BaselineWorkflow with the intake answered by an Update sent with the start."""

    @workflow.init
    def __init__(self, case_no: str) -> None:
        super().__init__(case_no)

    @workflow.run
    async def run(self, case_no: str) -> int:
        return await super().run(case_no)

    @workflow.update
    async def intake_recorded(self) -> int:
        await workflow.wait_condition(lambda: self._calls >= INTAKE_CALLS)
        return self._calls
