"""Intake (受理): the first transition of every case, and the outcomes that close it at once."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.case.assignment import start_dispatch_clock
from workflows.case.closure import close
from workflows.case.context import CaseRun

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
    from models.enums import CaseStatus, IntakeOutcomeKind
    from models.intake import DirectAnswer, EmergencyHandoff, NotAccepted, ThreeWayCall
    from rules import closure as closure_rules


ClosingOutcome = DirectAnswer | ThreeWayCall | EmergencyHandoff | NotAccepted
"""The intake outcomes that answer the contact on the spot and close the case."""


def _detail(case: CaseRun) -> dict[str, Any]:
    intake = case.state.intake
    return {"outcome": intake.outcome.kind, "channel": intake.channel.value}


async def close_at_intake(case: CaseRun, outcome: ClosingOutcome) -> None:
    await close(
        case,
        closure_rules.intake_closure(IntakeOutcomeKind(outcome.kind)),
        Action.INTAKE,
        case.state.intake.operator_id,
        _detail(case) | outcome.model_dump(mode="json", exclude={"kind"}),
        initial=True,
    )


async def record_intake(case: CaseRun) -> None:
    """The case is received, to be dispatched (now, or by a dispatcher) or merged."""
    intake = case.state.intake
    await case.recorder.record(
        Action.INTAKE, intake.operator_id, CaseStatus.RECEIVED, _detail(case), initial=True
    )


async def dispatch_refused(case: CaseRun, err: ApplicationError) -> None:
    """A department named at intake that cannot take the case: a dispatcher decides."""
    case.state.warnings.append(f"intake dispatch refused: {err.message}")
    await start_dispatch_clock(case)
    await case.recorder.record(
        Action.DISPATCH_REFUSED,
        case.state.intake.operator_id,
        CaseStatus.RECEIVED,
        {"reason": err.message},
    )
