"""The evaluation report for spreadsheets: one long-format CSV (UTF-8 with a BOM, for Excel)
`section,group,indicator,numerator,denominator,rate,target,meets_target,value` (`rate` and
`target` exact fractions, `value` the figures that are not a ratio: counts, scores, ranks), and
an XLSX workbook with one sheet per table (`SHEETS`), rates as numbers formatted `0.0%`.

Both read an `EvaluationReport` and compute nothing of their own, so they carry the numbers of
`GET /evaluation/report`. Text cells that a spreadsheet would run as a formula (a district is
free text) are neutralised by `models.cells.guard_cell`; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from evaluation.labels import (
    DIMENSION_TITLES,
    PER_WEEK,
    class_label,
    group_label,
    indicator_label,
    last_day,
    local,
    met_text,
)
from models.cells import guard_cell
from models.evaluation import (
    Dimension,
    EvaluationReport,
    IndicatorValue,
)
from models.labels import CASE_TYPE_LABELS

CSV_COLUMNS = (
    "section",
    "group",
    "indicator",
    "numerator",
    "denominator",
    "rate",
    "target",
    "meets_target",
    "value",
)
SHEETS = ("指标", "话务", "分部门", "分类型", "分渠道", "分区县", "排名", "趋势", "类型构成")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# ---- CSV ---------------------------------------------------------------------------------------


Row = tuple[str, str, str, int | None, int | None, float | None, float | None, bool | None, Any]


def _indicator_row(section: str, group: str | None, value: IndicatorValue) -> Row:
    return (
        section,
        group or "",
        value.key,
        value.numerator,
        value.denominator,
        value.rate,
        value.target,
        value.meets_target,
        None,
    )


def _figure(section: str, group: str, indicator: str, value: Any) -> Row:
    return (section, group, indicator, None, None, None, None, None, value)


def report_rows(report: EvaluationReport) -> Iterator[Row]:
    """Every figure of the report as one long table (the CSV's rows, in `CSV_COLUMNS` order).

    Sections: `report` (period, generated_at), `overall`, one per `Dimension`, `calls`,
    `ranking` (group: the department), `trend` (group: the day), `type_mix`.
    """
    yield _figure("report", "", "period", report.period.label)
    yield _figure("report", "", "start", report.period.start.isoformat())
    yield _figure("report", "", "end_inclusive", last_day(report).isoformat())
    yield _figure("report", "", "generated_at", report.generated_at.isoformat())
    for value in report.overall.values:
        yield _indicator_row("overall", None, value)
    for dimension in Dimension:
        for values in report.breakdowns.get(dimension, []):
            for value in values.values:
                yield _indicator_row(dimension.value, values.group, value)
    calls = report.calls
    for name in ("offered", "answered", "answered_within_15s", "abandoned"):
        yield _figure("calls", "", name, getattr(calls, name))
    yield _indicator_row("calls", None, calls.connection_rate)
    yield _indicator_row("calls", None, calls.answer_15s_rate)
    window = calls.worst_window
    if window is not None:
        yield (
            "calls",
            f"{window.start.isoformat()}/{window.end.isoformat()}",
            "worst_24h_connection_rate",
            window.answered,
            window.offered,
            window.rate,
            window.target,
            window.meets_target,
            None,
        )
    weights = report.ranking.weights
    for name in ("response", "resolution", "satisfaction"):
        yield _figure("ranking", "", f"weight_{name}", getattr(weights, name))
    for ranked in report.ranking.classes:
        for score in ranked.scores:
            group = score.department
            yield _figure("ranking", group, "department_class", ranked.department_class)
            yield _figure("ranking", group, "rank", score.rank)
            yield _indicator_row("ranking", group, score.response)
            yield _indicator_row("ranking", group, score.resolution)
            yield _indicator_row("ranking", group, score.satisfaction)
            yield _figure("ranking", group, "score", score.score)
    for point in report.trend:
        day = point.day.isoformat()
        yield _figure("trend", day, "cases", point.cases)
        for name in ("direct_answer_rate", "connection_rate", "satisfaction_rate"):
            rate = getattr(point, name)
            yield ("trend", day, name, None, None, rate, None, None, None)
    for item in report.type_mix:
        yield _figure("type_mix", item.case_type, "cases", item.cases)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return str(guard_cell(str(value)))  # free text (a district, a label): never a formula


def render_csv(report: EvaluationReport) -> bytes:
    """The long-format CSV of `report_rows`, UTF-8 with a BOM, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report_rows(report):
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


# ---- XLSX --------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")
_PERCENT = "0.0%"
_INDICATOR_HEADER = ("指标", "indicator", "分子", "分母", "比率", "目标", "达标")


def _append(sheet: Worksheet, cells: Sequence[Any]) -> None:
    """One row; text that a spreadsheet would run as a formula is guarded, numbers stay."""
    sheet.append([guard_cell(cell) for cell in cells])


def _sheet(book: Workbook, title: str, header: Sequence[str], widths: Sequence[int]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    _append(sheet, list(header))
    for column, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _percent_cells(sheet: Worksheet, columns: Sequence[int], key: str | None = None) -> None:
    """Format the last row's `columns` as percentages (as counts per week for those keys)."""
    row = sheet.max_row
    for column in columns:
        cell = sheet.cell(row=row, column=column)
        cell.number_format = "0.0" if key in PER_WEEK else _PERCENT


def _indicator_cells(value: IndicatorValue) -> list[Any]:
    return [
        indicator_label(value.key),
        value.key,
        value.numerator,
        value.denominator,
        value.rate,
        value.target,
        met_text(value.meets_target) if value.meets_target is not None else None,
    ]


def render_xlsx(report: EvaluationReport, names: Mapping[str, str] | None = None) -> bytes:
    """The report's tables as a workbook, one sheet each (`SHEETS`)."""
    known = dict(names or {})
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)

    overall = _sheet(book, "指标", _INDICATOR_HEADER, (18, 26, 12, 12, 10, 10, 8))
    for value in report.overall.values:
        _append(overall, _indicator_cells(value))
        _percent_cells(overall, (5, 6), value.key)

    calls = _sheet(book, "话务", ("项目", "key", "数值", "比率", "目标"), (22, 28, 14, 10, 10))
    summary = report.calls
    for label, name in (
        ("呼入量", "offered"),
        ("人工接听量", "answered"),
        ("15秒内接听量", "answered_within_15s"),
        ("放弃量", "abandoned"),
    ):
        _append(calls, [label, name, getattr(summary, name), None, None])
    for value in (summary.connection_rate, summary.answer_15s_rate):
        _append(
            calls,
            [indicator_label(value.key), value.key, value.numerator, value.rate, value.target],
        )
        _percent_cells(calls, (4, 5))
    if summary.worst_window is not None:
        window = summary.worst_window
        _append(
            calls,
            [
                f"最差连续24小时（{local(window.start)} 起）",
                "worst_24h_connection_rate",
                window.answered,
                window.rate,
                window.target,
            ],
        )
        _percent_cells(calls, (4, 5))

    for dimension in Dimension:
        title, _ = DIMENSION_TITLES[dimension]
        sheet = _sheet(
            book, title, ("分组", "名称", *_INDICATOR_HEADER), (18, 20, 18, 26, 10, 10, 10, 10, 8)
        )
        for values in report.breakdowns.get(dimension, []):
            for value in values.values:
                _append(
                    sheet,
                    [
                        values.group,
                        group_label(dimension, values.group, known),
                        *_indicator_cells(value),
                    ],
                )
                _percent_cells(sheet, (7, 8), value.key)

    ranking = _sheet(
        book,
        "排名",
        (
            "类别",
            "名次",
            "部门",
            "名称",
            "响应分子",
            "响应分母",
            "响应率",
            "解决分子",
            "解决分母",
            "解决率",
            "满意分子",
            "满意分母",
            "满意率",
            "得分",
        ),
        (16, 6, 16, 20, 9, 9, 9, 9, 9, 9, 9, 9, 9, 8),
    )
    for ranked in report.ranking.classes:
        for score in ranked.scores:
            _append(
                ranking,
                [
                    class_label(ranked.department_class),
                    score.rank,
                    score.department,
                    known.get(score.department, score.department),
                    *(
                        figure
                        for value in (score.response, score.resolution, score.satisfaction)
                        for figure in (value.numerator, value.denominator, value.rate)
                    ),
                    score.score,
                ],
            )
            _percent_cells(ranking, (7, 10, 13))
            ranking.cell(row=ranking.max_row, column=14).number_format = "0.0"

    trend = _sheet(
        book, "趋势", ("日期", "受理量", "直接答复率", "接通率", "满意率"), (12, 10, 12, 10, 10)
    )
    for point in report.trend:
        _append(
            trend,
            [
                point.day,
                point.cases,
                point.direct_answer_rate,
                point.connection_rate,
                point.satisfaction_rate,
            ],
        )
        _percent_cells(trend, (3, 4, 5))
        trend.cell(row=trend.max_row, column=1).number_format = "yyyy-mm-dd"

    mix = _sheet(book, "类型构成", ("类型", "case_type", "受理量"), (10, 16, 10))
    for item in report.type_mix:
        _append(
            mix, [CASE_TYPE_LABELS.get(item.case_type, item.case_type), item.case_type, item.cases]
        )

    book.properties.title = f"12345热线服务评价报告 {report.period.label}"
    book.properties.creator = "hotline12345"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
