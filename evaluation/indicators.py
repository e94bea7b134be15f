"""The case indicators of domain §9, per period and per group, computed in SQL.

Each call is a handful of GROUP BY queries over the projection (`cases`, indexed on received_at
and closed_at) joined to the per-case facts (`case_facts`), counting with CASE WHEN: no case is
loaded into Python. The formulas, the exclusions and the timestamp that places a case in a
period are in `rules.evaluation`; this module only turns them into SQL. The callback rate also
looks at the call records: an outbound call linked to a case is a callback attempt of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, not_, null, or_, select, true
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from db.call_tables import CallRow
from db.engine import SessionFactory
from db.evaluation_tables import CaseFactsRow
from db.knowledge_tables import ArticleRow, ArticleVersionRow
from db.tables import CaseRow
from models.enums import CENTRE, ArticleStatus, VersionState
from models.evaluation import (
    DailyPoint,
    Dimension,
    IndicatorSet,
    IndicatorValue,
    Period,
    TodayView,
    TypeCount,
)
from models.timestamps import BEIJING
from rules import callback as callback_rules
from rules import evaluation as rules

"""The group of open cases that have no lead department (waiting for the centre's dispatch)."""

Group = str | None
Figures = dict[str, int]

DIMENSION_COLUMNS: Mapping[Dimension, Any] = {
    Dimension.DEPARTMENT: CaseRow.lead_department,
    Dimension.CASE_TYPE: CaseRow.case_type,
    Dimension.CHANNEL: CaseRow.channel,
    Dimension.DISTRICT: CaseRow.district,
}

FORMULAS: Mapping[str, tuple[str, str]] = {
    rules.DIRECT_ANSWER_RATE.key: ("direct", "valid"),
    rules.ON_TIME_SIGN_OFF_RATE.key: ("signed_on_time", "dispatched"),
    rules.RETURN_RATE.key: ("returns", "dispatches"),
    rules.REJECTED_RETURN_RATE.key: ("returns_rejected", "dispatches"),
    rules.ON_TIME_COMPLETION_RATE.key: ("replied_on_time", "replies_due"),
    rules.OVERDUE_RATE.key: ("overdue", "replies_due"),
    rules.CALLBACK_RATE.key: ("called_back", "callback_due"),
    rules.SATISFACTION_RATE.key: ("satisfied", "reached"),
    rules.RESOLUTION_RATE.key: ("resolved", "reached"),
    rules.REOPEN_RATE.key: ("reopened", "dispatched"),
    rules.KB_FRESHNESS.key: ("fresh_articles", "published_articles"),
    rules.KB_UPDATES_PER_WEEK.key: ("approved_versions", "weeks"),
    rules.RESPONSE_RATE.key: ("signed_on_time", "dispatched"),
}
"""Indicator key -> (numerator, denominator) figure names of the queries below."""


# ---- public API -------------------------------------------------------------------------------


def case_indicators(
    sessions: SessionFactory, period: Period, dimension: Dimension | None = None
) -> list[IndicatorSet]:
    """The indicators of `rules.INDICATORS` for the whole hotline (one set, group None) or one set
    per group of `dimension` (groups in order, None — not dispatched — last).

    The knowledge-base indicators are in the overall set and, per owning department, in the
    department breakdown only.
    """
    with_knowledge = dimension in (None, Dimension.DEPARTMENT)
    with sessions() as session:
        figures = _merge(
            intake_figures(session, period, dimension),
            closure_figures(session, period, dimension),
            knowledge_figures(session, period, dimension) if with_knowledge else {},
        )
    if dimension is None:
        figures.setdefault(None, {})
    weeks = rules.weeks((period.end - period.start).days)
    keys = [
        rule.key
        for rule in rules.INDICATORS
        if with_knowledge or rule.key not in rules.KNOWLEDGE_INDICATORS
    ]
    return [
        IndicatorSet(
            dimension=dimension,
            group=group,
            values=[indicator(key, figures[group] | {"weeks": weeks}) for key in keys],
        )
        for group in _ordered(figures)
    ]


def trend(sessions: SessionFactory, period: Period) -> list[DailyPoint]:
    """One point per Beijing day of the period: cases received that day (all of them), the
    direct answer rate of that day's intake, the satisfaction rate of the cases closed that day.
    `connection_rate` is left None (it comes from the call records)."""
    start, end = bounds(period)
    with sessions() as session:
        received_day = beijing_day(session, CaseRow.received_at)
        intake = session.execute(
            select(received_day, func.count(), _count(_valid()), _count(_direct()))
            .where(CaseRow.received_at >= start, CaseRow.received_at < end)
            .group_by(received_day)
        ).all()
        closed_day = beijing_day(session, CaseRow.closed_at)
        closure = session.execute(
            select(closed_day, _count(_satisfied()), _count(_reached()))
            .where(CaseRow.closed_at >= start, CaseRow.closed_at < end, _scored())
            .group_by(closed_day)
        ).all()
    received = {_as_date(day): (cases, valid, direct) for day, cases, valid, direct in intake}
    closed = {_as_date(day): (satisfied, reached) for day, satisfied, reached in closure}
    points = []
    for offset in range((period.end - period.start).days):
        day = period.start + timedelta(days=offset)
        cases, valid, direct = received.get(day, (0, 0, 0))
        satisfied, reached = closed.get(day, (0, 0))
        points.append(
            DailyPoint(
                day=day,
                cases=cases,
                direct_answer_rate=_rate(direct, valid),
                connection_rate=None,
                satisfaction_rate=_rate(satisfied, reached),
            )
        )
    return points


def type_mix(sessions: SessionFactory, period: Period) -> list[TypeCount]:
    """Cases received in the period by type (all of them), most frequent first."""
    start, end = bounds(period)
    with sessions() as session:
        rows = session.execute(
            select(CaseRow.case_type, func.count())
            .where(CaseRow.received_at >= start, CaseRow.received_at < end)
            .group_by(CaseRow.case_type)
        ).all()
    counted = sorted(((str(kind), int(n)) for kind, n in rows), key=lambda r: (-r[1], r[0]))
    return [TypeCount(case_type=kind, cases=n) for kind, n in counted]


def today_view(sessions: SessionFactory, now: datetime) -> TodayView:
    """Open cases now: how many, due today (next deadline within today, Beijing time), overdue,
    by escalation level and by lead department ("centre" for those not dispatched yet)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("today_view needs an aware datetime")
    today = now.astimezone(BEIJING).date()
    day_start = datetime.combine(today, time(0), BEIJING)
    day_end = day_start + timedelta(days=1)
    due_today = (CaseRow.next_deadline >= day_start) & (CaseRow.next_deadline < day_end)
    with sessions() as session:
        rows = session.execute(
            select(
                CaseRow.lead_department,
                CaseRow.escalation_level,
                func.count(),
                _count(due_today),
                _count(CaseRow.overdue == true()),
            )
            .where(CaseRow.status.in_(rules.OPEN_STATUSES))
            .group_by(CaseRow.lead_department, CaseRow.escalation_level)
        ).all()
    levels: dict[int, int] = dict.fromkeys(range(4), 0)
    departments: dict[str, dict[str, int]] = {}
    for department, level, open_, due, overdue in rows:
        levels[int(level)] = levels.get(int(level), 0) + open_
        counts = departments.setdefault(
            department or CENTRE, {"open": 0, "due_today": 0, "overdue": 0}
        )
        counts["open"] += open_
        counts["due_today"] += due
        counts["overdue"] += overdue
    by_department: list[dict[str, int | str]] = [
        {"department": name, **counts}
        for name, counts in sorted(departments.items(), key=lambda d: (-d[1]["open"], d[0]))
    ]
    return TodayView(
        at=now,
        open=sum(c["open"] for c in departments.values()),
        due_today=sum(c["due_today"] for c in departments.values()),
        overdue=sum(c["overdue"] for c in departments.values()),
        by_escalation_level=levels,
        by_department=by_department,
    )


# ---- building blocks (also used by the ranking) ------------------------------------------------


def indicator(key: str, figures: Mapping[str, int]) -> IndicatorValue:
    """The value of indicator `key` from a group's figures (missing figures count 0)."""
    numerator_name, denominator_name = FORMULAS[key]
    numerator = int(figures.get(numerator_name, 0))
    denominator = int(figures.get(denominator_name, 0))
    rate = _rate(numerator, denominator)
    rule = rules.RESPONSE_RATE if key == rules.RESPONSE_RATE.key else rules.rule(key)
    return IndicatorValue(
        key=key,
        numerator=numerator,
        denominator=denominator,
        rate=rate,
        target=rule.target,
        meets_target=rule.meets(rate),
    )


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's start and end as aware instants (Beijing midnight)."""
    return (
        datetime.combine(period.start, time(0), BEIJING),
        datetime.combine(period.end, time(0), BEIJING),
    )


def intake_figures(
    session: Session, period: Period, dimension: Dimension | None
) -> dict[Group, Figures]:
    """Per group, the cases received in the period: all, valid, closed at intake."""
    start, end = bounds(period)
    group = _group(dimension)
    statement = select(
        group,
        func.count().label("received"),
        _count(_valid()).label("valid"),
        _count(_direct()).label("direct"),
    ).where(CaseRow.received_at >= start, CaseRow.received_at < end)
    return _figures(session, _grouped(statement, group, dimension))


def closure_figures(
    session: Session, period: Period, dimension: Dimension | None
) -> dict[Group, Figures]:
    """Per group, the figures of the cases closed in the period (withdrawn and merged left out)."""
    start, end = bounds(period)
    group = _group(dimension)
    facts = CaseFactsRow
    dispatched = CaseRow.dispatched_at.is_not(None)
    replied = func.coalesce(facts.replies, 0) > 0
    late = func.coalesce(facts.replies_late, 0) > 0
    handling_overdue = _flag(facts.handling_overdue)
    callback_due = _flag(facts.callback_required)
    statement = (
        select(
            group,
            _count(dispatched).label("dispatched"),
            _count(
                dispatched & CaseRow.signed_at.is_not(None) & not_(_flag(facts.sign_off_overdue))
            ).label("signed_on_time"),
            _sum(facts.dispatches).label("dispatches"),
            _sum(facts.returns).label("returns"),
            _sum(facts.returns_rejected).label("returns_rejected"),
            _count(replied | handling_overdue).label("replies_due"),
            _count(replied & not_(late)).label("replied_on_time"),
            _count(late | (not_(replied) & handling_overdue)).label("overdue"),
            _count(callback_due).label("callback_due"),
            _count(callback_due & _called_back()).label("called_back"),
            _count(_reached()).label("reached"),
            _count(_satisfied()).label("satisfied"),
            _count(_reached() & (CaseRow.resolved == true())).label("resolved"),
            _count(dispatched & (func.coalesce(facts.reopens, 0) > 0)).label("reopened"),
        )
        .select_from(CaseRow)
        .outerjoin(facts, facts.case_no == CaseRow.case_no)
        .where(CaseRow.closed_at >= start, CaseRow.closed_at < end, _scored())
    )
    return _figures(session, _grouped(statement, group, dimension))


def knowledge_figures(
    session: Session, period: Period, dimension: Dimension | None
) -> dict[Group, Figures]:
    """Published and fresh articles (as of the period's last day) and versions approved in the
    period, by owning department, or summed for the whole hotline."""
    start, end = bounds(period)
    as_of = period.end - timedelta(days=1)
    articles = session.execute(
        select(
            ArticleRow.department,
            func.count().label("published_articles"),
            _count(ArticleRow.review_by >= as_of).label("fresh_articles"),
        )
        .where(ArticleRow.status == ArticleStatus.PUBLISHED.value)
        .group_by(ArticleRow.department)
    ).all()
    versions = session.execute(
        select(ArticleVersionRow.department, func.count().label("approved_versions"))
        .where(
            ArticleVersionRow.state == VersionState.APPROVED.value,
            ArticleVersionRow.decided_at >= start,
            ArticleVersionRow.decided_at < end,
        )
        .group_by(ArticleVersionRow.department)
    ).all()
    figures: dict[Group, Figures] = {}
    for row in [*articles, *versions]:
        key: Group = str(row[0]) if dimension is Dimension.DEPARTMENT else None
        target = figures.setdefault(key, {})
        for name, value in row._mapping.items():
            if name != "department":
                target[name] = target.get(name, 0) + int(value)
    return figures


def beijing_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The Beijing-time date of a stored instant, in SQL."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, "+8 hours")
    return func.date(func.timezone("Asia/Shanghai", column))


# ---- private ----------------------------------------------------------------------------------


def _valid() -> ColumnElement[bool]:
    return or_(
        CaseRow.closure_reason.is_(None),
        CaseRow.closure_reason.not_in([r.value for r in rules.NOT_VALID_CLOSURES]),
    )


def _direct() -> ColumnElement[bool]:
    return CaseRow.closure_reason.in_([r.value for r in rules.INTAKE_CLOSURES])


def _scored() -> ColumnElement[bool]:
    return CaseRow.closure_reason.not_in([r.value for r in rules.NOT_SCORED_CLOSURES])


def _reached() -> ColumnElement[bool]:
    return CaseRow.satisfaction.is_not(None) & CaseRow.closure_reason.not_in(
        [r.value for r in rules.UNREACHED_CLOSURES]
    )


def _satisfied() -> ColumnElement[bool]:
    return _reached() & CaseRow.satisfaction.in_([s.value for s in callback_rules.SATISFIED])


def _called_back() -> ColumnElement[bool]:
    """At least one callback attempt: recorded by the callback step, or an outbound call linked
    to the case placed after its last reply and not after it closed."""
    placed = exists().where(
        CallRow.case_no == CaseRow.case_no,
        CallRow.direction == rules.CALLBACK_CALL_DIRECTION.value,
        CallRow.offered_at >= func.coalesce(CaseRow.replied_at, CaseRow.received_at),
        CallRow.offered_at <= CaseRow.closed_at,
    )
    return (CaseRow.callback_attempts > 0) | placed


def _flag(column: Any) -> ColumnElement[bool]:
    return func.coalesce(column, false()) == true()


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(when((condition, 1)))


def _sum(column: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


def _group(dimension: Dimension | None) -> Any:
    if dimension is None:
        return null().label("group")
    return DIMENSION_COLUMNS[dimension]


def _grouped(statement: Select[Any], group: Any, dimension: Dimension | None) -> Select[Any]:
    if dimension is None:
        # No GROUP BY: one row (of zeros on an empty period) with a NULL group column.
        return statement
    return statement.group_by(group)


def _figures(session: Session, statement: Select[Any]) -> dict[Group, Figures]:
    figures: dict[Group, Figures] = {}
    for row in session.execute(statement):
        group, *counts = row
        figures[group] = {name: int(v) for name, v in zip(row._fields[1:], counts, strict=True)}
    return figures


def _merge(*parts: dict[Group, Figures]) -> dict[Group, Figures]:
    merged: dict[Group, Figures] = {}
    for part in parts:
        for group, figures in part.items():
            merged.setdefault(group, {}).update(figures)
    return merged


def _ordered(groups: Iterable[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (g is None, g or ""))


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
