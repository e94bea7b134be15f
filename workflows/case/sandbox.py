"""The workflow sandbox every worker and replayer runs case code in (not workflow code itself:
the worker and the replayers import it from here, next to the modules it names).

Temporal's sandbox imports a workflow's modules afresh for every workflow run, so each open
case holds its own copies of the modules below and each replay compiles them again. These
modules are deterministic helpers of `CaseWorkflow`: functions of the case's state and
`temporalio.workflow` calls, with module-level constants only (`tests/workflows/
test_sandbox_passthrough.py` checks both), so one shared copy serves every run. The workflow
classes themselves (`workflows.case.workflow`, `workflows.archive`, ...) stay sandboxed and
are still imported per run with the sandbox's restricted standard library.

`models`, `rules` and the activities' interfaces are passed through where they are imported
(`workflow.unsafe.imports_passed_through()`); pydantic and temporalio are passed through by
the SDK's defaults.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = (
    "workflows.case.assignment",
    "workflows.case.callback",
    "workflows.case.checks",
    "workflows.case.clocks",
    "workflows.case.closure",
    "workflows.case.context",
    "workflows.case.extension",
    "workflows.case.handling",
    "workflows.case.intake",
    "workflows.case.notices",
    "workflows.case.recording",
    "workflows.case.replies",
    "workflows.case.supervision",
    "workflows.case.views",
)
"""Helper modules of the case workflow shared by every run (not the workflow class's module)."""


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner with the case workflow's helper modules passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)
