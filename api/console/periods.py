"""The ranking page's period picker: a month, a quarter or a year, read from the query string.

A month goes through the evaluation's own reader (`evaluation.report.parse_month`), a quarter
or a year through its first-and-last-day reader (`choose_period`), so the console accepts the
same periods as the API and the CLI. A bad value raises `PeriodError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from evaluation.report import ReportInputError, choose_period, parse_month
from models.errors import BadDataError
from models.evaluation import Period
from models.timestamps import BEIJING

KINDS: dict[str, str] = {"month": "月", "quarter": "季度", "year": "年"}
PARTS: dict[str, int] = {"month": 12, "quarter": 4}


class PeriodError(BadDataError, ValueError):
    """A period field that cannot be used: `field` names it, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Picked:
    kind: str
    year: int
    part: int  # the month or the quarter; 0 for a year
    period: Period
    title: str


def default_pick(now: datetime) -> tuple[str, str, str]:
    """This month in Beijing time, as the picker's fields."""
    local = now.astimezone(BEIJING)
    return "month", str(local.year), str(local.month)


def _number(field: str, raw: str, low: int, high: int, what: str) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise PeriodError(field, f"“{raw}”不是{what}（请填 {low}–{high} 的整数）")
    value = int(text)
    if not low <= value <= high:
        raise PeriodError(field, f"{value} 不在 {low}–{high} 之间")
    return value


def pick(kind: str, year: str, part: str) -> Picked:
    """The period of the picker's fields; PeriodError naming the field if one is bad."""
    if kind not in KINDS:
        raise PeriodError("kind", f"“{kind}”不是可选的周期（月、季度、年）")
    number = _number("year", year, 2000, 2100, "年份")
    try:
        if kind == "month":
            month = _number("part", part, 1, PARTS["month"], "月份")
            period = parse_month(f"{number:04d}-{month:02d}", "part")
            return Picked(kind, number, month, period, f"{number} 年 {month} 月")
        if kind == "quarter":
            quarter = _number("part", part, 1, PARTS["quarter"], "季度")
            first = date(number, 3 * quarter - 2, 1)
            after = date(number + (quarter == 4), (3 * quarter) % 12 + 1, 1)
            period = choose_period(None, first, after - timedelta(days=1))
            title = f"{number} 年第 {quarter} 季度"
            return Picked(kind, number, quarter, period.model_copy(update={"label": title}), title)
        period = choose_period(None, date(number, 1, 1), date(number, 12, 31))
        title = f"{number} 年"
        return Picked(kind, number, 0, period.model_copy(update={"label": title}), title)
    except ReportInputError as err:
        raise PeriodError("part" if kind != "year" else "year", err.reason) from err
