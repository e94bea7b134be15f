"""What a case timeline is: items an auditor reads, the facts behind them, a masked copy.

Built from a history by `audit.timeline`, worded by `audit.timeline_words`, compared with the
database by `audit.crosscheck`.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from models.errors import BadDataError
from models.privacy import mask_name, mask_phone
from rules.disclosure import Audience, disclosure


class ItemKind(StrEnum):
    INTAKE = "intake"
    STEP = "step"
    SIGNAL = "signal"
    DEADLINE = "deadline"
    WARNING = "warning"
    OVERDUE = "overdue"
    URGING = "urging"
    ESCALATION = "escalation"
    CALLBACK = "callback"
    CLOSURE = "closure"
    REFUSED = "refused"
    OTHER = "other"


class TimelineItem(BaseModel):
    """One thing that happened to the case, as an auditor reads it."""

    at: datetime
    kind: ItemKind
    actor: str
    action: str
    summary: str
    detail: dict[str, Any] = Field(default_factory=dict)
    event_id: int = Field(description="the history event this item was read from")
    seq: int | None = Field(default=None, description="the transition's number, if one")


class IntakeFacts(BaseModel):
    """The contact as recorded at intake (the workflow's start input). Holds personal data."""

    case_no: str
    channel: str
    operator_id: str
    received_at: datetime | None
    case_type: str
    category: str
    urgency: str
    complex: bool
    title: str
    district: str
    street: str | None
    outcome: str
    caller_name: str | None
    caller_phones: list[str]
    address: str | None
    confidential: bool
    enterprise: bool
    client_identity: str


class TransitionFact(BaseModel):
    """A transition as the workflow handed it to `record_transition` (what SQL must hold)."""

    seq: int
    at: datetime
    action: str
    actor: str
    from_status: str | None
    to_status: str
    detail: dict[str, Any] = Field(default_factory=dict)
    event_id: int
    persisted: bool = Field(description="its record_transition activity completed")


class FinalState(BaseModel):
    """Where the last recorded projection left the case (no personal data)."""

    version: int
    status: str
    closure_reason: str | None
    escalation_level: int
    lead_department: str | None
    overdue: bool
    ever_overdue: bool
    reopen_rounds: int
    closed_at: datetime | None


class Timeline(BaseModel):
    case_no: str
    workflow_id: str
    run_id: str | None = None
    origin: str = Field(default="", description="where the history came from")
    status: str = Field(description="the case status after the last transition")
    closure_reason: str | None = None
    escalation_level: int = 0
    execution: str = Field(description="running, completed, failed, terminated, ...")
    archived: bool = Field(
        default=False,
        description="the archive_case step completed in this history (older cases); newer "
        "cases hand over to an archive workflow of their own, see the `archive` item",
    )
    personal: bool = Field(default=True, description="caller's name and phones shown as is")
    intake: IntakeFacts | None = None
    final: FinalState | None = None
    entries: list[TimelineItem] = Field(default_factory=list)
    transitions: list[TransitionFact] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="what the history itself shows as odd"
    )


class TimelineError(BadDataError, ValueError):
    """The history cannot be read as a case history (no events, undecodable start)."""


def masked(timeline: Timeline) -> Timeline:
    """The timeline without the caller's name, phones and address (SMS recipients too)."""
    if not timeline.personal:
        return timeline
    copy_ = timeline.model_copy(deep=True)
    copy_.personal = False
    if copy_.intake is not None:
        intake = copy_.intake
        intake.caller_name = mask_name(intake.caller_name) if intake.caller_name else None
        intake.caller_phones = [mask_phone(p) for p in intake.caller_phones]
        intake.address = "(address recorded)" if intake.address else None
        # The one rule of what a reader without a logged purpose sees (street on confidential).
        if not disclosure(Audience.MASKED, confidential=intake.confidential).area:
            intake.street = None
    for item in copy_.entries:
        for notice in item.detail.get("notifications") or []:
            if notice.get("channel") == "sms" and notice.get("to"):
                notice["to"] = mask_phone(str(notice["to"]))
    return copy_


def as_json(timeline: Timeline) -> str:
    """The timeline as indented JSON (UTF-8 text, Chinese kept readable)."""
    return json.dumps(timeline.model_dump(mode="json"), ensure_ascii=False, indent=2)
