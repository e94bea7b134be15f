"""Builders of test data shared by several test folders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.records import CaseProjection


def received_projection(case_no: str, at: datetime, **changes: Any) -> CaseProjection:
    """The projection of a case just received at `at` (version 1, no caller data), with
    `changes` applied."""
    values: dict[str, Any] = dict(
        case_no=case_no,
        version=1,
        status="received",
        closure_reason=None,
        channel="phone",
        case_type="consultation",
        category="其他",
        urgency="normal",
        complex=False,
        district="云岩区",
        street=None,
        title="测试工单",
        content="内容",
        caller_name=None,
        caller_phone=None,
        confidential=False,
        enterprise=False,
        operator_id="op-1",
        lead_department=None,
        assisting_departments=[],
        escalation_level=0,
        overdue=False,
        ever_overdue=False,
        next_deadline=None,
        received_at=at,
        dispatched_at=None,
        signed_at=None,
        replied_at=None,
        closed_at=None,
        reopen_rounds=0,
        callback_attempts=0,
        satisfaction=None,
        resolved=None,
        merged_into=None,
        updated_at=at,
    )
    values.update(changes)
    return CaseProjection(**values)
