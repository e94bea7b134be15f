"""What the workflow hands to its activities: deadline requests, transitions, notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from models.enums import CaseType, Step, Urgency


class DeadlineRequest(BaseModel):
    """Compute the limit of `step` starting at `start`.

    With `extend_due` the due is that time plus `extra_working_days` (an approved extension);
    with `fixed_due` the due is given (a supervisor's shorter deadline). Either way the warning
    and level-2 times are derived from the due by the escalation ladder.
    """

    step: Step
    start: datetime
    urgency: Urgency
    case_type: CaseType
    complex: bool = False
    extend_due: datetime | None = None
    extra_working_days: int = Field(default=0, ge=0)
    fixed_due: datetime | None = None
    limits_edition: int = Field(default=1, ge=1)


class RouteRequest(BaseModel):
    """Route by the dispatch catalogue, or check the departments a dispatcher named."""

    category: str
    district: str
    street: str | None = None
    lead_department: str | None = None
    assisting_departments: list[str] = Field(default_factory=list)


class Route(BaseModel):
    lead_department: str
    assisting_departments: list[str] = Field(default_factory=list)
    fallback: bool = False  # the district government took it (兜底)


class CaseProjection(BaseModel):
    """One row per case (no free text of the citizen beyond title/content, kept in SQL only)."""

    case_no: str
    version: int
    status: str
    closure_reason: str | None
    channel: str
    case_type: str
    category: str
    urgency: str
    complex: bool
    district: str
    street: str | None
    latitude: float | None = None
    longitude: float | None = None
    title: str
    content: str
    caller_name: str | None
    caller_phone: str | None
    confidential: bool
    enterprise: bool
    operator_id: str
    lead_department: str | None
    assisting_departments: list[str]
    escalation_level: int
    overdue: bool
    ever_overdue: bool
    next_deadline: datetime | None
    received_at: datetime
    dispatched_at: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    reopen_rounds: int
    callback_attempts: int
    satisfaction: str | None
    resolved: bool | None
    merged_into: str | None
    updated_at: datetime


class Transition(BaseModel):
    case_no: str
    seq: int
    at: datetime
    action: str
    actor: str
    from_status: str | None
    to_status: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Notification(BaseModel):
    """Rendered from a jinja2 template into the outbox, once per (case_no, event_key)."""

    case_no: str
    event_key: str
    template: str
    channel: str  # "sms" or "internal"
    recipient: str  # department id, "centre", or the citizen's phone for SMS
    context: dict[str, Any] = Field(default_factory=dict)


class ProjectionDelta(BaseModel):
    """The projection fields that changed since the version `base_version` the store holds.

    `changes` maps `CaseProjection` field names to their new values (JSON values; the store
    validates each against the field's type) and always holds `version` and `updated_at`.
    """

    case_no: str
    base_version: int = Field(ge=1)
    changes: dict[str, Any]

    @property
    def version(self) -> int:
        return int(self.changes["version"])

    @model_validator(mode="after")
    def _known_fields(self) -> ProjectionDelta:
        unknown = set(self.changes) - set(CaseProjection.model_fields)
        if unknown:
            raise ValueError(f"unknown projection fields: {sorted(unknown)}")
        if "case_no" in self.changes:
            raise ValueError("a projection delta cannot change the case number")
        if not isinstance(self.changes.get("version"), int) or "updated_at" not in self.changes:
            raise ValueError("a projection delta carries its version and updated_at")
        if self.changes["version"] <= self.base_version:
            raise ValueError("a projection delta's version must be above its base version")
        return self


def projection_delta(before: dict[str, Any], after: dict[str, Any]) -> ProjectionDelta:
    """What changed from `before` (the projection the store holds) to `after`, both as
    `CaseProjection.model_dump(mode="json")`."""
    changes = {k: v for k, v in after.items() if before.get(k) != v}
    changes["version"] = after["version"]
    changes["updated_at"] = after["updated_at"]
    return ProjectionDelta(
        case_no=after["case_no"], base_version=before["version"], changes=changes
    )


class TransitionRecord(BaseModel):
    """Everything one transition writes, in one database transaction.

    The projection travels whole (`projection`: the first record of a case, held records
    written again, and every record of a case from before deltas) or as what changed since
    the previous record (`delta`); exactly one of the two is set.
    """

    projection: CaseProjection | None = None
    delta: ProjectionDelta | None = None
    transition: Transition
    notifications: list[Notification] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_projection_shape(self) -> TransitionRecord:
        if (self.projection is None) == (self.delta is None):
            raise ValueError("a transition record carries either a projection or a delta")
        return self

    @property
    def case_no(self) -> str:
        if self.projection is not None:
            return self.projection.case_no
        assert self.delta is not None
        return self.delta.case_no


class ArchiveRequest(BaseModel):
    """Archive the complete history of one closed case run (asked by the case at its end)."""

    case_no: str
    workflow_id: str
    run_id: str
