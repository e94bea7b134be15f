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

And the sandbox's fresh import of a workflow module runs that module's code afresh (new
globals, classes and functions for every run) but need not read and unmarshal its bytecode
afresh: code objects are immutable, so `share_module_code` has the modules of `workflows`
loaded with one code object per source file and process. Without it every cached case held its
own copy of `workflow.py`'s bytecode, about 40 KiB of a case's memory.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any, ClassVar, cast

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


SHARED_CODE_PACKAGES = ("workflows",)
"""Packages whose modules are loaded with one code object per source file and process."""


class _SharedCodeLoader(importlib.machinery.SourceFileLoader):
    """The source loader, with each file's code object made once (again if the file changes)."""

    _codes: ClassVar[dict[tuple[str, int, int], CodeType]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        code = self._codes.get(key)
        if code is None:
            # A source loader always makes code (its base class types it optional).
            made = cast(CodeType, super().get_code(fullname))
            with self._lock:
                code = self._codes.setdefault(key, made)
        return code


class _SharedCodeFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of `packages` as the path finder does, with `_SharedCodeLoader`."""

    def __init__(self, packages: Sequence[str]) -> None:
        self.packages = tuple(packages)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not any(fullname == p or fullname.startswith(p + ".") for p in self.packages):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec
        spec.loader = _SharedCodeLoader(spec.loader.name, spec.loader.path)
        return spec


def share_module_code(*packages: str) -> None:
    """Load the modules of `packages` (and their submodules) with shared code objects, in every
    sandbox of this process and outside it. Idempotent."""
    for finder in sys.meta_path:
        if isinstance(finder, _SharedCodeFinder):
            finder.packages = tuple(dict.fromkeys(finder.packages + packages))
            return
    sys.meta_path.insert(0, _SharedCodeFinder(packages))


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner with the case workflow's helper modules passed through, the
    serialisation-context fast path, and the workflow modules' code shared between runs."""
    share_module_code(*SHARED_CODE_PACKAGES)
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return FastContextSandboxRunner(restrictions=restrictions)
