"""The live state of one case, as the workflow holds it and its Query returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from models.enums import (
    CaseStatus,
    ClockStage,
    ClosureReason,
    ReplyResult,
    Satisfaction,
    Step,
)
from models.intake import CaseIntake


class Deadline(BaseModel):
    """A computed time limit, fixed in history when computed."""

    step: Step
    start: datetime
    due: datetime
    warn_at: datetime
    level2_at: datetime
    working_days: int | None = None  # None: an hours limit
    hours: float | None = None
    calendar_warnings: list[str] = Field(default_factory=list)
    limits_edition: int = 1  # the edition of the time-limit table that gave the limit


class Clock(BaseModel):
    """A running deadline owned by a department or by the centre."""

    key: str
    owner: str  # department id, or "centre"
    deadline: Deadline
    stage: ClockStage = ClockStage.RUNNING
    original_due: datetime | None = None


class Assignment(BaseModel):
    department: str
    lead: bool
    dispatched_at: datetime
    signed_at: datetime | None = None
    signed_by: str | None = None
    returned_at: datetime | None = None
    return_reason: str | None = None
    return_rejected: bool = False
    extension_requested_days: int | None = None
    extension_requested_at: datetime | None = None
    extension_approved_days: int = 0
    extension_decided: bool = False
    assist_input: str | None = None
    assist_input_at: datetime | None = None
    replies: int = 0
    active: bool = True


class ReplyRecord(BaseModel):
    department: str
    result: ReplyResult
    content: str
    officer: str
    at: datetime
    on_time: bool
    approved: bool | None = None


class CallbackRecord(BaseModel):
    at: datetime
    by: str
    reached: bool
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    action: str
    actor: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    detail: dict[str, Any] = Field(default_factory=dict)


class CaseFault(BaseModel):
    """Work of the case that failed for a reason no retry can fix (bad data), shown on the case
    until an administrator retries it once the cause is fixed (the `retry_faults` Update).

    `message` names the activity, the error class and the constraint, table or column at
    fault, never a value: it is safe to show to anyone who may read the case.
    """

    id: int = Field(ge=1)
    activity: str
    error_type: str
    message: str
    at: datetime
    seq: int | None = Field(default=None, description="the first transition the work carried")
    retries: int = 0
    last_retry_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


class CaseState(BaseModel):
    intake: CaseIntake
    received_at: datetime
    status: CaseStatus = CaseStatus.RECEIVED
    closure_reason: ClosureReason | None = None
    closed_at: datetime | None = None
    assignments: list[Assignment] = Field(default_factory=list)
    clocks: list[Clock] = Field(default_factory=list)
    replies: list[ReplyRecord] = Field(default_factory=list)
    callbacks: list[CallbackRecord] = Field(default_factory=list)
    callback_required: bool | None = None
    reopen_rounds: int = 0
    escalation_level: int = 0
    ever_overdue: bool = False
    merged_into: str | None = None
    merged_cases: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    limits_edition: int = 1  # the edition of rules/time_limits.py the case started under
    faults: list[CaseFault] = Field(default_factory=list)

    @property
    def lead(self) -> Assignment | None:
        return next((a for a in self.assignments if a.lead and a.active), None)

    @property
    def overdue(self) -> bool:
        return any(c.stage in (ClockStage.OVERDUE, ClockStage.LEVEL2) for c in self.clocks)

    @property
    def next_deadline(self) -> datetime | None:
        return min((c.deadline.due for c in self.clocks), default=None)

    @property
    def open_faults(self) -> list[CaseFault]:
        return [f for f in self.faults if f.open]

    def clock(self, key: str) -> Clock | None:
        return next((c for c in self.clocks if c.key == key), None)


class CaseView(BaseModel):
    """What every step returns: where the case stands now (no personal data)."""

    case_no: str
    status: CaseStatus
    closure_reason: ClosureReason | None
    lead_department: str | None
    escalation_level: int
    overdue: bool
    next_deadline: datetime | None
    version: int
    intake_complete: bool = Field(
        default=True, description="the intake and its first steps are recorded in SQL"
    )
