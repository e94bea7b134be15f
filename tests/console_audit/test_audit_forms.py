"""The auditor's search and access-log forms read into the service layer's filters, and the
access log paged by its keyset on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.console.audit_filters import FormError, case_search, log_cursor, log_query
from db.engine import SessionFactory
from models.enums import CaseStatus, CaseType
from models.timestamps import BEIJING
from rules.permissions import Principal, Role
from services.access_log import access_entries, record_access


def test_a_case_number_finds_that_case_and_other_text_searches_titles() -> None:
    assert case_search({"q": " GY20261128-000123 "}).case_no == "GY20261128-000123"
    by_title = case_search({"q": "停水", "status": "closed", "case_type": "report", "level": "2"})
    assert by_title.case_no is None and by_title.title_contains == "停水"
    assert by_title.status == (CaseStatus.CLOSED,) and by_title.case_type == (CaseType.REPORT,)
    assert by_title.min_escalation_level == 2
    assert case_search({"overdue": "true"}).overdue is True
    assert case_search({}).overdue is None


def test_bad_search_fields_are_named() -> None:
    with pytest.raises(FormError) as refused:
        case_search({"status": "lost", "level": "9", "overdue": "maybe", "department": "A B"})
    assert set(refused.value.errors) == {"status", "level", "overdue", "department"}
    with pytest.raises(FormError) as long:
        case_search({"q": "长" * 65})
    assert "64" in long.value.errors["q"]


def test_log_days_are_beijing_days_and_the_last_day_is_included() -> None:
    query = log_query({"user": "aud-1", "from": "2026-12-01", "to": "2026-12-02"})
    assert query.since == datetime(2026, 12, 1, tzinfo=BEIJING)
    assert query.until == datetime(2026, 12, 3, tzinfo=BEIJING)
    assert query.user_id == "aud-1" and query.case_no is None
    assert log_query({}, "GY20261128-000001").case_no == "GY20261128-000001"


def test_bad_log_fields_are_named() -> None:
    with pytest.raises(FormError) as refused:
        log_query({"from": "2026-12-09", "to": "2026-12-01", "case_no": "x", "cursor": "??"})
    assert set(refused.value.errors) == {"to", "case_no", "cursor"}


def test_the_log_is_paged_by_its_keyset(sessions: SessionFactory) -> None:
    reader = Principal(user_id="aud-page", role=Role.AUDITOR)
    for n in range(7):
        record_access(sessions, reader, f"GY20261128-{n:06d}", ["caller.name"], f"第{n}次")
    seen: list[int] = []
    before = None
    while True:
        page = access_entries(sessions, user_id="aud-page", before=before, limit=3)
        seen += [entry.id for entry in page]
        if len(page) < 3:
            break
        last = page[-1]
        cursor = log_query({"cursor": log_cursor(last.at, last.id)}).before
        assert cursor is not None and cursor[1] == last.id
        before = cursor
    everything = [e.id for e in access_entries(sessions, user_id="aud-page", limit=100)]
    assert seen == everything and len(seen) == 7
    later = datetime.now(UTC) + timedelta(days=1)
    assert len(access_entries(sessions, user_id="aud-page", before=(later, 0))) == 7
    earlier = datetime(2000, 1, 1, tzinfo=UTC)
    assert access_entries(sessions, user_id="aud-page", before=(earlier, 10**9)) == []
