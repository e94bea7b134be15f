"""One running case as its steps see it: the state, the recorder and the clocks."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

from workflows.case.clocks import Clocks
from workflows.case.recording import Recorder

with workflow.unsafe.imports_passed_through():
    from models.enums import CaseStatus
    from models.state import CaseState


@dataclass
class CaseRun:
    state: CaseState
    recorder: Recorder
    clocks: Clocks
    status_before_return: CaseStatus | None = None  # what a rejected return goes back to
