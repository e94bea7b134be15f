"""The call indicators on SQLite and PostgreSQL, against figures worked out by hand: the
connection and 15-second answer rates, the abandoned calls, the worst 24 hours (one straddling
midnight, below the 95 % target, that starts at no call) and the daily rates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from db.call_tables import CallRow
from db.engine import SessionFactory
from evaluation.calls import call_summary, daily_connection_rates, worst_window
from models.evaluation import Period
from models.timestamps import BEIJING as SHANGHAI

# (Beijing day of November 2026, hour, minute, answered, seconds waited)
CALLS = [
    (1, 23, 59, False, 30),  # the day before the period
    (2, 10, 0, True, 5),
    (2, 10, 10, True, 20),
    (2, 23, 50, False, 30),
    (2, 23, 55, False, 40),
    (3, 0, 5, False, 50),
    (3, 0, 10, True, 10),
    (3, 12, 0, True, 15),  # 15 s is within 15 s
    (3, 23, 0, True, 3),
    (4, 8, 0, True, 16),
    (4, 9, 0, True, 2),
    (5, 0, 0, False, 60),  # the day after
]
PERIOD = Period.days(date(2026, 11, 2), date(2026, 11, 4))


def beijing(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def load(
    sessions: SessionFactory,
    calls: list[tuple[int, int, int, bool, int]],
    queue: str = "hotline",
    prefix: str = "c",
) -> None:
    rows = []
    for number, (day, hour, minute, answered, wait) in enumerate(calls):
        offered = beijing(day, hour, minute)
        rows.append(
            dict(
                source="test",
                call_id=f"{prefix}{number}",
                queue=queue,
                offered_at=offered,
                answered_at=offered + timedelta(seconds=wait) if answered else None,
                ended_at=offered + timedelta(seconds=wait + 60),
                wait_seconds=wait,
                talk_seconds=60 if answered else None,
                outcome="answered" if answered else "abandoned",
                agent="8001" if answered else None,
                case_no=None,
                updated_at=datetime.now(UTC),
            )
        )
    with sessions.begin() as session:
        session.execute(insert(CallRow), rows)


def brute_force_worst(
    calls: list[tuple[int, int, int, bool, int]], period: Period
) -> tuple[float, datetime]:
    """Every window starting on a whole minute of the period (the calls are on whole minutes,
    so no other start gives another set of calls); each set of calls placed at its latest
    start; the lowest rate, earliest first."""
    start = datetime.combine(period.start, datetime.min.time(), SHANGHAI)
    end = datetime.combine(period.end, datetime.min.time(), SHANGHAI)
    moments = [(beijing(d, h, m), answered) for d, h, m, answered, _ in calls]
    latest: dict[frozenset[int], datetime] = {}
    t = start
    while t + timedelta(hours=24) <= end:
        inside = frozenset(
            i for i, (at, _) in enumerate(moments) if t <= at < t + timedelta(hours=24)
        )
        if inside:
            latest[inside] = t
        t += timedelta(minutes=1)
    return min((sum(moments[i][1] for i in s) / len(s), at) for s, at in latest.items())


def test_rates_and_counts_by_hand(session_factory: SessionFactory) -> None:
    load(session_factory, CALLS)
    summary = call_summary(session_factory, PERIOD)
    # Ten calls in the period; seven answered; five of them within 15 s; three abandoned.
    assert (summary.offered, summary.answered, summary.answered_within_15s) == (10, 7, 5)
    assert summary.abandoned == 3
    assert summary.connection_rate.model_dump() == {
        "key": "connection_rate",
        "numerator": 7,
        "denominator": 10,
        "rate": 0.7,
        "target": 0.95,
        "meets_target": False,
    }
    assert (summary.answer_15s_rate.numerator, summary.answer_15s_rate.rate) == (5, 0.5)


def test_the_worst_24_hours_by_hand(session_factory: SessionFactory) -> None:
    load(session_factory, CALLS)
    window = call_summary(session_factory, PERIOD).worst_window
    # Worked out by hand: windows starting at a call do no worse than 2 of 5 (from 2 Nov
    # 10:10); but the 24 hours ending just before the call of 3 Nov 12:00, from 2 Nov 12:00,
    # hold the three abandoned calls around midnight and one answered: 1 of 4.
    assert window is not None
    assert (window.start, window.end) == (beijing(2, 12, 0), beijing(3, 12, 0))
    assert (window.offered, window.answered, window.rate) == (4, 1, 0.25)
    assert (window.target, window.meets_target) == (0.95, False)
    assert (window.rate, window.start) == brute_force_worst(CALLS, PERIOD)
    assert worst_window(session_factory, PERIOD) == window


def test_ties_go_to_the_earliest_window(session_factory: SessionFactory) -> None:
    calls = [(2, 10, 0, False, 30), (3, 11, 0, True, 5), (4, 12, 0, False, 30)]
    load(session_factory, calls)
    window = worst_window(session_factory, PERIOD)
    # [2 Nov 10:00, 3 Nov 10:00) and the last day [4 Nov 00:00, 5 Nov 00:00) both hold one
    # abandoned call alone.
    assert window is not None
    assert (window.start, window.offered, window.rate) == (beijing(2, 10, 0), 1, 0.0)


def test_windows_stay_within_the_period(session_factory: SessionFactory) -> None:
    # The last call of the period is judged with the day before it, never alone; the calls
    # of the next day do not count.
    calls = [(day, h, 0, True, 5) for day in (2, 3) for h in (9, 15)]
    calls += [(3, 23, 59, False, 30), (4, 0, 30, False, 30), (4, 1, 0, False, 30)]
    load(session_factory, calls)
    period = Period.days(date(2026, 11, 2), date(2026, 11, 3))
    window = worst_window(session_factory, period)
    assert window is not None
    assert window.end <= beijing(4, 0, 0)
    assert (window.rate, window.start) == brute_force_worst(calls, period)
    assert (window.start, window.offered, window.answered) == (beijing(3, 0, 0), 3, 2)


def test_a_one_day_period_has_the_day_as_its_window(session_factory: SessionFactory) -> None:
    load(session_factory, CALLS)
    day = Period.days(date(2026, 11, 3), date(2026, 11, 3))
    window = worst_window(session_factory, day)
    assert window is not None
    assert (window.start, window.end) == (beijing(3, 0, 0), beijing(4, 0, 0))
    assert (window.offered, window.answered) == (4, 3)


def test_a_queue_alone(session_factory: SessionFactory) -> None:
    load(session_factory, CALLS)
    load(session_factory, [(2, 11, 0, False, 99), (2, 11, 5, True, 1)], "english", "e")
    everything = call_summary(session_factory, PERIOD)
    english = call_summary(session_factory, PERIOD, "english")
    assert (everything.offered, everything.answered) == (12, 8)
    assert (english.offered, english.answered, english.answered_within_15s) == (2, 1, 1)
    assert english.worst_window is not None and english.worst_window.rate == 0.5


def test_no_calls(session_factory: SessionFactory) -> None:
    summary = call_summary(session_factory, PERIOD)
    assert (summary.offered, summary.connection_rate.rate, summary.worst_window) == (0, None, None)
    assert summary.connection_rate.meets_target is None


def test_daily_connection_rates_by_beijing_day(session_factory: SessionFactory) -> None:
    load(session_factory, CALLS)
    period = Period.days(date(2026, 11, 1), date(2026, 11, 6))
    assert daily_connection_rates(session_factory, period) == {
        date(2026, 11, 1): 0.0,  # 23:59 Beijing is still 1 November (15:59 UTC)
        date(2026, 11, 2): 0.5,
        date(2026, 11, 3): 0.75,
        date(2026, 11, 4): 1.0,
        date(2026, 11, 5): 0.0,  # 00:00 Beijing is 5 November (16:00 UTC the day before)
        date(2026, 11, 6): None,
    }
