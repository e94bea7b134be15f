"""The figures of service evaluation (domain §9) as data: periods, indicator values, the worst
24-hour connection window, department scores and rankings, the monthly report, the live view.

Computed by `evaluation/`, rendered by the reports and returned as JSON by the API, so the report
and the API show the same numbers by construction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field, model_validator


class Dimension(StrEnum):
    """How indicators are broken down (none: the whole hotline)."""

    DEPARTMENT = "department"  # the lead department of the case
    CASE_TYPE = "case_type"
    CHANNEL = "channel"
    DISTRICT = "district"


class Period(BaseModel):
    """Whole Beijing-time days, `start` included, `end` excluded."""

    start: date
    end: date
    label: str = Field(description="e.g. 2026-11, or 2026-11-01..2026-11-15")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end: {self.end} is not after start {self.start}")
        return self

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1)
        return cls(start=start, end=end, label=f"{year:04d}-{month:02d}")

    @classmethod
    def days(cls, start: date, end_inclusive: date) -> Period:
        return cls(
            start=start,
            end=end_inclusive + timedelta(days=1),
            label=f"{start.isoformat()}..{end_inclusive.isoformat()}",
        )


class IndicatorValue(BaseModel):
    """One indicator: numerator over denominator; `rate` is None when nothing was due."""

    key: str = Field(description="e.g. on_time_sign_off_rate")
    numerator: int
    denominator: int
    rate: float | None
    target: float | None = None
    meets_target: bool | None = None


class IndicatorSet(BaseModel):
    """The indicators of one group (the whole hotline, or one department, type, …)."""

    dimension: Dimension | None
    group: str | None = Field(description="the department id, type, channel or district")
    values: list[IndicatorValue]

    def value(self, key: str) -> IndicatorValue:
        for item in self.values:
            if item.key == key:
                return item
        raise KeyError(key)


class ConnectionWindow(BaseModel):
    """The continuous 24 hours with the lowest connection rate in the period."""

    start: datetime
    end: datetime
    offered: int
    answered: int
    rate: float | None
    target: float
    meets_target: bool | None


class CallSummary(BaseModel):
    offered: int
    answered: int
    answered_within_15s: int
    abandoned: int
    connection_rate: IndicatorValue
    answer_15s_rate: IndicatorValue
    worst_window: ConnectionWindow | None


class DepartmentScore(BaseModel):
    """A department's score: its three component rates weighted, with their figures."""

    department: str
    department_class: str
    response: IndicatorValue
    resolution: IndicatorValue
    satisfaction: IndicatorValue
    score: float | None = Field(description="0-100; None without any case to score")
    rank: int | None = Field(description="1 = best within its class; ties share a rank")


class ClassRanking(BaseModel):
    department_class: str
    scores: list[DepartmentScore]


class Weights(BaseModel):
    response: float = 0.30
    resolution: float = 0.35
    satisfaction: float = 0.35


class Ranking(BaseModel):
    period: Period
    weights: Weights
    classes: list[ClassRanking]


class DailyPoint(BaseModel):
    """One day of the trend lines."""

    day: date
    cases: int
    direct_answer_rate: float | None
    connection_rate: float | None
    satisfaction_rate: float | None


class TypeCount(BaseModel):
    case_type: str
    cases: int


class EvaluationReport(BaseModel):
    """Everything `hotline report` renders and `GET /evaluation/report` returns."""

    period: Period
    generated_at: datetime
    overall: IndicatorSet
    breakdowns: dict[Dimension, list[IndicatorSet]]
    calls: CallSummary
    ranking: Ranking
    trend: list[DailyPoint]
    type_mix: list[TypeCount]


class TodayView(BaseModel):
    """Supervisors' live view: open cases, those due today, overdue, by escalation level."""

    at: datetime
    open: int
    due_today: int
    overdue: int
    by_escalation_level: dict[int, int]
    by_department: list[dict[str, int | str]]
