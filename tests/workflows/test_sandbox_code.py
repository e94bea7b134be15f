"""The sandbox runs a workflow module afresh for every run (its own globals, classes, module
state) while the module's code objects are made once per process (`share_module_code`)."""

from __future__ import annotations

import importlib.util
import sys
import uuid

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import workflows.case
from tests.workflows.shared_code_workflow import SharedCodeWorkflow
from workflows.case.sandbox import SHARED_CODE_PACKAGES, share_module_code, workflow_runner

MODULE = "tests.workflows.shared_code_workflow"


async def test_two_runs_share_code_but_not_their_module(env: WorkflowEnvironment) -> None:
    share_module_code(MODULE)
    client: Client = env.client
    queue = f"shared-code-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[SharedCodeWorkflow], workflow_runner=workflow_runner()
    ):
        handles = [
            await client.start_workflow(
                SharedCodeWorkflow.run, id=f"shared-code-{uuid.uuid4()}", task_queue=queue
            )
            for _ in range(2)
        ]
        seen = [await handle.query(SharedCodeWorkflow.seen) for handle in handles]
        for handle in handles:
            await handle.signal(SharedCodeWorkflow.finish)
            await handle.result()
    first, second = seen
    assert first["class"] != second["class"]  # each run built its own class
    assert first["code"] == second["code"]  # from one code object
    assert first["runs"] == [handles[0].id] and second["runs"] == [handles[1].id]


def test_a_workflow_module_loads_with_one_code_object_per_process() -> None:
    share_module_code(*SHARED_CODE_PACKAGES)
    (finder,) = [f for f in sys.meta_path if type(f).__name__ == "_SharedCodeFinder"]
    modules = []
    for _ in range(2):  # as a sandbox imports it: a fresh module, found anew
        spec = finder.find_spec("workflows.case.workflow", workflows.case.__path__)
        assert spec is not None and spec.loader is not None
        assert type(spec.loader).__name__ == "_SharedCodeLoader"
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    first, second = (module.CaseWorkflow for module in modules)
    assert first is not second
    assert first.run.__code__ is second.run.__code__
