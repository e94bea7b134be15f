"""The evaluation report: every figure of a period in one `EvaluationReport`.

`build_report` is the one place the figures are put together; the HTML, CSV and XLSX reports
(`evaluation.render`, `evaluation.exports`), `hotline report` and `GET /evaluation/report` all
start from its result, so they show the same numbers by construction.

Also here: reading a period (`--month 2026-11`, or a first and a last day) and weights
(`0.3,0.35,0.35`) from what a user typed, for the CLI and the API alike. A refused value raises
`ReportInputError` naming the parameter, which each caller words in its own way.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from db.engine import SessionFactory
from db.tables import DepartmentRow
from evaluation.calls import call_summary, daily_connection_rates
from evaluation.indicators import case_indicators, trend, type_mix
from evaluation.ranking import rank_departments
from models.errors import RefusedError
from models.evaluation import (
    CallSummary,
    Dimension,
    EvaluationReport,
    IndicatorSet,
    Period,
    Weights,
)
from rules.evaluation import WEIGHT_TOLERANCE

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
"""The days a period may cover (far from the calendar's ends, in any time zone)."""
MAX_DAYS = 731
"""The longest period: two years (a report's trend has one point per day)."""


class ReportInputError(RefusedError, ValueError):
    """A period or weights a user gave that cannot be used; `parameter` names the option."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter
        self.reason = reason


# ---- the report --------------------------------------------------------------------------------


def overall_indicators(
    sessions: SessionFactory, period: Period, calls: CallSummary | None = None
) -> IndicatorSet:
    """The whole hotline's case indicators, with the call connection and 15-second answer rates
    of `calls` (computed when not given) appended."""
    sets = case_indicators(sessions, period, None)
    overall = sets[0] if sets else IndicatorSet(dimension=None, group=None, values=[])
    summary = calls if calls is not None else call_summary(sessions, period)
    present = {value.key for value in overall.values}
    extra = [
        value
        for value in (summary.connection_rate, summary.answer_15s_rate)
        if value.key not in present
    ]
    return overall.model_copy(update={"values": [*overall.values, *extra]})


def build_report(
    sessions: SessionFactory,
    period: Period,
    weights: Weights | None = None,
    now: datetime | None = None,
) -> EvaluationReport:
    """Every figure of `period`: the whole hotline (case and call indicators), the breakdowns by
    department, type, channel and district, the calls, the department ranking, the daily trend
    (with each day's connection rate) and the mix of case types."""
    calls = call_summary(sessions, period)
    connection = daily_connection_rates(sessions, period)
    days = [
        point.model_copy(update={"connection_rate": connection.get(point.day)})
        for point in trend(sessions, period)
    ]
    return EvaluationReport(
        period=period,
        generated_at=now if now is not None else datetime.now(UTC),
        overall=overall_indicators(sessions, period, calls),
        breakdowns={
            dimension: case_indicators(sessions, period, dimension) for dimension in Dimension
        },
        calls=calls,
        ranking=rank_departments(sessions, period, weights),
        trend=days,
        type_mix=type_mix(sessions, period),
    )


def department_names(sessions: SessionFactory) -> dict[str, str]:
    """Department id → name, for the reports' tables (ids stay the keys of every figure)."""
    with sessions() as session:
        rows = session.execute(select(DepartmentRow.id, DepartmentRow.name)).all()
    return {row.id: row.name for row in rows}


# ---- what users type ---------------------------------------------------------------------------


def parse_month(value: str, parameter: str = "month") -> Period:
    """`2026-11` → the period of that month."""
    match = _MONTH.match(value.strip())
    if match is None:
        raise ReportInputError(parameter, f"{value!r} is not a month like 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ReportInputError(parameter, f"{month} is not a month (01-12)")
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise ReportInputError(
            parameter, f"{year} is not a year from {FIRST_DAY.year} to {LAST_DAY.year}"
        )
    return Period.month(year, month)


def choose_period(
    month: str | None,
    first: date | None,
    last: date | None,
    names: tuple[str, str, str] = ("month", "start", "end"),
) -> Period:
    """The period of `month`, or of the days `first` to `last` (both included).

    Exactly one of the two forms; `names` are the parameters' names as the user knows them
    (`--month`, `--from`, `--to` on the command line).
    """
    month_name, first_name, last_name = names
    if month is not None:
        if first is not None or last is not None:
            raise ReportInputError(
                month_name, f"give either {month_name} or {first_name}/{last_name}, not both"
            )
        return parse_month(month, month_name)
    if first is None and last is None:
        raise ReportInputError(
            month_name, f"give a month, or {first_name} and {last_name} (the days included)"
        )
    if first is None:
        raise ReportInputError(first_name, f"missing: {last_name} needs a first day")
    if last is None:
        raise ReportInputError(last_name, f"missing: {first_name} needs a last day")
    if first > last:
        raise ReportInputError(
            first_name, f"{first.isoformat()} is after {last_name} {last.isoformat()}"
        )
    for name, day in ((first_name, first), (last_name, last)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ReportInputError(
                name, f"{day.isoformat()} is not a day from {FIRST_DAY} to {LAST_DAY}"
            )
    if (last - first).days + 1 > MAX_DAYS:
        raise ReportInputError(
            last_name, f"the period is {(last - first).days + 1} days; at most {MAX_DAYS}"
        )
    return Period.days(first, last)


def parse_weights(value: str, parameter: str = "weights") -> Weights:
    """`0.3,0.35,0.35` → response, resolution and satisfaction weights (they must sum to 1)."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 3:
        raise ReportInputError(
            parameter,
            f"{value!r}: give three weights, response,resolution,satisfaction (e.g. 0.3,0.35,0.35)",
        )
    numbers: list[float] = []
    for part in parts:
        try:
            number = float(part)
        except ValueError:
            raise ReportInputError(parameter, f"{part!r} is not a number") from None
        if not math.isfinite(number) or not 0 <= number <= 1:
            raise ReportInputError(parameter, f"{part} is not a weight between 0 and 1")
        numbers.append(number)
    total = math.fsum(numbers)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise ReportInputError(parameter, f"the weights sum to {total:g}, not 1")
    return Weights(response=numbers[0], resolution=numbers[1], satisfaction=numbers[2])
