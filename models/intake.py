"""What an operator records at intake (受理): the case record's fields and the intake outcome."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from models.enums import (
    CaseType,
    Channel,
    EmergencyLine,
    NotAcceptedReason,
    Urgency,
)
from models.text import CleanText
from models.timestamps import OffsetDateTime

CASE_NO_PATTERN = r"^[A-Z]{2}\d{8}-\d{6}$"


class Frozen(CleanText):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Caller(Frozen):
    """Personal data: never logged, never in search attributes or URLs."""

    name: str | None = Field(default=None, max_length=64, description="None when anonymous")
    phones: list[Annotated[str, Field(pattern=r"^\+?[0-9\-]{5,20}$")]] = Field(
        default_factory=list, max_length=3
    )
    confidential: bool = False  # 保密
    enterprise: bool = False  # 涉企


class Location(Frozen):
    district: str = Field(min_length=1, max_length=64)
    street: str | None = Field(default=None, max_length=64)
    community: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=256)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class DirectAnswer(Frozen):
    kind: Literal["direct_answer"] = "direct_answer"
    answer: str = Field(min_length=1, max_length=4000)
    articles: list[str] = Field(default_factory=list, max_length=20)


class ThreeWayCall(Frozen):
    kind: Literal["three_way_call"] = "three_way_call"
    department: str = Field(min_length=1, max_length=64)
    officer: str = Field(min_length=1, max_length=64)


class EmergencyHandoff(Frozen):
    kind: Literal["emergency_handoff"] = "emergency_handoff"
    line: EmergencyLine


class NotAccepted(Frozen):
    kind: Literal["not_accepted"] = "not_accepted"
    reason: NotAcceptedReason
    proper_route: str = Field(min_length=1, max_length=500, description="what the caller was told")


class ToDispatch(Frozen):
    """The case enters the handling lifecycle; departments may be named now or by a dispatcher."""

    kind: Literal["dispatch"] = "dispatch"
    lead_department: str | None = Field(default=None, max_length=64)
    assisting_departments: list[str] = Field(default_factory=list, max_length=10)


class MergeInto(Frozen):
    kind: Literal["merge"] = "merge"
    master_case_no: str = Field(pattern=CASE_NO_PATTERN)


IntakeOutcome = Annotated[
    DirectAnswer | ThreeWayCall | EmergencyHandoff | NotAccepted | ToDispatch | MergeInto,
    Field(discriminator="kind"),
]


class IntakeRecord(Frozen):
    """One contact as an operator records it, before it has a case number."""

    request_id: str = Field(min_length=1, max_length=64)
    channel: Channel = Channel.PHONE
    call_id: str | None = Field(default=None, max_length=64)
    operator_id: str = Field(min_length=1, max_length=64)
    received_at: OffsetDateTime | None = Field(
        default=None,
        description="when the contact came in, with its UTC offset; the workflow's start when "
        "omitted",
    )
    caller: Caller = Field(default_factory=Caller)
    location: Location
    case_type: CaseType
    category: str = Field(min_length=1, max_length=128)
    urgency: Urgency = Urgency.NORMAL
    complex: bool = Field(default=False, description="复杂: longer limit, normal urgency only")
    title: str = Field(min_length=1, max_length=128)
    content: str = Field(min_length=1, max_length=8000)
    outcome: IntakeOutcome


class CaseIntake(IntakeRecord):
    """The workflow's input: the recorded contact with its case number."""

    case_no: str = Field(pattern=CASE_NO_PATTERN)
    retrieval_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="for the citizen's progress lookup"
    )
