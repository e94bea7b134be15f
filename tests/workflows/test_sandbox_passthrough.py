"""The case workflow's helper modules that the sandbox shares between runs stay safe to share:
no mutable module state, no clock, randomness, environment or file access of their own, and
the workflow classes' modules are still sandboxed."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from workflows.case.sandbox import PASSED_THROUGH, workflow_runner

MUTABLE = (list, dict, set, bytearray)
NONDETERMINISTIC = re.compile(
    r"datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.monotonic|\brandom\b|"
    r"\buuid\d?\b|\bopen\(|os\.environ|\bglobal\b"
)


@pytest.mark.parametrize("name", PASSED_THROUGH)
def test_a_shared_module_holds_no_mutable_state(name: str) -> None:
    module = importlib.import_module(name)
    mutable = [
        key
        for key, value in vars(module).items()
        if not key.startswith("__") and isinstance(value, MUTABLE)
    ]
    assert mutable == [], f"{name} has module-level mutable values: {mutable}"


@pytest.mark.parametrize("name", PASSED_THROUGH)
def test_a_shared_module_reads_no_clock_randomness_or_environment(name: str) -> None:
    source = inspect.getsource(importlib.import_module(name))
    found = sorted(set(NONDETERMINISTIC.findall(source)))
    assert found == [], f"{name} uses {found}: keep it sandboxed or use workflow.* instead"


def test_the_workflow_classes_stay_sandboxed() -> None:
    sandboxed = {"workflows.case.workflow", "workflows.case.archiving", "workflows.archive"}
    assert sandboxed.isdisjoint(PASSED_THROUGH)
    restrictions = workflow_runner().restrictions
    assert set(PASSED_THROUGH) <= restrictions.passthrough_modules
