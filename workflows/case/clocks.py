"""The case's clocks: every running time limit, computed by the local activity and slept on.

A deadline is computed by `compute_deadlines` (`rules/deadlines.py` over `rules/time_limits.py`
and the working-day calendar), so its value is fixed in the history. The main loop sleeps on one
timer, until the earliest next milestone of any clock (`rules/escalation.py`), and wakes early
when a step moves the clocks or closes the case.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case_activities import CaseActivities
    from models.enums import CaseStatus, Step
    from models.records import DeadlineRequest
    from models.state import CaseState, Clock, Deadline
    from rules import time_limits
    from rules.escalation import earlier_stage, milestone, stage_at


HANDLING_KEY = "handling"
"""The lead department's running handling clock: handling, a redo, a reopen, a praise close."""
DEADLINE_TIMEOUT = timedelta(seconds=10)


def assist_key(department: str) -> str:
    return f"assist:{department}"


def pin_limits_edition() -> int:
    """The edition of the time-limit table this case computes every limit with.

    Pinned once, when the case starts: a new case records the newest amendment's patch marker;
    replaying a case started before that amendment finds no marker there and keeps the older
    edition, so every later step computes the limits it always did.
    """
    for amendment in reversed(time_limits.AMENDMENTS):
        if workflow.patched(amendment.patch_id):
            return amendment.edition
    return time_limits.FIRST_EDITION


class Clocks:
    """The clocks of one case (kept in `CaseState.clocks`) and the timer that waits on them."""

    def __init__(self, state: CaseState) -> None:
        self._state = state
        self._armed_for: datetime | None = None

    def get(self, key: str) -> Clock | None:
        return self._state.clock(key)

    def set(
        self, key: str, owner: str, deadline: Deadline, original_due: datetime | None = None
    ) -> None:
        previous = self._state.clock(key)
        self.drop(key)
        clock = Clock(key=key, owner=owner, deadline=deadline, original_due=original_due)
        if previous is not None and original_due is not None:
            # A moved deadline: milestones already announced for this step are not repeated;
            # those now due at the new times fire on the next pass of the main loop.
            clock.stage = earlier_stage(previous.stage, stage_at(clock, workflow.now()))
        self._state.clocks.append(clock)
        for warning in deadline.calendar_warnings:
            if warning not in self._state.warnings:
                self._state.warnings.append(warning)

    def drop(self, key: str) -> None:
        self._state.clocks = [c for c in self._state.clocks if c.key != key]

    def drop_all(self) -> None:
        for clock in list(self._state.clocks):
            self.drop(clock.key)

    async def deadlines(
        self,
        *steps: Step,
        extend_due: datetime | None = None,
        extra_working_days: int = 0,
        fixed_due: datetime | None = None,
    ) -> list[Deadline]:
        """The deadlines of `steps` starting now, in one local activity."""
        intake = self._state.intake
        now = workflow.now()
        requests = [
            DeadlineRequest(
                step=step,
                start=now,
                urgency=intake.urgency,
                case_type=intake.case_type,
                complex=intake.complex,
                extend_due=extend_due,
                extra_working_days=extra_working_days,
                fixed_due=fixed_due,
                limits_edition=self._state.limits_edition,
            )
            for step in steps
        ]
        return await workflow.execute_local_activity_method(
            CaseActivities.compute_deadlines, requests, start_to_close_timeout=DEADLINE_TIMEOUT
        )

    async def sleep_until_next_milestone(self) -> None:
        # One timer, for the earliest milestone of all clocks; re-armed only when that moves.
        upcoming = self._armed_for = self._next_milestone()
        if upcoming is None:
            await workflow.wait_condition(self._should_wake)
            return
        remaining = upcoming - workflow.now()
        if remaining <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(self._should_wake, timeout=remaining)

    def _should_wake(self) -> bool:
        return self._state.status is CaseStatus.CLOSED or self._next_milestone() != self._armed_for

    def _next_milestone(self) -> datetime | None:
        times = [m[0] for c in self._state.clocks if (m := milestone(c)) is not None]
        return min(times, default=None)
