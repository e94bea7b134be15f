"""The call indicators of service evaluation (domain §9): the connection rate (incoming calls
answered by an agent ÷ incoming calls offered, target 95 %, judged over the worst continuous 24
hours), the 15-second answer rate and the abandoned calls, over a period of Beijing-time days.
Every figure counts incoming calls only (`rules.evaluation.CALL_INDICATOR_DIRECTION`): an
outbound callback is never a call offered. The formulas are in `rules.evaluation`.

The totals and the daily rates are counted by the database (one aggregate, one GROUP BY). The
worst 24-hour window is found in one sorted pass over the period's calls, streamed from the
database as (epoch second, answered) pairs, with two pointers: measured on 3 million calls in
PostgreSQL, SQL window functions with RANGE frames took minutes where this takes seconds. A
call belongs to the period in which it was offered.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, case, cast, func, select
from sqlalchemy.orm import Session

from db.call_tables import CallRow
from db.engine import SessionFactory
from models.evaluation import CallSummary, ConnectionWindow, IndicatorValue, Period
from models.timestamps import BEIJING
from rules import evaluation as rules

CONNECTION_TARGET = rules.CONNECTION_RATE.target or 0.95
"""Domain §9: at least 95 % of incoming calls are answered by an agent, over any 24 hours."""
ANSWER_SECONDS = rules.ANSWER_SECONDS
WINDOW_SECONDS = 24 * 3600
_BEIJING_OFFSET = 8 * 3600  # China has kept UTC+8 all year since 1991
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first and after-last instants: Beijing midnights, in UTC."""
    return (
        datetime.combine(period.start, time(), BEIJING).astimezone(UTC),
        datetime.combine(period.end, time(), BEIJING).astimezone(UTC),
    )


def _epoch(session: Session) -> ColumnElement[int]:
    """`offered_at` in whole epoch seconds (call records are kept to the second)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", CallRow.offered_at)), BigInteger)
    return cast(func.strftime("%s", CallRow.offered_at), Integer)


def _in_period(query: _Query, period: Period, queue: str | None) -> _Query:
    """The incoming calls offered in the period (of one queue, or of all)."""
    start, end = period_bounds(period)
    query = query.where(
        CallRow.direction == rules.CALL_INDICATOR_DIRECTION.value,
        CallRow.offered_at >= start,
        CallRow.offered_at < end,
    )
    return query if queue is None else query.where(CallRow.queue == queue)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def call_summary(sessions: SessionFactory, period: Period, queue: str | None = None) -> CallSummary:
    """The call indicators of `period` (of one queue, or of all), over incoming calls.

    The connection rate is answered by an agent ÷ offered over the whole period; the 15-second
    answer rate is answered after a wait of at most 15 s ÷ offered; `abandoned` counts the calls
    whose caller hung up before an agent answered (queue timeouts are not among them, but count
    as offered and not answered). See `worst_window` for the 24-hour figure.
    """
    answered = case((CallRow.answered_at.is_not(None), 1), else_=0)
    quick = case(
        (
            CallRow.answered_at.is_not(None) & (CallRow.wait_seconds <= ANSWER_SECONDS),
            1,
        ),
        else_=0,
    )
    abandoned = case((CallRow.outcome == "abandoned", 1), else_=0)
    query = select(
        func.count(),
        func.coalesce(func.sum(answered), 0),
        func.coalesce(func.sum(quick), 0),
        func.coalesce(func.sum(abandoned), 0),
    ).select_from(CallRow)
    with sessions() as session:
        row = session.execute(_in_period(query, period, queue)).one()
        offered, taken, within, dropped = (int(value) for value in row)
        window = _worst_window(session, period, queue) if offered else None
    rate = _rate(taken, offered)
    quick_rate = _rate(within, offered)
    return CallSummary(
        offered=offered,
        answered=taken,
        answered_within_15s=within,
        abandoned=dropped,
        connection_rate=IndicatorValue(
            key=rules.CONNECTION_RATE.key,
            numerator=taken,
            denominator=offered,
            rate=rate,
            target=CONNECTION_TARGET,
            meets_target=None if rate is None else rate >= CONNECTION_TARGET,
        ),
        answer_15s_rate=IndicatorValue(
            key=rules.ANSWER_15S_RATE.key, numerator=within, denominator=offered, rate=quick_rate
        ),
        worst_window=window,
    )


def worst_window(
    sessions: SessionFactory, period: Period, queue: str | None = None
) -> ConnectionWindow | None:
    """The continuous 24 hours of `period` with the lowest connection rate; None without calls.

    A window is [t, t + 24 h) for any moment t, and lies wholly within the period: windows are
    not clipped, and a window never reaches beyond the period (so the last call of a month is
    judged with the day before it, never alone; calls of the next month never count). Only
    windows with at least one offered call count. The figure is exact over every such t, not
    over hourly buckets: the calls a window holds change only when t passes a call's offered
    time c or the moment c - 24 h, so every set of calls a window can hold is found at one of
    the latest starts: a window starting at a call ([c, c + 24 h)), one ending just before a
    call ([c - 24 h, c)), or the period's last 24 hours. Each window is so placed as late as it
    can go without changing its calls. For a period of a single day the window is that day.

    Ties (the same rate, compared exactly) go to the earliest window so placed.
    """
    with sessions() as session:
        return _worst_window(session, period, queue)


def _worst_window(session: Session, period: Period, queue: str | None) -> ConnectionWindow | None:
    start, end = period_bounds(period)
    first = int(start.timestamp())
    last_start = max(first, int(end.timestamp()) - WINDOW_SECONDS)  # the latest start
    # The calls of the period in offered order, streamed as one integer each:
    # epoch second * 2 + 1 if answered by an agent.
    answered = case((CallRow.answered_at.is_not(None), 1), else_=0)
    query = _in_period(select(_epoch(session) * 2 + answered), period, queue).order_by(
        CallRow.offered_at
    )
    times = array("q")
    taken = array("q", [0])  # taken[i]: calls answered among the first i
    running = 0
    stream = session.connection().execution_options(stream_results=True, yield_per=100_000)
    for packed in stream.execute(query).scalars():
        times.append(packed >> 1)
        running += packed & 1
        taken.append(running)
    count = len(times)
    best_start, best_offered, best_answered = 0, 0, 0  # no window yet

    def lower(window_start: int, offered: int, answered_in: int) -> bool:
        """Whether the window's rate is below the best so far (earlier on a tie), exactly."""
        if not best_offered:
            return True
        difference = answered_in * best_offered - best_answered * offered
        return difference < 0 or (difference == 0 and window_start < best_start)

    # Windows starting at a call: [c, c + 24 h), c <= last_start (the first of equal times).
    hi = 0
    previous = None
    for lo in range(count):
        moment = times[lo]
        if moment > last_start:
            break
        if moment == previous:
            continue
        previous = moment
        hi = bisect_left(times, moment + WINDOW_SECONDS, hi)
        offered, answered_in = hi - lo, taken[hi] - taken[lo]
        if lower(moment, offered, answered_in):
            best_start, best_offered, best_answered = moment, offered, answered_in
    # Windows ending just before a call: [c - 24 h, c), with first <= c - 24 h <= last_start.
    lo = bisect_left(times, first + WINDOW_SECONDS)
    start_index = 0
    previous = None
    for hi in range(lo, count):
        moment = times[hi]
        if moment == previous:
            continue
        previous = moment
        begins = moment - WINDOW_SECONDS
        if begins > last_start:
            break
        start_index = bisect_left(times, begins, start_index, hi)
        offered, answered_in = hi - start_index, taken[hi] - taken[start_index]
        if offered and lower(begins, offered, answered_in):
            best_start, best_offered, best_answered = begins, offered, answered_in
    # The period's last 24 hours (also the only window of a one-day period).
    lo = bisect_left(times, last_start)
    offered, answered_in = count - lo, taken[count] - taken[lo]
    if offered and lower(last_start, offered, answered_in):
        best_start, best_offered, best_answered = last_start, offered, answered_in
    if not best_offered:
        return None
    window_start_at = datetime.fromtimestamp(best_start, UTC)
    rate = best_answered / best_offered
    return ConnectionWindow(
        start=window_start_at,
        end=window_start_at + timedelta(seconds=WINDOW_SECONDS),
        offered=best_offered,
        answered=best_answered,
        rate=rate,
        target=CONNECTION_TARGET,
        meets_target=rate >= CONNECTION_TARGET,
    )


def daily_connection_rates(sessions: SessionFactory, period: Period) -> dict[date, float | None]:
    """The connection rate of each Beijing day of `period` (None for a day without calls), in
    day order, for the report's trend line."""
    with sessions() as session:
        t = _epoch(session)
        day = ((t + _BEIJING_OFFSET) // WINDOW_SECONDS).label("day")
        answered = case((CallRow.answered_at.is_not(None), 1), else_=0)
        query = _in_period(select(day, func.count(), func.sum(answered)), period, None).group_by(
            day
        )
        counts = {int(number): (int(o), int(a)) for number, o, a in session.execute(query)}
    epoch_day = date(1970, 1, 1)
    rates: dict[date, float | None] = {}
    current = period.start
    while current < period.end:
        offered, taken = counts.get((current - epoch_day).days, (0, 0))
        rates[current] = _rate(taken, offered)
        current += timedelta(days=1)
    return rates
