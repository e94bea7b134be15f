"""Search attributes of a case: what lists filter on. Never personal data."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
CASE_TYPE = SearchAttributeKey.for_keyword("CaseType")
URGENCY = SearchAttributeKey.for_keyword("Urgency")
LEAD_DEPARTMENT = SearchAttributeKey.for_keyword("LeadDepartment")
DISTRICT = SearchAttributeKey.for_keyword("District")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
# Set only by a case that met a fault (workflows/case/recording.py): true while one is open.
# Not set at start nor kept with the keys below, so a case that never faulted issues no command
# for it.
FAULTED = SearchAttributeKey.for_bool("Faulted")

ALL_KEYS = (
    CASE_STATUS,
    CASE_TYPE,
    URGENCY,
    LEAD_DEPARTMENT,
    DISTRICT,
    ESCALATION_LEVEL,
    OVERDUE,
    NEXT_DEADLINE,
)
