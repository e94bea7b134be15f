"""What the synthetic cases of the scale benchmarks share: the shares of a 12345 year and the
columns of a `cases` row, in the order each benchmark's INSERT ... SELECT writes them."""

from __future__ import annotations

Weights = tuple[tuple[str, float], ...]

CASE_TYPES: Weights = (
    ("complaint", 36),
    ("consultation", 24),
    ("help", 20),
    ("report", 8),
    ("suggestion", 7),
    ("praise", 2),
    ("other", 3),
)
CHANNELS: Weights = (
    ("phone", 72),
    ("wechat", 12),
    ("web", 7),
    ("app", 5),
    ("sms", 2),
    ("mailbox", 1),
    ("open311", 1),
)
INTAKE_CLOSURES: Weights = (
    ("direct_answer", 80),
    ("three_way_call", 12),
    ("not_accepted", 5),
    ("emergency_handoff", 3),
)
DISPATCHED_CLOSURES: Weights = (
    ("resolved", 86),
    ("callback_unreachable", 6),
    ("no_callback_required", 4),
    ("closed_unresolved", 3),
    ("withdrawn", 1),
)

CASE_COLUMNS = """\
    case_no, version, status, closure_reason, channel, case_type, category, urgency, complex,
    district, street, title, content, caller_name, caller_phone, confidential, enterprise,
    operator_id, lead_department, assisting_departments, escalation_level, overdue,
    ever_overdue, next_deadline, received_at, dispatched_at, signed_at, replied_at, closed_at,
    reopen_rounds, callback_attempts, satisfaction, resolved, merged_into, updated_at,
    archived_at"""
"""Every column of `cases`, as an INSERT lists them."""
