"""The case indicators on the hand-computed month of `case_fixtures.november` (letters as
there): overall, by department, type, channel and district; the trend, the type mix, the live
view. Expected values are written as the fractions counted by hand."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from evaluation.indicators import case_indicators, today_view, trend, type_mix
from models.evaluation import Dimension, IndicatorSet, Period, TypeCount
from rules import evaluation as rules
from tests.evaluation.case_fixtures import CaseBuilder, articles, at, november, seed_departments

NOVEMBER = Period.month(2026, 11)


def fraction(indicators: IndicatorSet, key: str) -> Fraction | tuple[int, int]:
    """The indicator as numerator/denominator (a tuple when the denominator is 0)."""
    value = indicators.value(key)
    if value.denominator == 0:
        assert value.rate is None
        return (value.numerator, 0)
    assert value.rate == pytest.approx(value.numerator / value.denominator)
    return Fraction(value.numerator, value.denominator)


def figures(indicators: IndicatorSet, key: str) -> tuple[int, int]:
    value = indicators.value(key)
    return (value.numerator, value.denominator)


def by_group(sets: list[IndicatorSet]) -> dict[str | None, IndicatorSet]:
    return {item.group: item for item in sets}


@pytest.fixture
def month(session_factory):
    cases = november(session_factory)
    articles(session_factory)
    return cases


def test_every_rule_has_its_figures():
    from evaluation.indicators import FORMULAS

    assert {rule.key for rule in rules.INDICATORS} | {rules.RESPONSE_RATE.key} == set(FORMULAS)


def test_overall_by_hand(session_factory, month):
    (overall,) = case_indicators(session_factory, NOVEMBER)

    assert (overall.dimension, overall.group) == (None, None)
    assert [v.key for v in overall.values] == [rule.key for rule in rules.INDICATORS]
    # Received in November: A-L, N-P (15). Not valid: C not accepted, D emergency, E and O
    # merged, K withdrawn -> 10 valid; closed at intake by the centre: A, B.
    assert figures(overall, "direct_answer_rate") == (2, 10)
    # Closed in November, withdrawn (K) and merged (E, O) left out: A-D, G-J, L, M, P.
    # Dispatched: G H I J L M P (7); H signed after its sign-off overdue.
    assert fraction(overall, "on_time_sign_off_rate") == Fraction(6, 7)
    # Dispatches 8 (J twice); returns I (rejected) and J (approved).
    assert figures(overall, "return_rate") == (2, 8)
    assert figures(overall, "rejected_return_rate") == (1, 8)
    # Replies due: G H I J L M; I replied late. H replied within its approved extension,
    # although its original handling limit passed: on time, not overdue.
    assert figures(overall, "on_time_completion_rate") == (5, 6)
    assert figures(overall, "overdue_rate") == (1, 6)
    # Callback required: G H I L M (J consultation without callback); all attempted.
    assert figures(overall, "callback_rate") == (5, 5)
    # Reached: G very satisfied, H basically satisfied, L satisfied, M very dissatisfied;
    # I (dissatisfied once, then unreachable, closed unreachable) is not counted.
    assert figures(overall, "satisfaction_rate") == (3, 4)
    # Resolved: G, H (L satisfied but not resolved, M not).
    assert figures(overall, "resolution_rate") == (2, 4)
    # Reopened: H, I of the 7 dispatched.
    assert figures(overall, "reopen_rate") == (2, 7)
    # Published 4 (water 3, housing 1); fresh on 11-30: water's 12-15 and 11-30.
    assert figures(overall, "kb_freshness") == (2, 4)
    # Approved in November (Beijing days): water 11-05, 11-20; housing 11-30 23:00 -> 3 in
    # ceil(30 / 7) = 5 weeks.
    assert figures(overall, "kb_updates_per_week") == (3, 5)
    assert overall.value("kb_updates_per_week").rate == pytest.approx(0.6)


def test_by_department(session_factory, month):
    sets = case_indicators(session_factory, NOVEMBER, Dimension.DEPARTMENT)

    assert [s.group for s in sets] == ["housing", "power", "water", "yunyan-gov", None]
    groups = by_group(sets)
    water = groups["water"]  # closed: G H I M
    assert figures(water, "on_time_sign_off_rate") == (3, 4)
    assert figures(water, "return_rate") == (1, 4)
    assert figures(water, "rejected_return_rate") == (1, 4)
    assert figures(water, "on_time_completion_rate") == (3, 4)
    assert figures(water, "satisfaction_rate") == (2, 3)
    assert figures(water, "resolution_rate") == (2, 3)
    assert figures(water, "reopen_rate") == (2, 4)
    # Received with water as lead: F (open), G, H, I, O (merged) -> 4 valid, none direct.
    assert figures(water, "direct_answer_rate") == (0, 4)
    assert figures(water, "kb_freshness") == (2, 3)
    assert figures(water, "kb_updates_per_week") == (2, 5)
    # J: the approved return of housing goes with the case to yunyan-gov, rejected none.
    yunyan = groups["yunyan-gov"]
    assert figures(yunyan, "return_rate") == (1, 2)
    assert figures(yunyan, "rejected_return_rate") == (0, 2)
    assert figures(yunyan, "satisfaction_rate") == (0, 0)
    assert yunyan.value("satisfaction_rate").rate is None
    housing = groups["housing"]  # L only: K is withdrawn
    assert figures(housing, "on_time_sign_off_rate") == (1, 1)
    assert figures(housing, "satisfaction_rate") == (1, 1)
    assert figures(housing, "resolution_rate") == (0, 1)
    assert figures(housing, "kb_freshness") == (0, 1)
    power = groups["power"]  # P (praise): signed, no reply due; N closed in December
    assert figures(power, "on_time_sign_off_rate") == (1, 1)
    assert figures(power, "on_time_completion_rate") == (0, 0)
    nobody = groups[None]  # closed at intake
    assert figures(nobody, "direct_answer_rate") == (2, 2)
    assert figures(nobody, "on_time_sign_off_rate") == (0, 0)


def test_by_type_channel_and_district(session_factory, month):
    types = by_group(case_indicators(session_factory, NOVEMBER, Dimension.CASE_TYPE))
    assert set(types) == {"complaint", "help", "consultation", "other", "praise"}
    # help received: B, D, H, L, N -> valid B H L N, direct B.
    assert figures(types["help"], "direct_answer_rate") == (1, 4)
    # complaint closed: G, I, M -> reached G (satisfied) and M.
    assert figures(types["complaint"], "satisfaction_rate") == (1, 2)
    assert figures(types["complaint"], "overdue_rate") == (1, 3)
    assert all(rules.KB_FRESHNESS.key not in {v.key for v in s.values} for s in types.values())

    channels = by_group(case_indicators(session_factory, NOVEMBER, Dimension.CHANNEL))
    # phone received: A C D E G I K N P -> valid A G I N P, direct A.
    assert figures(channels["phone"], "direct_answer_rate") == (1, 5)
    # web: B H O -> valid B H, direct B.
    assert figures(channels["web"], "direct_answer_rate") == (1, 2)
    assert figures(channels["wechat"], "return_rate") == (1, 2)

    districts = by_group(case_indicators(session_factory, NOVEMBER, Dimension.DISTRICT))
    # 云岩区 closed and dispatched: G I J M, all signed on time; 南明区: H L P, H late.
    assert figures(districts["云岩区"], "on_time_sign_off_rate") == (4, 4)
    assert figures(districts["南明区"], "on_time_sign_off_rate") == (2, 3)
    assert figures(districts["云岩区"], "satisfaction_rate") == (1, 2)


def test_an_empty_period_has_no_rates(session_factory, month):
    (overall,) = case_indicators(session_factory, Period.month(2025, 1))

    cases = [v for v in overall.values if v.key not in rules.KNOWLEDGE_INDICATORS]
    assert all((v.numerator, v.denominator, v.rate) == (0, 0, None) for v in cases)
    assert figures(overall, "kb_updates_per_week") == (0, 5)  # January: 31 days
    assert case_indicators(session_factory, Period.month(2025, 1), Dimension.CHANNEL) == []


def test_trend_places_intake_by_received_day_and_satisfaction_by_closed_day(session_factory, month):
    points = {p.day: p for p in trend(session_factory, NOVEMBER)}

    assert len(points) == 30
    day2 = points[date(2026, 11, 2)]  # A, B, C received; A, B closed at intake, C not valid
    assert (day2.cases, day2.direct_answer_rate, day2.satisfaction_rate) == (3, 1.0, None)
    day3 = points[date(2026, 11, 3)]  # D, E, F received: only F valid
    assert (day3.cases, day3.direct_answer_rate) == (3, 0.0)
    day5 = points[date(2026, 11, 5)]  # I, J received; M closed very dissatisfied
    assert (day5.cases, day5.direct_answer_rate, day5.satisfaction_rate) == (2, 0.0, 0.0)
    day9 = points[date(2026, 11, 9)]  # nothing received; G closed very satisfied (J: no call)
    assert (day9.cases, day9.direct_answer_rate, day9.satisfaction_rate) == (0, None, 1.0)
    day27 = points[date(2026, 11, 27)]  # I closed unreachable: not in satisfaction
    assert day27.satisfaction_rate is None
    assert all(p.connection_rate is None for p in points.values())
    assert sum(p.cases for p in points.values()) == 15


def test_type_mix(session_factory, month):
    assert type_mix(session_factory, NOVEMBER) == [
        TypeCount(case_type="complaint", cases=6),  # E F G I K O
        TypeCount(case_type="help", cases=5),  # B D H L N
        TypeCount(case_type="consultation", cases=2),  # A J
        TypeCount(case_type="other", cases=1),  # C
        TypeCount(case_type="praise", cases=1),  # P
    ]


def test_today_view(session_factory):
    seed_departments(session_factory)
    now = at(11, 20, 12)
    # T1 water, due today 07:00 Beijing (the previous day in UTC).
    (
        CaseBuilder(session_factory, 1)
        .intake(at(11, 19))
        .dispatch(at(11, 19, 10), "water")
        .step("note", at(11, 19, 11), "dispatched", next_deadline=at(11, 20, 7))
    )
    # T2 water, overdue since yesterday, level 1.
    (
        CaseBuilder(session_factory, 2)
        .intake(at(11, 10))
        .dispatch(at(11, 10, 10), "water")
        .overdue(at(11, 19, 18), "handling")
        .step(
            "note",
            at(11, 19, 19),
            "handling",
            next_deadline=at(11, 19, 18),
            overdue=True,
            escalation_level=1,
        )
    )
    # T3 waiting for dispatch, its dispatch limit at 10:00 today (passed, not yet flagged).
    CaseBuilder(session_factory, 3).intake(at(11, 20, 8)).step(
        "note", at(11, 20, 8, 1), "received", next_deadline=at(11, 20, 10)
    )
    # T4 housing, level 2, next deadline 00:30 tomorrow Beijing (today in UTC).
    (
        CaseBuilder(session_factory, 4)
        .intake(at(11, 1))
        .dispatch(at(11, 1, 10), "housing")
        .step(
            "note",
            at(11, 19, 9),
            "handling",
            next_deadline=at(11, 21, 0, 30),
            overdue=True,
            escalation_level=2,
        )
    )
    # T5 closed: not in the view.
    CaseBuilder(session_factory, 5).intake(at(11, 20, 9), "direct_answer")

    view = today_view(session_factory, now)

    assert view.at == now
    assert (view.open, view.due_today, view.overdue) == (4, 2, 2)
    assert view.by_escalation_level == {0: 2, 1: 1, 2: 1, 3: 0}
    assert view.by_department == [
        {"department": "water", "open": 2, "due_today": 1, "overdue": 1},
        {"department": "centre", "open": 1, "due_today": 1, "overdue": 0},
        {"department": "housing", "open": 1, "due_today": 0, "overdue": 1},
    ]


def test_today_view_needs_an_aware_time(session_factory):
    from datetime import datetime

    with pytest.raises(ValueError, match="aware"):
        today_view(session_factory, datetime(2026, 11, 20, 12))
