"""Every change to the case workflow's commands since the first cases ran, and the one patch a
new case asks for.

A change behind `workflow.patched(id)` costs each case that takes it a marker event and a
`TemporalChangeVersion` search-attribute upsert, about 300 bytes of history per change. A case
started under `ENGINE_PATCH` (asked in its first workflow task, before any command) takes every
change of `IMPLIED` without asking for it, so its history holds one marker instead of one per
change. A case started before `ENGINE_PATCH` finds no marker for it and asks for each change
where it always did, so its history replays as it was recorded.

A new change gets its own patch id, asked with `taken()` where the change is; `IMPLIED` only
ever lists changes older than `ENGINE_PATCH`.
"""

from __future__ import annotations

from temporalio import workflow

DELTA_PATCH = "record-transition-delta"
"""A record after the first carries only the projection fields that changed
(`models.records.ProjectionDelta`); before, the whole projection each time. Asked when the case
starts: a marker asked for later, after a local activity, can land in another workflow task on
replay than it did live."""

INTAKE_ROUTE_PATCH = "intake-route-alongside-record"
"""An intake naming its lead department checks the departments while the intake is recorded
(`route_case` beside the first `record_transition`); before, one after the other. Asked before
the case's first command, in its first workflow task."""

FAULTS_PATCH = "faults-instead-of-failures"
"""A non-retryable activity failure opens a fault and the case goes on; before, the case
failed."""

ESCALATION_DEADLINE_OFFSET_PATCH = "escalation-deadline-needs-offset"
"""A supervisor's deadline without a UTC offset is refused; before, it was read as Beijing
time."""

ARCHIVE_HISTORY_PATCH = "archive-history-at-closure"
"""A closed case keeps its complete history (the `ArchiveCaseWorkflow` child); before, it
stamped its projection."""

ENGINE_PATCH = "case-engine-2026-12"
"""Every change of `IMPLIED`, in one marker."""

IMPLIED = frozenset(
    {
        DELTA_PATCH,
        INTAKE_ROUTE_PATCH,
        FAULTS_PATCH,
        ESCALATION_DEADLINE_OFFSET_PATCH,
        ARCHIVE_HISTORY_PATCH,
    }
)


def ask_engine_patch() -> bool:
    """Asked first thing in every run: True for a case started under `ENGINE_PATCH`. The SDK
    keeps the answer for the run, so `taken()` asking it again adds nothing to the history."""
    return workflow.patched(ENGINE_PATCH)


def taken(patch_id: str) -> bool:
    """Whether this run takes the change behind `patch_id`."""
    if patch_id in IMPLIED and ask_engine_patch():
        return True
    return workflow.patched(patch_id)
