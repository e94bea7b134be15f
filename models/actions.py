"""The timeline's vocabulary: every action a case's transition log can record.

Each value is the exact string written into the hash-chained log, the workflow histories and the
migrations, so a value never changes; `Action` is a `StrEnum`, equal to its string, and matches
rows written long before it existed. Add a member here first when the process gains a step, then
teach the readers that match on it (evaluation facts, audit words, Open311 notes, progress page).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # intake
    INTAKE = "intake"
    INTAKE_MERGE = "intake_merge"
    # assignment
    DISPATCH = "dispatch"
    DISPATCH_REFUSED = "dispatch_refused"
    # department handling
    SIGN_OFF = "sign_off"
    RETURN = "return"
    RETURN_APPROVED = "return_approved"
    RETURN_REJECTED = "return_rejected"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_DECIDED = "extension_decided"
    ASSIST_INPUT = "assist_input"
    REPLY = "reply"
    REPLY_APPROVED = "reply_approved"
    REPLY_REJECTED = "reply_rejected"
    # supervision
    DEADLINE_WARNING = "deadline_warning"
    DEADLINE_OVERDUE = "deadline_overdue"
    DEADLINE_LEVEL2 = "deadline_level2"
    URGE = "urge"
    ESCALATE = "escalate"
    ESCALATION_REFUSED = "escalation_refused"
    NOTE = "note"
    # callback and closure
    CALLBACK = "callback"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    PRAISE_CLOSED = "praise_closed"
    # merging
    MERGE = "merge"
    MERGE_FAILED = "merge_failed"
    MERGED_CASE_LINKED = "merged_case_linked"
    # repair
    FAULTS_RETRIED = "faults_retried"
