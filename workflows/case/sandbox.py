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

The runner also answers the SDK's per-payload question "which serialisation context does this
payload belong to?" without re-entering the sandbox. The stock runner compiles and runs a
snippet under the sandbox's import hooks and restricted builtins for every payload container of
every activation, three to five times per workflow task; a fifth of a replay went there. The
answer only reads the workflow instance's pending commands and builds `temporalio.converter`
values (a passed-through module), so `FastContextSandboxRunner` calls the instance directly and
falls back to the stock path if the SDK ever lays its instance out differently.
"""

from __future__ import annotations

from typing import Any

from temporalio.converter import SerializationContext
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker._workflow_instance import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

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
    "workflows.case.patches",
    "workflows.case.recording",
    "workflows.case.replies",
    "workflows.case.supervision",
    "workflows.case.views",
)
"""Helper modules of the case workflow shared by every run (not the workflow class's module)."""


IN_SANDBOX = "__temporal_in_sandbox"
"""Where the stock runner keeps the sandboxed side of an instance (its `InSandbox` object)."""


class _FastContextInstance(_Instance):
    """A sandboxed workflow instance whose serialisation and store contexts are read directly."""

    def _sandboxed(self) -> Any | None:
        in_sandbox = self.globals_and_locals.get(IN_SANDBOX)
        return getattr(in_sandbox, "instance", None)

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        instance = self._sandboxed()
        if instance is None:
            return super().get_serialization_context(command_info)
        context: SerializationContext | None = instance.get_serialization_context(command_info)
        return context

    def get_external_store_context(self, command_info: CommandInfo | None) -> Any:
        instance = self._sandboxed()
        if instance is None:
            return super().get_external_store_context(command_info)
        return instance.get_external_store_context(command_info)


class FastContextSandboxRunner(SandboxedWorkflowRunner):
    """The SDK's sandboxed runner, with instances that answer context questions directly."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _FastContextInstance(det, self.runner_class, self.restrictions)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner with the case workflow's helper modules passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return FastContextSandboxRunner(restrictions=restrictions)
