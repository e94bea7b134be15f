"""Views of a case's state: the SQL projection row, search attributes and the step result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes

from models import search_attributes as sa
from models.enums import CaseStatus
from models.intake import CaseIntake
from models.records import CaseProjection
from models.state import CaseState, CaseView


def case_view(state: CaseState) -> CaseView:
    lead = state.lead
    return CaseView(
        case_no=state.intake.case_no,
        status=state.status,
        closure_reason=state.closure_reason,
        lead_department=lead.department if lead else None,
        escalation_level=state.escalation_level,
        overdue=state.overdue,
        next_deadline=state.next_deadline,
        version=len(state.timeline),
    )


def projection(state: CaseState, now: datetime) -> CaseProjection:
    intake = state.intake
    lead = state.lead
    reached = [c for c in state.callbacks if c.reached]
    last_reached = reached[-1] if reached else None
    return CaseProjection(
        case_no=intake.case_no,
        version=len(state.timeline),
        status=state.status.value,
        closure_reason=state.closure_reason.value if state.closure_reason else None,
        channel=intake.channel.value,
        case_type=intake.case_type.value,
        category=intake.category,
        urgency=intake.urgency.value,
        complex=intake.complex,
        district=intake.location.district,
        street=intake.location.street,
        title=intake.title,
        content=intake.content,
        caller_name=intake.caller.name,
        caller_phone=intake.caller.phones[0] if intake.caller.phones else None,
        confidential=intake.caller.confidential,
        enterprise=intake.caller.enterprise,
        operator_id=intake.operator_id,
        lead_department=lead.department if lead else None,
        assisting_departments=[a.department for a in state.assignments if a.active and not a.lead],
        escalation_level=state.escalation_level,
        overdue=state.overdue,
        ever_overdue=state.ever_overdue,
        next_deadline=state.next_deadline,
        received_at=state.received_at,
        dispatched_at=lead.dispatched_at if lead else None,
        signed_at=lead.signed_at if lead else None,
        replied_at=state.replies[-1].at if state.replies else None,
        closed_at=state.closed_at,
        reopen_rounds=state.reopen_rounds,
        callback_attempts=len(state.callbacks),
        satisfaction=last_reached.satisfaction.value
        if last_reached and last_reached.satisfaction
        else None,
        resolved=last_reached.resolved if last_reached else None,
        merged_into=state.merged_into,
        updated_at=now,
    )


def search_attribute_updates(state: CaseState) -> list[SearchAttributeUpdate[Any]]:
    lead = state.lead
    next_deadline = state.next_deadline if state.status is not CaseStatus.CLOSED else None
    updates: list[SearchAttributeUpdate[Any]] = [
        sa.CASE_STATUS.value_set(state.status.value),
        sa.CASE_TYPE.value_set(state.intake.case_type.value),
        sa.URGENCY.value_set(state.intake.urgency.value),
        sa.DISTRICT.value_set(state.intake.location.district),
        sa.ESCALATION_LEVEL.value_set(state.escalation_level),
        sa.OVERDUE.value_set(state.overdue),
        sa.LEAD_DEPARTMENT.value_set(lead.department) if lead else sa.LEAD_DEPARTMENT.value_unset(),
        sa.NEXT_DEADLINE.value_set(next_deadline)
        if next_deadline
        else sa.NEXT_DEADLINE.value_unset(),
    ]
    return updates


def initial_search_attributes(intake: CaseIntake) -> TypedSearchAttributes:
    """Set at start by the client, so a case is listable before its first task runs."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.CASE_STATUS, CaseStatus.RECEIVED.value),
            SearchAttributePair(sa.CASE_TYPE, intake.case_type.value),
            SearchAttributePair(sa.URGENCY, intake.urgency.value),
            SearchAttributePair(sa.DISTRICT, intake.location.district),
            SearchAttributePair(sa.ESCALATION_LEVEL, 0),
            SearchAttributePair(sa.OVERDUE, False),
        ]
    )
