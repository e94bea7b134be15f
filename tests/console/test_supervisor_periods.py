"""The ranking page's period picker: a month, a quarter or a year, and a bad field named."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.console.periods import PeriodError, default_pick, pick


def test_a_month_a_quarter_and_a_year() -> None:
    month = pick("month", "2026", "2")
    assert (month.period.start, month.period.end, month.title) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
        "2026 年 2 月",
    )
    quarter = pick("quarter", "2026", "4")
    assert (quarter.period.start, quarter.period.end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert quarter.title == "2026 年第 4 季度"
    year = pick("year", "2026", "")
    assert (year.period.start, year.period.end) == (date(2026, 1, 1), date(2027, 1, 1))


@pytest.mark.parametrize(
    ("kind", "year", "part", "field"),
    [
        ("week", "2026", "1", "kind"),
        ("month", "20x6", "1", "year"),
        ("month", "1899", "1", "year"),
        ("month", "2026", "13", "part"),
        ("month", "2026", "", "part"),
        ("quarter", "2026", "5", "part"),
        ("quarter", "2026", "-1", "part"),
    ],
)
def test_a_bad_field_is_named(kind: str, year: str, part: str, field: str) -> None:
    with pytest.raises(PeriodError) as refused:
        pick(kind, year, part)
    assert refused.value.field == field
    assert refused.value.reason


def test_the_default_is_this_month_in_beijing() -> None:
    # 2026-11-30 17:00 UTC is already 1 December in Beijing.
    assert default_pick(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == ("month", "2026", "12")
