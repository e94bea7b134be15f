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
