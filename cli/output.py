"""What the CLI prints: one-line-per-fact views of cases, with the caller's personal data masked.

Times are shown in Asia/Shanghai local time. `--json` output is the pydantic model as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import typer
from pydantic import BaseModel, TypeAdapter

from models.enums import CaseStatus, ClosureReason
from models.intake import Caller, Location
from models.privacy import mask_name, mask_phone
from models.state import CaseState, CaseView, Clock, TimelineEntry
from models.timestamps import BEIJING
from services.case_list import CaseListing

NONE = "-"


def local_time(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if at else NONE


def emit_json(model: BaseModel) -> None:
    typer.echo(model.model_dump_json(indent=2))


def emit_lines(lines: Iterable[str]) -> None:
    for line in lines:
        typer.echo(line)


def emit_view(view: CaseView, as_json: bool) -> None:
    if as_json:
        emit_json(view)
    else:
        emit_lines(view_lines(view))


def emit_listings(listings: Sequence[CaseListing], as_json: bool) -> None:
    if as_json:
        typer.echo(TypeAdapter(list[CaseListing]).dump_json(list(listings), indent=2).decode())
    else:
        emit_lines(listing_lines(listings))


def _status(status: CaseStatus, closure_reason: ClosureReason | None) -> str:
    return f"{status.value} ({closure_reason.value})" if closure_reason else status.value


def _overdue(state: CaseState) -> str:
    if state.overdue:
        return "yes"
    return "no (was overdue earlier)" if state.ever_overdue else "no"


def _facts(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [f"  {label:<15} {value}" for label, value in pairs]


def view_lines(view: CaseView) -> list[str]:
    return [
        f"case {view.case_no}: {_status(view.status, view.closure_reason)}",
        *_facts(
            [
                ("lead", view.lead_department or NONE),
                ("next deadline", local_time(view.next_deadline)),
                ("escalation", f"level {view.escalation_level}"),
                ("overdue", "yes" if view.overdue else "no"),
            ]
        ),
    ]


def caller_line(caller: Caller, as_given: bool = False) -> str:
    """The caller, masked; `as_given`: as the caller was disclosed to the reader."""
    if as_given:
        parts = [caller.name or "(anonymous)", *caller.phones]
    else:
        parts = [mask_name(caller.name), *(mask_phone(p) for p in caller.phones)]
    if caller.confidential:
        parts.append("(confidential)")
    if caller.enterprise:
        parts.append("(enterprise)")
    return "  ".join(parts)


def location_line(location: Location, as_given: bool = False) -> str:
    """The place; the address and coordinates only `as_given` (as disclosed to the reader)."""
    parts = [location.district, *(p for p in (location.street, location.community) if p)]
    if location.address:
        parts.append(location.address if as_given else "(address recorded)")
    if as_given and location.latitude is not None and location.longitude is not None:
        parts.append(f"({location.latitude}, {location.longitude})")
    return " ".join(parts)


def clock_line(clock: Clock) -> str:
    moved = f", originally {local_time(clock.original_due)}" if clock.original_due else ""
    return (
        f"    {clock.key:<18} {clock.owner:<14} due {local_time(clock.deadline.due)}"
        f"  {clock.stage.value}{moved}"
    )


def timeline_line(entry: TimelineEntry) -> str:
    before = entry.from_status.value if entry.from_status else NONE
    detail = " ".join(f"{key}={value}" for key, value in entry.detail.items())
    return (
        f"  {entry.seq:>3}  {local_time(entry.at)}  {entry.action:<20} {entry.actor:<12} "
        f"{before} -> {entry.to_status.value}  {detail}".rstrip()
    )


def state_lines(state: CaseState, personal: bool = False) -> list[str]:
    """The case as an operator reads it; the caller's name and phones are masked unless
    `personal` (the state was disclosed to a reader who may see them: `rules.disclosure`)."""
    intake = state.intake
    lead = state.lead
    assisting = [a.department for a in state.assignments if a.active and not a.lead]
    lines = [
        f"case {intake.case_no}: {_status(state.status, state.closure_reason)}",
        *_facts(
            [
                ("type", f"{intake.case_type.value}  {intake.category}"),
                ("urgency", intake.urgency.value + ("  complex" if intake.complex else "")),
                ("channel", intake.channel.value),
                ("title", intake.title),
                ("content", intake.content),
                ("caller", caller_line(intake.caller, personal)),
                ("location", location_line(intake.location, personal)),
                ("received", local_time(state.received_at)),
                ("lead", _assignment(lead.department, lead.signed_at) if lead else NONE),
                ("assisting", ", ".join(assisting) or NONE),
                ("next deadline", local_time(state.next_deadline)),
                ("escalation", f"level {state.escalation_level}"),
                ("overdue", _overdue(state)),
            ]
        ),
    ]
    if state.closed_at:
        lines += _facts([("closed", local_time(state.closed_at))])
    if state.merged_into:
        lines += _facts([("merged into", state.merged_into)])
    if state.merged_cases:
        lines += _facts([("merged cases", ", ".join(state.merged_cases))])
    if state.clocks:
        lines.append("  clocks:")
        lines += [clock_line(clock) for clock in state.clocks]
    for reply in state.replies:
        verdict = {None: "waiting for review", True: "approved", False: "rejected"}[reply.approved]
        lines.append(
            f"  reply {local_time(reply.at)} {reply.department} ({reply.officer}): "
            f"{reply.result.value}, {'on time' if reply.on_time else 'late'}, {verdict}"
        )
    for callback in state.callbacks:
        outcome = (
            f"reached, resolved={callback.resolved}, "
            f"{callback.satisfaction.value if callback.satisfaction else NONE}"
            if callback.reached
            else "not reached"
        )
        lines.append(f"  callback {local_time(callback.at)} by {callback.by}: {outcome}")
    lines += [f"  warning: {warning}" for warning in state.warnings]
    lines.append("timeline:")
    lines += [timeline_line(entry) for entry in state.timeline]
    return lines


def _assignment(department: str, signed_at: datetime | None) -> str:
    return f"{department} (signed {local_time(signed_at)})" if signed_at else department


LISTING_HEADER = (
    "CASE NO",
    "STATUS",
    "TYPE",
    "URGENCY",
    "LEAD",
    "DISTRICT",
    "LEVEL",
    "OVERDUE",
    "NEXT DEADLINE",
)
LISTING_WIDTHS = (18, 14, 13, 8, 16, 12, 5, 7, 16)


def listing_lines(listings: Sequence[CaseListing]) -> list[str]:
    rows = [LISTING_HEADER] + [
        (
            c.case_no,
            c.status.value if c.status else NONE,
            c.case_type.value if c.case_type else NONE,
            c.urgency.value if c.urgency else NONE,
            c.lead_department or NONE,
            c.district or NONE,
            str(c.escalation_level),
            "yes" if c.overdue else "no",
            local_time(c.next_deadline),
        )
        for c in listings
    ]
    lines = [
        " ".join(f"{cell:<{width}}" for cell, width in zip(row, LISTING_WIDTHS, strict=True))
        for row in rows
    ]
    lines = [line.rstrip() for line in lines]
    lines.append(f"{len(listings)} case(s)")
    return lines
