"""Possible duplicates: open cases of the same category and district with similar titles, read
from the SQL case projection, scored by character bigrams, best first."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from db.engine import SessionFactory
from db.tables import CaseRow
from rules.permissions import Principal, Role
from services import duplicates
from services.duplicates import CANDIDATES, TOP, bigrams, possible_duplicates, similarity

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OPERATOR = Principal("op-1", Role.OPERATOR)
_serial = itertools.count(1)


def case_row(title: str, **overrides: Any) -> CaseRow:
    serial = next(_serial)
    values: dict[str, Any] = dict(
        case_no=f"GY20261201-{serial:06d}",
        version=1,
        status="received",
        closure_reason=None,
        channel="phone",
        case_type="complaint",
        category="城乡建设/供水/停水",
        urgency="normal",
        complex=False,
        district="南明区",
        street=None,
        latitude=None,
        longitude=None,
        title=title,
        content="内容",
        caller_name="王五",
        caller_phone="13800001234",
        confidential=False,
        enterprise=False,
        operator_id="op-1",
        lead_department=None,
        assisting_departments=[],
        escalation_level=0,
        overdue=False,
        ever_overdue=False,
        next_deadline=None,
        received_at=T0 + timedelta(minutes=serial),
        dispatched_at=None,
        signed_at=None,
        replied_at=None,
        closed_at=None,
        reopen_rounds=0,
        callback_attempts=0,
        satisfaction=None,
        resolved=None,
        merged_into=None,
        updated_at=T0,
        archived_at=None,
    )
    values.update(overrides)
    return CaseRow(**values)


def add(sessions: SessionFactory, *rows: CaseRow) -> list[str]:
    with sessions.begin() as session:
        session.add_all(rows)
    return [row.case_no for row in rows]


def test_bigrams_ignore_spaces_and_punctuation() -> None:
    assert bigrams("停水，三天") == {"停水", "水三", "三天"}
    assert bigrams("水") == {"水"}
    assert bigrams(" ，。") == set()


def test_similarity_is_one_for_the_same_title_and_zero_for_nothing_shared() -> None:
    assert similarity("小区停水三天", "小区停水三天") == 1.0
    assert similarity("小区停水三天", "噪声扰民") == 0.0
    assert 0.4 < similarity("小区停水三天没来水", "我们小区停水三天了") < 1.0
    assert similarity("", "停水") == 0.0


def test_open_cases_of_the_category_and_district_with_similar_titles_best_first(
    sessions: SessionFactory,
) -> None:
    close, closer, _, _, _, _ = add(
        sessions,
        case_row("花果园小区停水两天"),
        case_row("花果园小区停水三天了"),
        case_row("花果园小区停水三天了", status="closed"),  # closed: not a duplicate
        case_row("花果园小区停水三天了", district="云岩区"),  # another district
        case_row("花果园小区停水三天了", category="城乡建设/物业管理"),  # another category
        case_row("路灯不亮"),  # nothing alike
    )
    found = possible_duplicates(
        sessions, OPERATOR, "城乡建设/供水/停水", "南明区", "花果园停水三天"
    )
    assert [dup.case_no for dup in found] == [closer, close]
    assert found[0].score > found[1].score >= 0.2
    assert found[0].percent == round(found[0].score * 100)
    assert found[0].status.value == "received"


def test_the_category_matches_in_its_stored_form_and_blank_fields_find_nothing(
    sessions: SessionFactory,
) -> None:
    (case_no,) = add(sessions, case_row("观山湖停电一整天", category="能源/供电/停电"))
    found = possible_duplicates(sessions, OPERATOR, " 能源 / 供电 / 停电 ", "南明区", "停电一整天")
    assert [dup.case_no for dup in found] == [case_no]
    assert possible_duplicates(sessions, OPERATOR, "能源/供电/停电", "南明区", "  ") == []
    assert possible_duplicates(sessions, OPERATOR, "", "南明区", "停电一整天") == []


def test_at_most_top_are_returned_from_a_bounded_candidate_set(sessions: SessionFactory) -> None:
    add(sessions, *(case_row(f"公交线路调整{n}", category="交通运输/公交线路") for n in range(12)))
    found = possible_duplicates(sessions, OPERATOR, "交通运输/公交线路", "南明区", "公交线路调整")
    assert len(found) == TOP
    assert CANDIDATES >= TOP


def test_a_department_sees_only_duplicates_among_its_own_cases(sessions: SessionFactory) -> None:
    own, _ = add(
        sessions,
        case_row("出租车拒载", category="交通运输/出租车", lead_department="gy-transport"),
        case_row("出租车拒载乘客", category="交通运输/出租车", lead_department="gy-market"),
    )
    department = Principal("dept-1", Role.DEPARTMENT, "gy-transport")
    found = possible_duplicates(sessions, department, "交通运输/出租车", "南明区", "出租车拒载")
    assert [dup.case_no for dup in found] == [own]


def test_only_the_newest_cases_of_each_open_status_are_looked_at(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "SCANNED", 3)
    old, *_ = add(
        sessions,
        case_row("白云区燃气管道漏气", category="城乡建设/房屋安全", district="白云区"),
        *(case_row(f"其他{n}", category="城乡建设/房屋安全", district="白云区") for n in range(3)),
    )
    (handling,) = add(
        sessions,
        case_row(
            "白云区燃气管道漏气了",
            category="城乡建设/房屋安全",
            district="白云区",
            status="handling",
        ),
    )
    found = possible_duplicates(sessions, OPERATOR, "城乡建设/房屋安全", "白云区", "燃气管道漏气")
    assert [dup.case_no for dup in found] == [handling]  # `old` is behind 3 newer received
    monkeypatch.setattr(duplicates, "SCANNED", 10)
    found = possible_duplicates(sessions, OPERATOR, "城乡建设/房屋安全", "白云区", "燃气管道漏气")
    assert {dup.case_no for dup in found} == {handling, old}
