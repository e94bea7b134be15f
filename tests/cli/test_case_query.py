"""`hotline case list --query`: the visibility-query text read as a filter of the SQL case list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.enums import CaseStatus, CaseType
from services.case_list import CaseFilter
from services.case_query import TICK, case_filter
from services.cases import CaseQueryError


def test_no_text_lists_every_case() -> None:
    assert case_filter(None) == case_filter("  ") == CaseFilter()


def test_conditions_joined_by_and_fill_the_filter() -> None:
    wanted = case_filter(
        "LeadDepartment='gy-market' and CaseStatus IN ('dispatched', 'handling') "
        "AND District=\"云岩区\" AND Overdue=true AND CaseType='complaint' "
        "AND WorkflowId='case-GY20261128-000001'"
    )
    assert wanted == CaseFilter(
        status=(CaseStatus.DISPATCHED, CaseStatus.HANDLING),
        case_type=(CaseType.COMPLAINT,),
        lead_department="gy-market",
        district="云岩区",
        overdue=True,
        case_no="GY20261128-000001",
    )


def test_ranges_of_level_and_deadline_meet() -> None:
    at = datetime(2026, 12, 1, 10, tzinfo=UTC)
    wanted = case_filter(
        "EscalationLevel > 0 AND EscalationLevel <= 2 "
        "AND NextDeadline >= '2026-12-01T18:00:00+08:00' "
        "AND NextDeadline <= '2026-12-01T18:00:00+08:00'"
    )
    assert (wanted.min_escalation_level, wanted.max_escalation_level) == (1, 2)
    assert (wanted.due_after, wanted.due_before) == (at, at + TICK)
    assert case_filter("EscalationLevel = 2").min_escalation_level == 2
    assert case_filter("NextDeadline < '2026-12-01T10:00:00Z'").due_before == at
    assert case_filter("NextDeadline > '2026-12-01T10:00:00Z'").due_after == at + TICK


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("NoSuchThing='x'", "unknown attribute 'NoSuchThing'"),
        ("CaseStatus='open'", "CaseStatus: 'open' is not one of"),
        ("Overdue=true OR Overdue=false", "joined by AND"),
        ("CaseStatus='closed' AND CaseStatus='received'", "CaseStatus appears twice"),
        ("Overdue='yes'", "Overdue takes = true or = false"),
        ("EscalationLevel >= 'two'", "EscalationLevel takes"),
        ("NextDeadline < '2026-12-01T10:00:00'", "NextDeadline: "),
        ("WorkflowId='GY20261128-000001'", "case-<case number>"),
        ("Faulted=true", "hotline case faults"),
        ("CaseStatus =", "expected a value"),
        ("CaseStatus IN ('closed'", "IN takes a list"),
        ("'closed'", "expected an attribute name"),
        ("CaseStatus ~ 'x'", "cannot read"),
    ],
)
def test_what_cannot_be_read_is_an_invalid_query(query: str, why: str) -> None:
    with pytest.raises(CaseQueryError) as refused:
        case_filter(query)
    assert str(refused.value).startswith("invalid query: ")
    assert why in str(refused.value)
