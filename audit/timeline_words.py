"""The plain words of a timeline: times in Beijing time, deadlines and transitions described."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from audit.timeline_model import IntakeFacts, ItemKind, TransitionFact
from models.actions import Action
from models.state import Deadline
from models.timestamps import BEIJING

CLOSED = "closed"
STEP_WORDS: dict[str, str] = {
    "dispatch": "dispatch",
    "sign_off": "sign-off",
    "return_window": "return window",
    "return_review": "return review",
    "handling": "handling",
    "assist_input": "assisting input",
    "extension_review": "extension review",
    "reply_review": "reply review",
    "redo": "redo",
    "callback": "callback",
    "reopen": "reopen handling",
    "praise_close": "praise close",
}


def local(at: datetime | None, seconds: bool = False) -> str:
    """`2026-12-10 18:00 (+08:00)`: a time as the hotline reads it, in Asia/Shanghai."""
    if at is None:
        return "-"
    moment = at.astimezone(BEIJING)
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M{':%S' if seconds else ''}} ({offset[:3]}:{offset[3:]})"


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return local(value)
    if isinstance(value, str):
        try:
            return local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return "-"


def in_words(code: Any) -> str:
    return str(code).replace("_", " ")


def _step(step: Any) -> str:
    return STEP_WORDS.get(str(step), in_words(step))


def _number(value: float) -> str:
    return f"{value:g}"


def describe_deadline(deadline: Deadline, context: str = "") -> str:
    """`handling deadline computed: due 2026-12-10 18:00 (+08:00), 10 working days`."""
    name = _step(deadline.step.value)
    if deadline.working_days is not None:
        size = f", {deadline.working_days} working day{'s' if deadline.working_days != 1 else ''}"
    elif deadline.hours is not None:
        size = f", {_number(deadline.hours)} hour{'s' if deadline.hours != 1 else ''}"
    else:
        size = ""
    verb = "computed"
    if context == "decide_extension":
        verb = "moved by the approved extension"
    elif context == "escalate":
        verb = "set by the supervisor"
    summary = f"{name} deadline {verb}: due {local(deadline.due)}{size}"
    summary += f"; warning at {local(deadline.warn_at)}"
    for warning in deadline.calendar_warnings:
        summary += f"; calendar: {warning}"
    return summary


def _recipients(notifications: list[dict[str, Any]], *templates: str) -> list[str]:
    return [
        "the citizen (SMS)" if n.get("channel") == "sms" else str(n.get("to"))
        for n in notifications
        if n.get("template") in templates
    ]


def _sent(notifications: list[dict[str, Any]], what: str, *templates: str) -> str:
    recipients = _recipients(notifications, *templates)
    return f"; {what} sent to {', '.join(recipients)}" if recipients else ""


def describe_transition(
    fact: TransitionFact,
    notifications: list[dict[str, Any]],
    intake: IntakeFacts | None = None,
) -> tuple[ItemKind, str]:
    """The kind of a transition and the sentence an auditor reads for it."""
    d = fact.detail
    actor = fact.actor
    action = fact.action
    closing = fact.to_status == CLOSED and fact.from_status != CLOSED
    closed = f" — case closed ({in_words(d.get('closure_reason', 'closed'))})" if closing else ""
    department = d.get("department", actor)
    note = f": {d['note']}" if d.get("note") else ""
    kind = ItemKind.CLOSURE if closing else ItemKind.STEP
    summary: str
    if action == Action.INTAKE:
        outcome = in_words(d.get("outcome", "dispatch"))
        summary = f"case taken in by {actor} via {d.get('channel', '-')} ({outcome})"
        if intake is not None:
            summary += f": {in_words(intake.case_type)}, {intake.category}, "
            summary += f"{in_words(intake.urgency)} urgency" + (
                ", complex" if intake.complex else ""
            )
        summary += closed
        return ItemKind.INTAKE, summary
    if action == Action.DISPATCH:
        assisting = d.get("assisting_departments") or []
        summary = f"dispatched by {actor} to {d.get('lead_department')} (lead)"
        if assisting:
            summary += f", assisting {', '.join(map(str, assisting))}"
        if d.get("catalogue_fallback"):
            summary += " — catalogue fallback to the district government"
        summary += note
    elif action == Action.SIGN_OFF:
        role = " as assisting department" if d.get("assisting") else ""
        summary = f"{department} signed for the case{role}{closed}"
    elif action == Action.RETURN:
        summary = (
            f"{department} returned the case: {in_words(d.get('reason'))}"
            f" (legal basis: {d.get('legal_basis')})"
        )
    elif action == Action.RETURN_APPROVED:
        summary = f"return of {department} approved by {actor}{note}"
    elif action == Action.RETURN_REJECTED:
        summary = f"return of {department} rejected by {actor}{note}; back to {department}"
    elif action == Action.EXTENSION_REQUESTED:
        days = d.get("working_days")
        summary = f"{department} asked for an extension of {days} working days: {d.get('reason')}"
    elif action == Action.EXTENSION_DECIDED:
        if d.get("approved"):
            summary = (
                f"extension approved by {actor}: {d.get('working_days')} working days, "
                f"new due {_time(d.get('new_due'))}"
            )
        else:
            summary = f"extension refused by {actor}"
    elif action == Action.ASSIST_INPUT:
        summary = f"{department} sent its assisting input"
    elif action == Action.REPLY:
        timing = "on time" if d.get("on_time") else "late"
        summary = (
            f"{department} replied: {in_words(d.get('result'))} "
            f"(responsible officer {d.get('officer')}), {timing}"
        )
    elif action == Action.REPLY_APPROVED:
        follow = "" if closing else "; the citizen is called back next"
        summary = f"reply approved by {actor}{note}{follow}{closed}"
    elif action == Action.REPLY_REJECTED:
        summary = f"reply rejected by {actor}{note}; the department redoes it"
    elif action in (Action.CALLBACK, Action.REOPEN):
        kind = ItemKind.CLOSURE if closing else ItemKind.CALLBACK
        if d.get("reached"):
            resolved = "resolved" if d.get("resolved") else "not resolved"
            result = f"reached, {in_words(d.get('satisfaction'))}, {resolved}"
        else:
            result = "citizen not reached"
        summary = f"callback by {actor} (attempt {d.get('attempt', '-')}): {result}"
        if action == Action.REOPEN:
            summary += f" — reopened for handling, round {d.get('round')}"
        summary += closed
    elif action == Action.WITHDRAW:
        summary = f"case withdrawn by {actor}: {d.get('reason')}{closed}"
    elif action in (Action.MERGE, Action.INTAKE_MERGE):
        summary = f"merged into case {d.get('master_case_no')} by {actor}{closed}"
    elif action == Action.MERGE_FAILED:
        kind = ItemKind.REFUSED
        summary = (
            f"merge into case {d.get('master_case_no')} failed: the master case is not open; "
            "kept for dispatch"
        )
    elif action == Action.DISPATCH_REFUSED:
        kind = ItemKind.REFUSED
        summary = f"dispatch at intake refused: {d.get('reason')}"
    elif action == Action.MERGED_CASE_LINKED:
        kind = ItemKind.SIGNAL
        summary = f"case {d.get('case_no')} was merged into this case by {actor}"
    elif action == Action.URGE:
        kind = ItemKind.URGING
        summary = f"urged by {actor}{note}" + _sent(notifications, "urging notice", "urging_notice")
    elif action == Action.NOTE:
        summary = f"note by {actor}{note}"
    elif action == Action.ESCALATE:
        kind = ItemKind.ESCALATION
        level, requested = d.get("level"), d.get("requested_level")
        if level == requested:
            summary = f"escalated to level {level} by {actor}"
        else:
            summary = f"escalation to level {requested} by {actor}; the case stays at level {level}"
        summary += f": {d['note']}" if d.get("note") else ""
        if d.get("new_deadline"):
            summary += f"; new deadline {_time(d.get('new_deadline'))}"
        if d.get("deadline_ignored"):
            summary += f"; requested deadline ignored ({d['deadline_ignored']})"
    elif action == Action.ESCALATION_REFUSED:
        kind = ItemKind.REFUSED
        summary = f"escalation signal from {actor} refused: {d.get('reason')}"
    elif action in (Action.DEADLINE_WARNING, Action.DEADLINE_OVERDUE, Action.DEADLINE_LEVEL2):
        step, owner, due = _step(d.get("step")), d.get("owner"), _time(d.get("due"))
        if action == Action.DEADLINE_WARNING:
            kind = ItemKind.WARNING
            summary = f"warning: the {step} deadline of {owner} (due {due}) is near"
            summary += _sent(notifications, "warning notice", "warning")
        elif action == Action.DEADLINE_OVERDUE:
            kind = ItemKind.OVERDUE
            summary = f"overdue: the {step} deadline of {owner} passed (due {due})"
            summary += _sent(notifications, "urging notice", "urging_notice")
            summary += f"; escalation level {d.get('escalation_level')}"
        else:
            kind = ItemKind.ESCALATION
            summary = (
                f"still overdue: the {step} deadline of {owner} (due {due}); "
                f"escalation level {d.get('escalation_level')}"
            )
            summary += _sent(notifications, "escalation notice", "escalation_notice")
        summary += closed
    elif action == Action.PRAISE_CLOSED:
        summary = f"praise noted by the system{closed}"
    else:
        kind = ItemKind.CLOSURE if closing else ItemKind.OTHER
        summary = f"{in_words(action)} by {actor}: {fact.from_status or '-'} -> {fact.to_status}"
        summary += closed
    return kind, summary
