"""A workflow module the sandbox loads with shared code (tests/workflows/test_sandbox_code.py):
it reports what a run sees of its own module."""

from __future__ import annotations

from temporalio import workflow

RUNS_SEEN: list[str] = []  # module state: each run's sandbox must have its own


@workflow.defn(sandboxed=True)
class SharedCodeWorkflow:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        RUNS_SEEN.append(workflow.info().workflow_id)
        await workflow.wait_condition(lambda: self._done)

    @workflow.signal
    def finish(self) -> None:
        self._done = True

    @workflow.query
    def seen(self) -> dict[str, object]:
        return {
            "class": id(SharedCodeWorkflow),
            "code": id(SharedCodeWorkflow.run.__code__),
            "runs": list(RUNS_SEEN),
        }
