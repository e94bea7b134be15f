"""What a reviewer reads beside a review form, from the case as it is disclosed to the reader.

A return review shows the department's return (reason, legal basis, note); an extension
decision the days asked for, the reason and the handling deadline they would move; a reply
review the reply itself and who wrote it. Each comes from the case's own state: its timeline
entries (the workflow records each request with its reason) and its replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.console.forms import waiting_extension
from models.actions import Action
from models.state import CaseState, ReplyRecord, TimelineEntry
from rules.extension import request_cutoff
from workflows.case.clocks import HANDLING_KEY


@dataclass(frozen=True)
class ReturnAsked:
    department: str
    reason: str
    legal_basis: str
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class ExtensionAsked:
    department: str
    working_days: int
    reason: str
    by: str
    at: datetime | None
    handling_due: datetime | None
    cutoff: datetime | None


@dataclass(frozen=True)
class ReplyWritten:
    reply: ReplyRecord
    by: str


@dataclass(frozen=True)
class Reviews:
    returned: ReturnAsked | None = None
    extension: ExtensionAsked | None = None
    reply: ReplyWritten | None = None


def _last(state: CaseState, action: Action) -> TimelineEntry | None:
    return next((e for e in reversed(state.timeline) if e.action == action), None)


def _text(entry: TimelineEntry | None, key: str) -> str:
    if entry is None:
        return ""
    value = entry.detail.get(key)
    return "" if value is None else str(value)


def returned(state: CaseState) -> ReturnAsked | None:
    entry = _last(state, Action.RETURN)
    if entry is None:
        return None
    return ReturnAsked(
        department=_text(entry, "department"),
        reason=_text(entry, "reason"),
        legal_basis=_text(entry, "legal_basis"),
        note=_text(entry, "note"),
        by=entry.actor,
        at=entry.at,
    )


def extension_asked(state: CaseState) -> ExtensionAsked | None:
    lead = waiting_extension(state)
    if lead is None or lead.extension_requested_days is None:
        return None
    entry = _last(state, Action.EXTENSION_REQUESTED)
    handling = state.clock(HANDLING_KEY)
    due = handling.deadline.due if handling is not None else None
    return ExtensionAsked(
        department=lead.department,
        working_days=lead.extension_requested_days,
        reason=_text(entry, "reason"),
        by=entry.actor if entry is not None else "",
        at=lead.extension_requested_at,
        handling_due=due,
        cutoff=request_cutoff(due) if due is not None else None,
    )


def reply_written(state: CaseState) -> ReplyWritten | None:
    if not state.replies:
        return None
    entry = _last(state, Action.REPLY)
    return ReplyWritten(state.replies[-1], entry.actor if entry is not None else "")


def reviews(state: CaseState) -> Reviews:
    """What each review form of this case shows beside it."""
    return Reviews(returned(state), extension_asked(state), reply_written(state))
