"""Views of a case's state: the SQL projection row, search attributes and the step result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, SearchAttributeUpdate, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from models import search_attributes as sa
    from models.enums import CaseStatus
    from models.intake import CaseIntake
    from models.records import CaseProjection
    from models.state import CaseState, CaseView


def case_view(state: CaseState, intake_complete: bool = True) -> CaseView:
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
        intake_complete=intake_complete,
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
        latitude=intake.location.latitude,
        longitude=intake.location.longitude,
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


SearchAttributeValues = dict[str, Any]
"""Search attribute name -> value; None means unset."""


def search_attributes(state: CaseState) -> SearchAttributeValues:
    lead = state.lead
    closed = state.status is CaseStatus.CLOSED
    return {
        sa.CASE_STATUS.name: state.status.value,
        sa.CASE_TYPE.name: state.intake.case_type.value,
        sa.URGENCY.name: state.intake.urgency.value,
        sa.DISTRICT.name: state.intake.location.district,
        sa.ESCALATION_LEVEL.name: state.escalation_level,
        sa.OVERDUE.name: state.overdue,
        sa.LEAD_DEPARTMENT.name: lead.department if lead else None,
        sa.NEXT_DEADLINE.name: None if closed else state.next_deadline,
    }


def current_search_attributes(typed: TypedSearchAttributes) -> SearchAttributeValues:
    """What the workflow started with (from its start event, so deterministic on replay)."""
    return {key.name: typed.get(key) for key in sa.ALL_KEYS}


def search_attribute_updates(values: SearchAttributeValues) -> list[SearchAttributeUpdate[Any]]:
    keys = {key.name: key for key in sa.ALL_KEYS}
    return [
        keys[name].value_unset() if value is None else keys[name].value_set(value)
        for name, value in values.items()
    ]


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
