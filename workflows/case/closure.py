"""Closing a case: the one way every path ends (withdrawal, merge, callback, praise, intake)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.case.assignment import start_dispatch_clock
from workflows.case.checks import refuse, require_open
from workflows.case.context import CaseRun
from workflows.case.notices import sms

with workflow.unsafe.imports_passed_through():
    from models.actions import Action
    from models.commands import MergeCase, MergedCaseLink, Withdraw
    from models.enums import CaseStatus, ClosureReason
    from models.records import Notification
    from models.state import CaseState
    from rules import closure as closure_rules


async def close(
    case: CaseRun,
    reason: ClosureReason,
    action: Action,
    by: str,
    detail: dict[str, Any],
    initial: bool = False,
) -> None:
    state = case.state
    case.clocks.drop_all()
    state.closure_reason = reason
    state.closed_at = workflow.now()
    notices: list[Notification] = []
    if closure_rules.sends_closure_sms(
        reason, has_phone=bool(state.intake.caller.phones), was_assigned=bool(state.assignments)
    ):
        notices.append(sms(state, "closure_sms"))
    await case.recorder.record(
        action,
        by,
        CaseStatus.CLOSED,
        detail | {"closure_reason": reason.value},
        notices,
        initial=initial,
    )


def check_withdraw(state: CaseState, command: Withdraw) -> None:
    require_open(state, "withdraw")


async def withdraw(case: CaseRun, command: Withdraw) -> None:
    await close(
        case, ClosureReason.WITHDRAWN, Action.WITHDRAW, command.by, {"reason": command.reason}
    )


def check_merge(state: CaseState, command: MergeCase) -> None:
    require_open(state, "merge")
    if command.master_case_no == state.intake.case_no:
        raise refuse("a case cannot be merged into itself")


async def merged(case: CaseRun, master_case_no: str, action: Action, by: str) -> None:
    """The master case took the link: this one closes as merged into it."""
    case.state.merged_into = master_case_no
    await close(case, ClosureReason.MERGED, action, by, {"master_case_no": master_case_no})


async def kept_for_dispatch(case: CaseRun, master_case_no: str, by: str) -> None:
    """A merge asked at intake whose master is not open: the case waits for a dispatcher."""
    case.state.warnings.append(
        f"merge: master case {master_case_no} is not open; case kept for dispatch"
    )
    await start_dispatch_clock(case)
    await case.recorder.record(
        Action.MERGE_FAILED, by, CaseStatus.RECEIVED, {"master_case_no": master_case_no}
    )


async def link_merged(case: CaseRun, link: MergedCaseLink) -> None:
    """Another case was merged into this one."""
    state = case.state
    if link.case_no in state.merged_cases:
        return
    state.merged_cases.append(link.case_no)
    if state.status is not CaseStatus.CLOSED:
        await case.recorder.record(
            Action.MERGED_CASE_LINKED, link.by, state.status, {"case_no": link.case_no}
        )
