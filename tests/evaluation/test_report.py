"""The evaluation report's files from a report built by hand: the HTML page (self-contained,
escaped, its figures those of the report), the long-format CSV and the XLSX workbook read back,
the charts; and reading a period and weights. The `assert_*_carries` helpers are shared with the
CLI and API tests, which run them on `build_report`'s figures from a database."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from openpyxl import load_workbook

from evaluation.exports import CSV_COLUMNS, SHEETS, render_csv, render_xlsx
from evaluation.labels import percent, rate_text
from evaluation.render import render_html
from evaluation.report import ReportInputError, choose_period, parse_month, parse_weights
from models.evaluation import (
    CallSummary,
    ClassRanking,
    ConnectionWindow,
    DailyPoint,
    DepartmentScore,
    Dimension,
    EvaluationReport,
    IndicatorSet,
    IndicatorValue,
    Period,
    Ranking,
    TypeCount,
    Weights,
)

HOSTILE = '<script>alert("x")</script>区'


# ---- a report built by hand -------------------------------------------------------------------


def value(
    key: str, numerator: int, denominator: int, target: float | None = None
) -> IndicatorValue:
    rate = numerator / denominator if denominator else None
    lower = key in {"return_rate", "overdue_rate", "reopen_rate", "rejected_return_rate"}
    met = None
    if target is not None and rate is not None:
        met = rate <= target if lower else rate >= target
    return IndicatorValue(
        key=key,
        numerator=numerator,
        denominator=denominator,
        rate=rate,
        target=target,
        meets_target=met,
    )


def case_values(seed: int) -> list[IndicatorValue]:
    return [
        value("direct_answer_rate", 700 + seed, 1000 + 3 * seed),
        value("on_time_sign_off_rate", 290 - seed, 300, 0.95),
        value("return_rate", 12 + seed, 301, 0.05),
        value("satisfaction_rate", 250, 281 + seed, 0.9),
        value("reopen_rate", 0, 0),
    ]


def score(department: str, kind: str, rank: int | None, points: float | None) -> DepartmentScore:
    return DepartmentScore(
        department=department,
        department_class=kind,
        response=value("response_rate", 9, 11),
        resolution=value("resolution_rate", 8, 13),
        satisfaction=value("satisfaction_rate", 7, 10),
        score=points,
        rank=rank,
    )


def sample_report() -> EvaluationReport:
    period = Period.month(2026, 11)
    calls = CallSummary(
        offered=10_000,
        answered=9_512,
        answered_within_15s=8_003,
        abandoned=488,
        connection_rate=value("connection_rate", 9_512, 10_000, 0.95),
        answer_15s_rate=value("answer_15s_rate", 8_003, 10_000, 0.8),
        worst_window=ConnectionWindow(
            start=datetime(2026, 11, 3, 2, tzinfo=UTC),
            end=datetime(2026, 11, 4, 2, tzinfo=UTC),
            offered=400,
            answered=371,
            rate=371 / 400,
            target=0.95,
            meets_target=False,
        ),
    )
    overall = IndicatorSet(
        dimension=None,
        group=None,
        values=[
            *case_values(0),
            value("kb_updates_per_week", 9, 5),
            calls.connection_rate,
            calls.answer_15s_rate,
        ],
    )

    def groups(dimension: Dimension, names: list[str]) -> list[IndicatorSet]:
        return [
            IndicatorSet(dimension=dimension, group=name, values=case_values(index + 1))
            for index, name in enumerate(names)
        ]

    return EvaluationReport(
        period=period,
        generated_at=datetime(2026, 12, 1, 1, 30, tzinfo=UTC),
        overall=overall,
        breakdowns={
            Dimension.DEPARTMENT: groups(Dimension.DEPARTMENT, ["gy-water", "gy-market"]),
            Dimension.CASE_TYPE: groups(Dimension.CASE_TYPE, ["complaint", "consultation"]),
            Dimension.CHANNEL: groups(Dimension.CHANNEL, ["phone"]),
            Dimension.DISTRICT: groups(Dimension.DISTRICT, ["南明区", HOSTILE]),
        },
        calls=calls,
        ranking=Ranking(
            period=period,
            weights=Weights(),
            classes=[
                ClassRanking(
                    department_class="functional",
                    scores=[
                        score("gy-water", "functional", 1, 80.5),
                        score("gy-market", "functional", 2, 70.25),
                    ],
                ),
                ClassRanking(
                    department_class="district_government",
                    scores=[score("nanming-gov", "district_government", None, None)],
                ),
            ],
        ),
        trend=[
            DailyPoint(
                day=period.start + timedelta(days=index),
                cases=30 + index,
                direct_answer_rate=0.7,
                connection_rate=None if index == 5 else 0.95 - index / 1000,
                satisfaction_rate=0.9,
            )
            for index in range(30)
        ],
        type_mix=[
            TypeCount(case_type="complaint", cases=400),
            TypeCount(case_type="consultation", cases=300),
        ],
    )


# ---- reading the files back -------------------------------------------------------------------


class FigureCells(HTMLParser):
    """The figure cells of a report page: their data- attributes and the text shown."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if self._open is not None:
            self._depth += 1
            return
        if tag == "td" and "data-key" in found and "data-section" in found:
            self._open = found | {"text": ""}
            self._depth = 0

    def handle_endtag(self, tag: str) -> None:
        if self._open is None:
            return
        if self._depth:
            self._depth -= 1
            return
        self.cells.append(self._open)
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._depth == 0:
            self._open["text"] += data


def html_figures(page: str) -> dict[tuple[str, str, str], dict[str, str]]:
    parser = FigureCells()
    parser.feed(page)
    figures: dict[tuple[str, str, str], dict[str, str]] = {}
    for cell in parser.cells:
        figures[(cell["data-section"], cell["data-group"], cell["data-key"])] = cell
    return figures


def report_figures(report: EvaluationReport) -> Iterator[tuple[str, str, IndicatorValue]]:
    """(section, group, value) of every indicator value the report holds."""
    for item in report.overall.values:
        yield "overall", "", item
    for dimension, sets in report.breakdowns.items():
        for values in sets:
            for item in values.values:
                yield dimension.value, values.group or "", item
    for ranked in report.ranking.classes:
        for entry in ranked.scores:
            for item in (entry.response, entry.resolution, entry.satisfaction):
                yield "ranking", entry.department, item


def assert_html_carries(page: str, report: EvaluationReport) -> None:
    """Every indicator of `report` is in `page`: exact values in data- attributes, and the rate
    shown with one decimal."""
    figures = html_figures(page)
    expected = list(report_figures(report))
    assert expected
    for section, group, item in expected:
        cell = figures[(section, group, item.key)]
        assert int(cell["data-numerator"]) == item.numerator, (section, group, item.key)
        assert int(cell["data-denominator"]) == item.denominator, (section, group, item.key)
        shown = float(cell["data-rate"]) if cell["data-rate"] else None
        assert shown == item.rate, (section, group, item.key)
        assert cell["text"].strip() == rate_text(item.key, item.rate)
    for ranked in report.ranking.classes:
        for entry in ranked.scores:
            cell = figures[("ranking", entry.department, "score")]
            assert (float(cell["data-value"]) if cell["data-value"] else None) == entry.score
    assert f"12345热线服务评价报告 {report.period.label}" in page


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def number(text: str) -> float | None:
    return float(text) if text else None


def assert_csv_carries(data: bytes, report: EvaluationReport) -> None:
    rows = csv_rows(data)
    by_key = {(row["section"], row["group"], row["indicator"]): row for row in rows}
    for section, group, item in report_figures(report):
        row = by_key[(section, group, item.key)]
        assert (int(row["numerator"]), int(row["denominator"])) == (
            item.numerator,
            item.denominator,
        )
        assert number(row["rate"]) == item.rate
        assert number(row["target"]) == item.target
    calls = by_key[("calls", "", "offered")]
    assert int(calls["value"]) == report.calls.offered
    for point in report.trend:
        day = point.day.isoformat()
        assert int(by_key[("trend", day, "cases")]["value"]) == point.cases
        assert number(by_key[("trend", day, "connection_rate")]["rate"]) == point.connection_rate
    for ranked in report.ranking.classes:
        for entry in ranked.scores:
            assert number(by_key[("ranking", entry.department, "score")]["value"]) == entry.score


def excel(figure: Any) -> Any:
    """A float as a workbook holds it (Excel keeps about 16 significant digits)."""
    return pytest.approx(figure, rel=1e-14) if isinstance(figure, float) else figure


def assert_xlsx_carries(data: bytes, report: EvaluationReport) -> None:
    book = load_workbook(io.BytesIO(data))
    assert tuple(book.sheetnames) == SHEETS
    overall = list(book["指标"].iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[2], row[3], row[4]) for row in overall] == [
        (item.key, item.numerator, item.denominator, excel(item.rate))
        for item in report.overall.values
    ]
    for title, dimension in (
        ("分部门", Dimension.DEPARTMENT),
        ("分类型", Dimension.CASE_TYPE),
        ("分渠道", Dimension.CHANNEL),
        ("分区县", Dimension.DISTRICT),
    ):
        rows = list(book[title].iter_rows(min_row=2, values_only=True))
        assert [(row[0], row[3], row[4], row[5], row[6]) for row in rows] == [
            (values.group, item.key, item.numerator, item.denominator, excel(item.rate))
            for values in report.breakdowns[dimension]
            for item in values.values
        ]
    ranking = list(book["排名"].iter_rows(min_row=2, values_only=True))
    assert [(row[1], row[2], row[6], row[9], row[12], row[13]) for row in ranking] == [
        (
            entry.rank,
            entry.department,
            excel(entry.response.rate),
            excel(entry.resolution.rate),
            excel(entry.satisfaction.rate),
            excel(entry.score),
        )
        for ranked in report.ranking.classes
        for entry in ranked.scores
    ]
    trend = list(book["趋势"].iter_rows(min_row=2, values_only=True))
    assert [(row[0].date(), row[1], row[3]) for row in trend] == [
        (point.day, point.cases, excel(point.connection_rate)) for point in report.trend
    ]
    assert book["指标"]["E2"].number_format == "0.0%"


# ---- the files --------------------------------------------------------------------------------


def test_the_html_report_is_one_self_contained_page_with_the_reports_figures() -> None:
    report = sample_report()
    page = render_html(report, {"gy-water": "市水务局"})
    assert_html_carries(page, report)
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for outside in ("<script", "<link", " src=", " href=", "@import", "url("):
        assert outside not in lowered, outside
    assert re.findall(r"https?://[^\s\"'<>]+", page) == ["http://www.w3.org/2000/svg"] * 5
    assert "2026-11-01 至 2026-11-30" in page
    assert "市水务局" in page and "gy-market" in page
    headline = page[page.index("一、核心指标") : page.index("二、指标明细")]
    assert "95.1%" in headline and "92.8%" in headline and "未达标" in headline
    assert "1.8/周" in page  # a count per week is not a percentage


def test_every_value_is_escaped() -> None:
    page = render_html(sample_report(), {"gy-market": "<b>市场监管局</b>"})
    assert "<script>alert" not in page and "<b>市场" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;区" in page
    assert "&lt;b&gt;市场监管局&lt;/b&gt;" in page


def test_the_charts_are_inline_svg_drawn_from_the_figures() -> None:
    report = sample_report()
    page = render_html(report)
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    titles = [re.search(r"<title>(.*?)</title>", chart).group(1) for chart in charts]
    assert titles == [
        "每日受理量 cases per day",
        "每日接通率、满意率、直接答复率",
        "诉求类型构成",
        "职能部门综合得分",
        "区（县、市）政府综合得分",
    ]
    cases, rates = charts[0], charts[1]
    assert cases.count("<polyline") == 1
    # The connection rate has no figure on day 6: its line breaks there (two pieces).
    assert rates.count('stroke="#1c7ed6"') == 2 and rates.count("<polyline") == 4
    assert ">80.5<" in charts[3] and ">70.2<" in charts[3]
    assert "400（57.1%）" in charts[2]


def test_an_empty_period_renders() -> None:
    period = Period.days(date(2026, 11, 1), date(2026, 11, 1))
    empty = value("connection_rate", 0, 0, 0.95)
    report = EvaluationReport(
        period=period,
        generated_at=datetime(2026, 11, 2, tzinfo=UTC),
        overall=IndicatorSet(dimension=None, group=None, values=[empty]),
        breakdowns={dimension: [] for dimension in Dimension},
        calls=CallSummary(
            offered=0,
            answered=0,
            answered_within_15s=0,
            abandoned=0,
            connection_rate=empty,
            answer_15s_rate=value("answer_15s_rate", 0, 0),
            worst_window=None,
        ),
        ranking=Ranking(period=period, weights=Weights(), classes=[]),
        trend=[
            DailyPoint(
                day=period.start,
                cases=0,
                direct_answer_rate=None,
                connection_rate=None,
                satisfaction_rate=None,
            )
        ],
        type_mix=[],
    )
    page = render_html(report)
    assert "本期没有可排名的承办单位" in page and "本期无话务记录" in page
    assert_html_carries(page, report)
    assert_csv_carries(render_csv(report), report)
    assert_xlsx_carries(render_xlsx(report), report)


def test_the_csv_carries_the_same_figures_in_long_format() -> None:
    report = sample_report()
    data = render_csv(report)
    assert data.splitlines()[0] == "\ufeff".encode() + ",".join(CSV_COLUMNS).encode()
    assert_csv_carries(data, report)
    rows = csv_rows(data)
    assert {row["section"] for row in rows} == {
        "report",
        "overall",
        "department",
        "case_type",
        "channel",
        "district",
        "calls",
        "ranking",
        "trend",
        "type_mix",
    }
    worst = next(row for row in rows if row["indicator"] == "worst_24h_connection_rate")
    assert (worst["numerator"], worst["denominator"], worst["meets_target"]) == (
        "371",
        "400",
        "false",
    )
    assert any(row["group"] == HOSTILE for row in rows)


def test_the_xlsx_has_a_sheet_per_table_with_the_same_figures() -> None:
    report = sample_report()
    assert_xlsx_carries(render_xlsx(report, {"gy-water": "市水务局"}), report)


def test_percentages_have_one_decimal() -> None:
    assert (percent(0.95), percent(0.9999), percent(1 / 3), percent(None)) == (
        "95.0%",
        "100.0%",
        "33.3%",
        "—",
    )


# ---- what users type --------------------------------------------------------------------------


def test_a_month_or_days_make_a_period() -> None:
    assert parse_month("2026-11") == Period.month(2026, 11)
    assert choose_period("2026-12", None, None).end == date(2027, 1, 1)
    days = choose_period(None, date(2026, 11, 1), date(2026, 11, 15))
    assert (days.start, days.end, days.label) == (
        date(2026, 11, 1),
        date(2026, 11, 16),
        "2026-11-01..2026-11-15",
    )
    assert choose_period(None, date(2026, 11, 1), date(2026, 11, 1)).end == date(2026, 11, 2)


@pytest.mark.parametrize(
    ("month", "first", "last", "message"),
    [
        ("2026-13", None, None, "--month: 13 is not a month (01-12)"),
        ("2026-00", None, None, "--month: 0 is not a month (01-12)"),
        ("november", None, None, "--month: 'november' is not a month like 2026-11"),
        ("2026-11", date(2026, 11, 1), None, "--month: give either --month or --from/--to"),
        (None, None, None, "--month: give a month, or --from and --to"),
        (None, date(2026, 11, 1), None, "--to: missing"),
        (None, None, date(2026, 11, 1), "--from: missing"),
        (None, date(2026, 11, 2), date(2026, 11, 1), "--from: 2026-11-02 is after --to"),
        ("9999-12", None, None, "--month: 9999 is not a year from 1900 to 9998"),
        ("0001-01", None, None, "--month: 1 is not a year from 1900 to 9998"),
        (None, date(1, 1, 1), date(2026, 11, 1), "--from: 0001-01-01 is not a day from"),
        (None, date(2026, 1, 1), date.max, "--to: 9999-12-31 is not a day from"),
        (None, date(2020, 1, 1), date(2026, 11, 1), "--to: the period is 2497 days; at most 731"),
    ],
)
def test_a_bad_period_names_its_parameter(
    month: str | None, first: date | None, last: date | None, message: str
) -> None:
    with pytest.raises(ReportInputError) as refused:
        choose_period(month, first, last, names=("--month", "--from", "--to"))
    assert str(refused.value).startswith(message)


def test_weights_are_three_numbers_summing_to_one() -> None:
    assert parse_weights("0.3,0.35,0.35") == Weights()
    assert parse_weights(" 0.5, 0.25 ,0.25") == Weights(
        response=0.5, resolution=0.25, satisfaction=0.25
    )
    for text, reason in (
        ("0.3,0.3,0.3", "the weights sum to 0.9, not 1"),
        ("0.5,0.5", "give three weights"),
        ("a,b,c", "'a' is not a number"),
        ("1.5,-0.25,-0.25", "1.5 is not a weight between 0 and 1"),
        ("nan,0.5,0.5", "nan is not a weight"),
    ):
        with pytest.raises(ReportInputError) as refused:
            parse_weights(text)
        assert reason in str(refused.value), text
        assert refused.value.parameter == "weights"
