"""The case process rules, pure: ladder, supervision, extension, callback and closure policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.enums import ClockStage, ClosureReason, IntakeOutcomeKind, Satisfaction, Step
from models.state import Clock, Deadline
from models.timestamps import BEIJING
from rules import callback, closure, escalation, extension, supervision

START = datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING)
DUE = datetime(2026, 12, 3, 18, 0, tzinfo=BEIJING)


def clock(step: Step, stage: ClockStage = ClockStage.RUNNING) -> Clock:
    deadline = Deadline(
        step=step,
        start=START,
        due=DUE,
        warn_at=DUE - timedelta(days=1),
        level2_at=DUE + timedelta(days=7),
        working_days=2,
    )
    return Clock(key=step.value, owner="gy-market", deadline=deadline, stage=stage)


# ---- the ladder -------------------------------------------------------------------------------


def test_a_clock_climbs_the_ladder_one_milestone_at_a_time() -> None:
    running = clock(Step.HANDLING)
    assert escalation.milestone(running) == (running.deadline.warn_at, ClockStage.WARNED)
    warned = clock(Step.HANDLING, ClockStage.WARNED)
    assert escalation.milestone(warned) == (DUE, ClockStage.OVERDUE)
    overdue = clock(Step.HANDLING, ClockStage.OVERDUE)
    assert escalation.milestone(overdue) == (overdue.deadline.level2_at, ClockStage.LEVEL2)
    assert escalation.milestone(clock(Step.HANDLING, ClockStage.LEVEL2)) is None


def test_the_return_window_never_escalates_and_praise_has_only_its_due_time() -> None:
    assert escalation.milestone(clock(Step.RETURN_WINDOW)) is None
    assert escalation.milestone(clock(Step.PRAISE_CLOSE)) == (DUE, ClockStage.OVERDUE)
    assert escalation.milestone(clock(Step.PRAISE_CLOSE, ClockStage.OVERDUE)) is None


def test_a_moved_deadline_puts_the_clock_at_the_stage_of_now() -> None:
    running = clock(Step.HANDLING)
    assert escalation.stage_at(running, START) is ClockStage.RUNNING
    assert escalation.stage_at(running, DUE - timedelta(hours=1)) is ClockStage.WARNED
    assert escalation.stage_at(running, DUE) is ClockStage.OVERDUE
    assert escalation.stage_at(running, DUE + timedelta(days=8)) is ClockStage.LEVEL2
    assert escalation.earlier_stage(ClockStage.OVERDUE, ClockStage.WARNED) is ClockStage.WARNED


def test_an_hours_limit_warns_when_a_quarter_of_it_remains() -> None:
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert escalation.hours_warning_at(start, start + timedelta(hours=4)) == start + timedelta(
        hours=3
    )


def test_levels_never_go_down() -> None:
    assert escalation.raised_level(2, 1) == 2
    assert escalation.raised_level(1, 3) == 3


# ---- supervision ------------------------------------------------------------------------------


def test_only_a_department_clock_raises_the_level_when_it_runs_over() -> None:
    assert supervision.milestone_level(ClockStage.OVERDUE, Step.HANDLING, 0) == 1
    assert supervision.milestone_level(ClockStage.LEVEL2, Step.SIGN_OFF, 1) == 2
    assert supervision.milestone_level(ClockStage.WARNED, Step.HANDLING, 0) == 0
    assert supervision.milestone_level(ClockStage.OVERDUE, Step.DISPATCH, 0) == 0
    assert supervision.milestone_level(ClockStage.OVERDUE, Step.HANDLING, 3) == 3


def test_level2_is_announced_only_when_it_raises_the_case() -> None:
    assert supervision.announces_level2(ClockStage.LEVEL2, Step.HANDLING, 1)
    assert not supervision.announces_level2(ClockStage.LEVEL2, Step.HANDLING, 2)
    assert not supervision.announces_level2(ClockStage.OVERDUE, Step.HANDLING, 0)
    assert supervision.LEVEL2_NOTE == "超期5个工作日仍未办结，予以通报"


def test_a_supervisor_deadline_only_shortens_and_is_read_as_beijing_time() -> None:
    assert supervision.shortens(DUE - timedelta(hours=1), DUE)
    assert not supervision.shortens(DUE + timedelta(hours=1), DUE)
    naive = datetime(2026, 12, 2, 12, 0)
    assert supervision.supervisor_deadline(naive) == naive.replace(tzinfo=BEIJING)
    assert supervision.escalation_notified(level_raised=False, deadline_moved=True)
    assert not supervision.escalation_notified(level_raised=False, deadline_moved=False)


# ---- extension --------------------------------------------------------------------------------


def test_one_extension_asked_before_17_00_of_the_deadline_day() -> None:
    assert extension.already_extended(3) and not extension.already_extended(0)
    assert extension.request_cutoff(DUE) == datetime(2026, 12, 3, 17, 0, tzinfo=BEIJING)
    assert not extension.too_late_to_ask(datetime(2026, 12, 3, 16, 59, tzinfo=BEIJING), DUE)
    assert extension.too_late_to_ask(datetime(2026, 12, 3, 17, 0, tzinfo=BEIJING), DUE)


def test_the_centre_grants_at_most_what_was_asked() -> None:
    assert extension.grantable(5, 3) and extension.grantable(5, None)
    assert not extension.grantable(3, 5)
    assert extension.granted(5, 3) == 3
    assert extension.granted(5, None) == 5


# ---- callback and closure ---------------------------------------------------------------------


def test_three_unreached_attempts_close_the_case() -> None:
    assert callback.unreached_decision(2) == callback.CallbackDecision()
    assert callback.unreached_decision(3).closure is ClosureReason.CALLBACK_UNREACHABLE


@pytest.mark.parametrize(
    ("satisfaction", "resolved", "department", "rounds", "expected"),
    [
        (Satisfaction.SATISFIED, False, True, 0, callback.CallbackDecision(ClosureReason.RESOLVED)),
        (Satisfaction.DISSATISFIED, False, True, 0, callback.CallbackDecision(reopen=True)),
        (
            Satisfaction.DISSATISFIED,
            False,
            True,
            2,
            callback.CallbackDecision(ClosureReason.CLOSED_UNRESOLVED, rounds_exhausted=True),
        ),
        (
            Satisfaction.DISSATISFIED,
            True,
            False,
            0,
            callback.CallbackDecision(ClosureReason.RESOLVED),
        ),
        (
            Satisfaction.DISSATISFIED,
            False,
            False,
            0,
            callback.CallbackDecision(ClosureReason.CLOSED_UNRESOLVED),
        ),
    ],
)
def test_the_callback_decision_tree(
    satisfaction: Satisfaction,
    resolved: bool,
    department: bool,
    rounds: int,
    expected: callback.CallbackDecision,
) -> None:
    assert callback.reached_decision(satisfaction, resolved, department, rounds) == expected


def test_outcomes_answered_at_intake_close_the_case_and_handled_cases_send_an_sms() -> None:
    assert closure.intake_closure(IntakeOutcomeKind.DIRECT_ANSWER) is ClosureReason.DIRECT_ANSWER
    assert IntakeOutcomeKind.DISPATCH not in closure.INTAKE_CLOSURES
    assert closure.sends_closure_sms(ClosureReason.RESOLVED, has_phone=True, was_assigned=True)
    assert not closure.sends_closure_sms(ClosureReason.RESOLVED, has_phone=False, was_assigned=True)
    assert not closure.sends_closure_sms(ClosureReason.WITHDRAWN, has_phone=True, was_assigned=True)
