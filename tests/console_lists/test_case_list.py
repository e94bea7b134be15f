"""The one case list as the console's lists use it: sorts with keyset pages, the new filters,
the clock stage from the store's `warn_at`, counts by department and level, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from api.console.list_export import csv_rows
from db.engine import SessionFactory
from models.enums import CaseStatus, ClockStage
from rules.permissions import Principal, Role
from services.case_list import (
    CaseFilter,
    CursorError,
    GroupCount,
    ListOrder,
    all_cases,
    count_by_department_and_level,
    list_cases,
    stage_of,
)
from tests.console_lists.conftest import T0, Write


def numbers(sessions: SessionFactory, wanted: CaseFilter, order: ListOrder, size: int) -> list[str]:
    """Every case number of the list, read page by page through the cursors."""
    seen: list[str] = []
    cursor = None
    while True:
        page = list_cases(sessions, wanted, limit=size, cursor=cursor, order=order)
        seen += [case.case_no for case in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_each_order_pages_through_every_case_once(sessions: SessionFactory, write: Write) -> None:
    for i in range(7):
        due = None if i in (2, 5) else T0 + timedelta(hours=10 - i % 4)
        write(f"GY20261203-{i:06d}", 1, received_at=T0 + timedelta(minutes=i), next_deadline=due)
    everything = CaseFilter()
    newest = numbers(sessions, everything, ListOrder.NEWEST, 3)
    assert newest == [f"GY20261203-{i:06d}" for i in reversed(range(7))]
    assert numbers(sessions, everything, ListOrder.OLDEST, 2) == list(reversed(newest))
    by_deadline = numbers(sessions, everything, ListOrder.DEADLINE, 2)
    # due 10 - i % 4 hours: i=3 (7h), 6 (8h), 1 (9h), 0 and 4 (10h, by case number); none last
    assert by_deadline == [
        "GY20261203-000003",
        "GY20261203-000006",
        "GY20261203-000001",
        "GY20261203-000000",
        "GY20261203-000004",
        "GY20261203-000002",
        "GY20261203-000005",
    ]


def test_a_cursor_of_another_order_is_refused(sessions: SessionFactory, write: Write) -> None:
    for i in range(3):
        write(f"GY20261203-{i:06d}", 1, next_deadline=T0 + timedelta(hours=i))
    page = list_cases(sessions, CaseFilter(), limit=1, order=ListOrder.DEADLINE)
    assert page.next_cursor is not None
    with pytest.raises(CursorError):
        list_cases(sessions, CaseFilter(), limit=1, cursor=page.next_cursor)
    with pytest.raises(CursorError):
        list_cases(sessions, CaseFilter(), limit=1, cursor="bm90IGEgY3Vyc29y")


def test_the_new_filters(sessions: SessionFactory, write: Write) -> None:
    write("GY20261203-000001", 1, category="市场监管/消费投诉", received_at=T0)
    write("GY20261203-000002", 1, category="其他", received_at=T0 + timedelta(days=1))
    write("GY20261203-000003", 1, category="其他", received_at=T0 + timedelta(days=2))

    def found(wanted: CaseFilter) -> list[str]:
        return [c.case_no for c in list_cases(sessions, wanted, order=ListOrder.OLDEST).items]

    assert found(CaseFilter(category="市场监管/消费投诉")) == ["GY20261203-000001"]
    window = CaseFilter(received_after=T0 + timedelta(days=1), received_before=T0 + timedelta(2))
    assert found(window) == ["GY20261203-000002"]
    assert found(CaseFilter(nothing=True)) == []


def test_the_clock_stage_comes_from_the_cases_own_projection(
    sessions: SessionFactory, write: Write
) -> None:
    due = T0 + timedelta(hours=8)
    write("GY20261203-000001", 1, next_deadline=due)  # on time
    write("GY20261203-000002", 1, next_deadline=due)
    write("GY20261203-000002", 2, "deadline_warning", next_deadline=due)  # warned
    write("GY20261203-000003", 1, next_deadline=due)
    write("GY20261203-000003", 2, "deadline_warning", next_deadline=due)
    write("GY20261203-000003", 3, "deadline_overdue", next_deadline=due, overdue=True)
    write("GY20261203-000004", 1, next_deadline=due, overdue=True, escalation_level=2)
    rows = {c.case_no: c for c in list_cases(sessions, CaseFilter()).items}
    stages = {no: stage_of(case) for no, case in rows.items()}
    assert stages == {
        "GY20261203-000001": ClockStage.RUNNING,
        "GY20261203-000002": ClockStage.WARNED,
        "GY20261203-000003": ClockStage.OVERDUE,
        "GY20261203-000004": ClockStage.LEVEL2,
    }
    assert rows["GY20261203-000002"].warn_at == T0 + timedelta(minutes=2)
    for stage in ClockStage:  # the SQL filter is the same rule as the row's colour
        listed = list_cases(sessions, CaseFilter(stage=stage)).items
        assert {c.case_no for c in listed} == {n for n, s in stages.items() if s is stage}


def test_the_warning_stays_while_the_deadline_stays_and_goes_when_it_moves(
    sessions: SessionFactory, write: Write
) -> None:
    due = T0 + timedelta(hours=8)
    case_no = "GY20261203-000001"
    write(case_no, 1, next_deadline=due)
    write(case_no, 2, "deadline_warning", next_deadline=due)
    write(case_no, 3, "urge", next_deadline=due)  # another step; same clocks
    (case,) = list_cases(sessions, CaseFilter()).items
    assert case.warn_at == T0 + timedelta(minutes=2)
    write(case_no, 4, "sign_off", next_deadline=due + timedelta(days=5))  # clocks moved
    (case,) = list_cases(sessions, CaseFilter()).items
    assert case.warn_at is None and stage_of(case) is ClockStage.RUNNING


def test_counts_by_department_and_level_for_the_reader(
    sessions: SessionFactory, write: Write
) -> None:
    write("GY20261203-000001", 1, lead_department="gy-water", escalation_level=1, overdue=True)
    write("GY20261203-000002", 1, lead_department="gy-water", escalation_level=1, overdue=True)
    write("GY20261203-000003", 1, lead_department="gy-water", escalation_level=2, overdue=True)
    write("GY20261203-000004", 1, lead_department="gy-market", escalation_level=1, overdue=True)
    write("GY20261203-000005", 1, lead_department="gy-market")
    overdue = CaseFilter(overdue=True)
    assert count_by_department_and_level(sessions, overdue) == [
        GroupCount("gy-market", 1, 1),
        GroupCount("gy-water", 1, 2),
        GroupCount("gy-water", 2, 1),
    ]
    water = Principal(user_id="dept-water", role=Role.DEPARTMENT, department="gy-water")
    assert {
        g.lead_department for g in count_by_department_and_level(sessions, overdue, reader=water)
    } == {"gy-water"}


def test_the_csv_is_every_page_with_a_bom_and_no_personal_data(
    sessions: SessionFactory, write: Write
) -> None:
    for i in range(5):
        write(
            f"GY20261203-{i:06d}",
            1,
            title='=HYPERLINK("x")' if i == 0 else f"路灯不亮 {i}",
            caller_name="王秘密",
            caller_phone="13900009999",
            confidential=True,
            street="保密街道",
        )
    text = "".join(csv_rows(all_cases(sessions, CaseFilter(), chunk=2)))
    assert text.startswith("\ufeff案件编号,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 6 and rows[0][0] == "案件编号"
    assert {row[0] for row in rows[1:]} == {f"GY20261203-{i:06d}" for i in range(5)}
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, never runs it
    for secret in ("王秘密", "13900009999", "保密街道"):
        assert secret not in text
    assert all(row[6] == "待派单" for row in rows[1:])
    assert CaseStatus.RECEIVED.value not in [row[6] for row in rows[1:]]
