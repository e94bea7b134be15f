"""The access log of personal data on real databases: append, filter, never a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from db.tables import AccessLogRow
from rules.permissions import Principal, Role
from services.access_log import access_entries, record_access

OPERATOR = Principal("op-001", Role.OPERATOR)
AUDITOR = Principal("aud-001", Role.AUDITOR)
DEPARTMENT = Principal("dept-water", Role.DEPARTMENT, "gy-water")
CASE_A = "GY20261128-000001"
CASE_B = "GY20261128-000002"


def test_an_access_is_recorded_with_who_what_and_why(session_factory):
    before = datetime.now(UTC)
    record_access(
        session_factory,
        OPERATOR,
        CASE_A,
        ["caller.name", "caller.phones"],
        "callback to the caller",
    )
    [entry] = access_entries(session_factory)
    assert entry.user_id == "op-001"
    assert entry.role is Role.OPERATOR
    assert entry.case_no == CASE_A
    assert entry.fields == ["caller.name", "caller.phones"]
    assert entry.purpose == "callback to the caller"
    assert entry.action == "view"
    assert entry.masked is False
    assert before - timedelta(seconds=1) <= entry.at <= datetime.now(UTC) + timedelta(seconds=1)


def test_entries_come_newest_first_and_filter(session_factory):
    record_access(session_factory, OPERATOR, CASE_A, ["caller.name"], "intake check")
    record_access(session_factory, DEPARTMENT, CASE_A, ["caller.phones"], "handling", masked=True)
    record_access(
        session_factory, AUDITOR, CASE_B, ["caller.name"], "quarterly audit", action="export"
    )
    entries = access_entries(session_factory)
    assert [e.user_id for e in entries] == ["aud-001", "dept-water", "op-001"]
    assert [e.user_id for e in access_entries(session_factory, case_no=CASE_A)] == [
        "dept-water",
        "op-001",
    ]
    [export] = access_entries(session_factory, user_id="aud-001")
    assert (export.action, export.case_no) == ("export", CASE_B)
    [masked] = access_entries(session_factory, case_no=CASE_A, user_id="dept-water")
    assert masked.masked is True
    assert access_entries(session_factory, case_no=CASE_B, user_id="op-001") == []
    assert [e.user_id for e in access_entries(session_factory, limit=2)] == [
        "aud-001",
        "dept-water",
    ]

    middle = entries[1].at
    assert [e.user_id for e in access_entries(session_factory, since=middle)] == [
        "aud-001",
        "dept-water",
    ]
    assert [e.user_id for e in access_entries(session_factory, until=middle)] == ["op-001"]
    assert [
        e.user_id for e in access_entries(session_factory, since=middle, until=entries[0].at)
    ] == ["dept-water"]


@pytest.mark.parametrize(
    ("fields", "purpose", "action", "error"),
    [
        ([], "why", "view", "at least one field"),
        ("caller.name", "why", "view", "not one string"),
        (["caller.name", "13800001234"], "why", "view", r"positions \[1\]"),
        (["张三"], "why", "view", r"positions \[0\]"),
        (["caller.name"], "   ", "view", "purpose"),
        (["caller.name"], "x" * 501, "view", "purpose"),
        (["caller.name"], "why", "delete", "unknown access action"),
    ],
)
def test_invalid_entries_are_refused_without_echoing_values(
    session_factory, fields, purpose, action, error
):
    with pytest.raises(ValueError, match=error) as refused:
        record_access(session_factory, OPERATOR, CASE_A, fields, purpose, action=action)
    assert "13800001234" not in str(refused.value)
    assert "张三" not in str(refused.value)
    assert access_entries(session_factory) == []


def test_the_limit_is_bounded(session_factory):
    for limit in (0, 1001):
        with pytest.raises(ValueError, match="limit"):
            access_entries(session_factory, limit=limit)


def test_the_database_refuses_an_unknown_action(session_factory):
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(
            AccessLogRow(
                at=datetime.now(UTC),
                user_id="op-001",
                role="operator",
                case_no=CASE_A,
                fields=["caller.name"],
                purpose="why",
                action="delete",
                masked=False,
            )
        )
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AccessLogRow)) == 0
