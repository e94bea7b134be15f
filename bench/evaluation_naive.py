"""The naive baseline of `bench.evaluation_scale`: the case indicators of a period counted in a
per-case Python loop over ORM objects, side by side with the SQL of `case_indicators`."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import Engine, select, text

from bench.evaluation_sql import MONTH
from db.engine import SessionFactory
from db.evaluation_tables import CaseFactsRow
from db.tables import CaseRow
from evaluation.indicators import FORMULAS, case_indicators
from models.evaluation import Dimension, IndicatorSet, Period
from models.timestamps import BEIJING
from rules import callback as callback_rules
from rules import evaluation as rules

CASE_KEYS = [rule.key for rule in rules.INDICATORS if rule.key not in rules.KNOWLEDGE_INDICATORS]
GroupKey = tuple[str, str | None]
OVERALL: GroupKey = ("overall", None)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time(0), BEIJING),
        datetime.combine(period.end, time(0), BEIJING),
    )


def naive_figures(sessions: SessionFactory, period: Period) -> dict[GroupKey, dict[str, int]]:
    """The case figures of `period`, overall (key None) and per lead department, the naive way:
    every case of the period loaded as an ORM object (with its facts) and counted in Python.
    Keys: `OVERALL`, and ("department", lead department or None)."""
    start, end = _bounds(period)
    figures: dict[GroupKey, dict[str, int]] = {}

    def add(group: str | None, name: str, amount: int = 1) -> None:
        for key in (OVERALL, (Dimension.DEPARTMENT.value, group)):
            counts = figures.setdefault(key, {})
            counts[name] = counts.get(name, 0) + amount

    not_valid = {reason.value for reason in rules.NOT_VALID_CLOSURES}
    direct = {reason.value for reason in rules.INTAKE_CLOSURES}
    not_scored = {reason.value for reason in rules.NOT_SCORED_CLOSURES}
    unreached = {reason.value for reason in rules.UNREACHED_CLOSURES}
    satisfied_levels = {level.value for level in callback_rules.SATISFIED}
    with sessions() as session:
        received = session.scalars(
            select(CaseRow).where(CaseRow.received_at >= start, CaseRow.received_at < end)
        )
        for case in received:
            reason = case.closure_reason
            add(case.lead_department, "received")
            if reason is None or reason not in not_valid:
                add(case.lead_department, "valid")
            if reason in direct:
                add(case.lead_department, "direct")
        closed = session.execute(
            select(CaseRow, CaseFactsRow)
            .outerjoin(CaseFactsRow, CaseFactsRow.case_no == CaseRow.case_no)
            .where(CaseRow.closed_at >= start, CaseRow.closed_at < end)
        )
        for case, facts in closed:
            reason = case.closure_reason
            if reason is None or reason in not_scored:
                continue
            group = case.lead_department
            dispatched = case.dispatched_at is not None
            replies = facts.replies if facts else 0
            late = bool(facts and facts.replies_late)
            handling_overdue = bool(facts and facts.handling_overdue)
            callback_due = bool(facts and facts.callback_required)
            reached = case.satisfaction is not None and reason not in unreached
            add(group, "dispatched", dispatched)
            add(
                group,
                "signed_on_time",
                dispatched
                and case.signed_at is not None
                and not (facts and facts.sign_off_overdue),
            )
            add(group, "dispatches", facts.dispatches if facts else 0)
            add(group, "returns", facts.returns if facts else 0)
            add(group, "returns_rejected", facts.returns_rejected if facts else 0)
            add(group, "replies_due", replies > 0 or handling_overdue)
            add(group, "replied_on_time", replies > 0 and not late)
            add(group, "overdue", late or (replies == 0 and handling_overdue))
            add(group, "callback_due", callback_due)
            add(group, "called_back", callback_due and case.callback_attempts > 0)
            add(group, "reached", reached)
            add(group, "satisfied", reached and case.satisfaction in satisfied_levels)
            add(group, "resolved", reached and case.resolved is True)
            add(group, "reopened", dispatched and bool(facts and facts.reopens))
    return figures


def naive_sets(
    sessions: SessionFactory, period: Period
) -> dict[GroupKey, dict[str, tuple[int, int]]]:
    """(numerator, denominator) of every case indicator, per group, from `naive_figures`."""
    result: dict[GroupKey, dict[str, tuple[int, int]]] = {}
    for group, counts in naive_figures(sessions, period).items():
        result[group] = {
            key: (counts.get(FORMULAS[key][0], 0), counts.get(FORMULAS[key][1], 0))
            for key in CASE_KEYS
        }
    return result


def sql_sets(
    sessions: SessionFactory, period: Period
) -> dict[GroupKey, dict[str, tuple[int, int]]]:
    sets: list[IndicatorSet] = [
        *case_indicators(sessions, period, None),
        *case_indicators(sessions, period, Dimension.DEPARTMENT),
    ]
    result: dict[GroupKey, dict[str, tuple[int, int]]] = {}
    for item in sets:
        group = OVERALL if item.dimension is None else (item.dimension.value, item.group)
        result[group] = {
            value.key: (value.numerator, value.denominator)
            for value in item.values
            if value.key in CASE_KEYS
        }
    return result


def differences(
    naive: dict[GroupKey, dict[str, tuple[int, int]]],
    sql: dict[GroupKey, dict[str, tuple[int, int]]],
) -> list[str]:
    found = []
    zero = dict.fromkeys(CASE_KEYS, (0, 0))
    for group in sorted(set(naive) | set(sql), key=lambda g: (g[0], g[1] or "")):
        mine, theirs = naive.get(group, zero), sql.get(group, zero)
        for key in CASE_KEYS:
            if mine.get(key, (0, 0)) != theirs.get(key, (0, 0)):
                where = "overall" if group == OVERALL else f"{group[0]} {group[1]}"
                found.append(f"{where} {key}: naive {mine.get(key)} sql {theirs.get(key)}")
    return found


def sample_period(engine: Engine, sample: int) -> tuple[Period, int]:
    """The first days of 2026-11 that hold about `sample` cases received, and their count."""
    with engine.connect() as connection:
        in_month = int(
            connection.execute(
                select(text("count(*)"))
                .select_from(CaseRow)
                .where(
                    CaseRow.received_at >= _bounds(MONTH)[0],
                    CaseRow.received_at < _bounds(MONTH)[1],
                )
            ).scalar_one()
        )
    days = (MONTH.end - MONTH.start).days
    per_day = max(in_month / days, 1.0)
    wanted = min(days, max(1, round(sample / per_day)))
    period = Period.days(MONTH.start, MONTH.start + timedelta(days=wanted - 1))
    with engine.connect() as connection:
        start, end = _bounds(period)
        count = int(
            connection.execute(
                select(text("count(*)"))
                .select_from(CaseRow)
                .where(CaseRow.received_at >= start, CaseRow.received_at < end)
            ).scalar_one()
        )
    return period, count
