"""The evaluation report as a file: self-contained HTML (charts as inline SVG), CSV and XLSX.

Everything here reads an `EvaluationReport` (`evaluation.report.build_report`) and computes
nothing of its own, so every file shows the numbers of `GET /evaluation/report`:

* `render_html(report)`: the monthly report a hotline director sends upward, in Chinese with
  the indicators' English keys. One HTML file, no script, no external resource; autoescaped.
  Every figure cell carries its exact values in `data-` attributes (`data-section`,
  `data-group`, `data-key`, `data-numerator`, `data-denominator`, `data-rate`), so a program can
  read the figures back from the page. Rates are shown as percentages with one decimal.
* `render_csv(report)`: one long-format table, UTF-8 with a BOM (Excel opens it as such):
  `section,group,indicator,numerator,denominator,rate,target,meets_target,value`; `rate` and
  `target` are the exact fractions (0-1), `value` holds the figures that are not a ratio (counts,
  scores, ranks). See `CSV_COLUMNS` and `report_rows`.
* `render_xlsx(report)`: one sheet per table (`SHEETS`), rates as numbers formatted `0.0%`.

The report is about departments: no caller's name, phone or address is in any of it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.evaluation import (
    DailyPoint,
    DepartmentScore,
    Dimension,
    EvaluationReport,
    IndicatorSet,
    IndicatorValue,
    TypeCount,
)
from rules.calendar import SHANGHAI
from rules.evaluation import KB_UPDATES_PER_WEEK, rule

NONE = "—"
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

EXTRA_LABELS: Mapping[str, str] = {
    "connection_rate": "呼叫接通率",
    "answer_15s_rate": "15秒接通率",
    "answered_15s_rate": "15秒接通率",
    "response_rate": "响应率",
}
"""Names of the indicators that are not case indicators of `rules.evaluation`."""
PER_WEEK = frozenset({KB_UPDATES_PER_WEEK.key})
"""Indicators whose rate is a count per week, not a fraction."""
DIMENSION_TITLES: Mapping[Dimension, tuple[str, str]] = {
    Dimension.DEPARTMENT: ("分部门", "按主办部门"),
    Dimension.CASE_TYPE: ("分类型", "按诉求类型"),
    Dimension.CHANNEL: ("分渠道", "按受理渠道"),
    Dimension.DISTRICT: ("分区县", "按区（县、市）"),
}
CASE_TYPE_LABELS: Mapping[str, str] = {
    "consultation": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
    "other": "其他",
}
CHANNEL_LABELS: Mapping[str, str] = {
    "phone": "电话",
    "web": "网站",
    "app": "App",
    "wechat": "微信",
    "sms": "短信",
    "mailbox": "市长信箱",
    "open311": "Open311 接口",
}
CLASS_LABELS: Mapping[str, str] = {
    "functional": "职能部门",
    "district_government": "区（县、市）政府",
    "enterprise": "公共企事业单位",
}
PALETTE = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00")


# ---- formatting --------------------------------------------------------------------------------


def percent(rate: float | None) -> str:
    """0.95312 → "95.3%"; None (nothing was due) → "—"."""
    return NONE if rate is None else f"{rate * 100:.1f}%"


def indicator_label(key: str) -> str:
    """The Chinese name of an indicator (`rules.evaluation`), else the key itself."""
    try:
        return rule(key).name
    except KeyError:
        return EXTRA_LABELS.get(key, key)


def lower_is_better(key: str) -> bool:
    try:
        return rule(key).lower_is_better
    except KeyError:
        return False


def rate_text(key: str, rate: float | None) -> str:
    """The rate as shown: a percentage with one decimal, or updates per week."""
    if key in PER_WEEK:
        return NONE if rate is None else f"{rate:.1f}/周"
    return percent(rate)


def target_text(value: IndicatorValue) -> str:
    if value.target is None:
        return NONE
    sign = "≤" if lower_is_better(value.key) else "≥"
    return f"{sign}{rate_text(value.key, value.target)}"


def met_text(met: bool | None) -> str:
    return NONE if met is None else ("达标" if met else "未达标")


def group_label(dimension: Dimension | None, group: str | None, names: Mapping[str, str]) -> str:
    if group is None or group == "":
        if dimension is None:
            return "全市"
        return "（未派单）" if dimension is Dimension.DEPARTMENT else "（未填写）"
    if dimension is Dimension.DEPARTMENT:
        return names.get(group, group)
    if dimension is Dimension.CASE_TYPE:
        return CASE_TYPE_LABELS.get(group, group)
    if dimension is Dimension.CHANNEL:
        return CHANNEL_LABELS.get(group, group)
    return group


def class_label(department_class: str) -> str:
    return CLASS_LABELS.get(department_class, department_class)


def local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _exact(number: float | None) -> str:
    """The float as Python reads it back exactly ("" for None)."""
    return "" if number is None else repr(float(number))


def _last_day(report: EvaluationReport) -> date:
    return report.period.end - timedelta(days=1)


# ---- charts (inline SVG) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str


def _nice_step(span: float) -> float:
    if span <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(span))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= span:
            return factor * magnitude
    return 10 * magnitude


def _svg_text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}">'
        f"{escape(text)}</text>"
    )


def line_chart(
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    *,
    y_min: float,
    y_max: float,
    ticks: int,
    tick_label: Callable[[float], str],
    width: int = 760,
    height: int = 260,
) -> Markup:
    """Lines over days; a None value breaks its line. Returns an `<svg>` element."""
    left, right, top, bottom = 56, 24, 34, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(days)
    span = (y_max - y_min) or 1.0

    def x_of(index: int) -> float:
        return left + (plot_w / 2 if count <= 1 else plot_w * index / (count - 1))

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return top + plot_h * (1 - (clamped - y_min) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#ced4da"/>',
    ]
    for step in range(ticks + 1):
        tick = y_min + span * step / ticks
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e9ecef"/>'
        )
        parts.append(_svg_text(left - 6, y + 4, tick_label(tick), "end", 10))
    every = max(1, math.ceil(count / 12))
    for index, day in enumerate(days):
        if index % every == 0 or index == count - 1:
            parts.append(
                _svg_text(x_of(index), top + plot_h + 16, day.strftime("%m-%d"), "middle", 10)
            )
    for order, line in enumerate(series):
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, value in enumerate(line.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_of(index):.1f},{y_of(value):.1f}")
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{line.color}"/>')
            else:
                parts.append(
                    f'<polyline fill="none" stroke="{line.color}" stroke-width="2" '
                    f'points="{" ".join(points)}"/>'
                )
        legend_x = left + order * 150
        parts.append(f'<rect x="{legend_x}" y="10" width="14" height="4" fill="{line.color}"/>')
        parts.append(_svg_text(legend_x + 18, 16, line.name))
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float | None, str]],
    *,
    maximum: float,
    minimum: float = 0.0,
    color: str = PALETTE[0],
    width: int = 760,
) -> Markup:
    """Horizontal bars: (label, value or None, the value as shown), drawn from `minimum` (its
    value written at the axis when not 0) to `maximum`. Returns an `<svg>`."""
    label_w, value_w, row_h, top = 190, 70, 22, 6
    axis_h = 16 if minimum else 0
    plot_w = width - label_w - value_w
    height = top * 2 + axis_h + row_h * max(len(bars), 1)
    scale = (maximum - minimum) if maximum > minimum else 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if minimum:
        parts.append(_svg_text(label_w, top + 10, f"{minimum:g}", "middle", 10))
        parts.append(_svg_text(label_w + plot_w, top + 10, f"{maximum:g}", "middle", 10))
        bottom = height - top
        parts.append(
            f'<line x1="{label_w}" x2="{label_w}" y1="{top + axis_h - 2}" y2="{bottom}" '
            'stroke="#868e96" stroke-dasharray="3,2"/>'
        )
    for index, (label, value, shown) in enumerate(bars):
        y = top + axis_h + index * row_h
        parts.append(_svg_text(label_w - 8, y + 15, label, "end"))
        length = 0.0
        if value is not None:
            length = plot_w * (min(max(value, minimum), maximum) - minimum) / scale
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" '
            f'fill="{color}"/>'
        )
        parts.append(_svg_text(label_w + length + 6, y + 15, shown))
    parts.append("</svg>")
    return Markup("".join(parts))


def cases_chart(trend: Sequence[DailyPoint]) -> Markup:
    top = max((point.cases for point in trend), default=0)
    step = max(1.0, _nice_step(top / 4)) if top else 1.0
    ceiling = step * max(1, math.ceil(top / step))
    return line_chart(
        "每日受理量 cases per day",
        [point.day for point in trend],
        [Series("受理量 cases", [float(point.cases) for point in trend], PALETTE[0])],
        y_min=0,
        y_max=ceiling,
        ticks=round(ceiling / step),
        tick_label=lambda value: f"{value:,.0f}",
    )


def rates_chart(trend: Sequence[DailyPoint]) -> Markup:
    series = [
        Series("呼叫接通率", [point.connection_rate for point in trend], PALETTE[0]),
        Series("满意率", [point.satisfaction_rate for point in trend], PALETTE[2]),
        Series("直接答复率", [point.direct_answer_rate for point in trend], PALETTE[1]),
    ]
    seen = [value for line in series for value in line.values if value is not None]
    span = 1.0 - max(0.0, min(seen, default=0.0) - 0.02)
    step = 0.05 if span <= 0.4 else 0.1 if span <= 0.8 else 0.2
    ticks = max(1, math.ceil(span / step - 1e-9))
    return line_chart(
        "每日接通率、满意率、直接答复率",
        [point.day for point in trend],
        series,
        y_min=max(0.0, 1.0 - ticks * step),
        y_max=1.0,
        ticks=ticks,
        tick_label=lambda value: f"{value * 100:.0f}%",
    )


def type_mix_chart(mix: Sequence[TypeCount]) -> Markup:
    total = sum(item.cases for item in mix)
    bars = [
        (
            CASE_TYPE_LABELS.get(item.case_type, item.case_type),
            float(item.cases),
            f"{item.cases:,}（{percent(item.cases / total) if total else NONE}）",
        )
        for item in sorted(mix, key=lambda item: -item.cases)
    ]
    return bar_chart(
        "诉求类型构成",
        bars,
        maximum=max((b[1] or 0.0 for b in bars), default=0.0),
        color=PALETTE[3],
    )


def ranking_chart(
    department_class: str, scores: Sequence[DepartmentScore], names: Mapping[str, str]
) -> Markup:
    bars = [
        (
            (f"{score.rank}. " if score.rank is not None else "")
            + names.get(score.department, score.department),
            score.score,
            NONE if score.score is None else f"{score.score:.1f}",
        )
        for score in scores
    ]
    scored = [score.score for score in scores if score.score is not None]
    # From a round 10 below the lowest score, so that close scores can be told apart; the
    # axis start is written on the chart.
    floor = max(0.0, math.floor((min(scored, default=0.0) - 5) / 10) * 10)
    return bar_chart(f"{class_label(department_class)}综合得分", bars, maximum=100.0, minimum=floor)


# ---- the HTML report ---------------------------------------------------------------------------


def _cell(section: str, group: str | None, value: IndicatorValue) -> dict[str, Any]:
    return {
        "section": section,
        "group": group or "",
        "key": value.key,
        "label": indicator_label(value.key),
        "numerator": value.numerator,
        "denominator": value.denominator,
        "rate": _exact(value.rate),
        "text": rate_text(value.key, value.rate),
        "target": target_text(value),
        "met": value.meets_target,
        "met_text": met_text(value.meets_target),
    }


def _optional(values: IndicatorSet, key: str) -> IndicatorValue | None:
    try:
        return values.value(key)
    except KeyError:
        return None


def _headline(report: EvaluationReport) -> list[dict[str, Any]]:
    total = sum(point.cases for point in report.trend) or sum(
        item.cases for item in report.type_mix
    )
    items: list[dict[str, Any]] = [
        {"label": "受理总量", "key": "cases", "text": f"{total:,}", "detail": "件", "met": None}
    ]
    calls = report.calls
    for value in (calls.connection_rate, calls.answer_15s_rate):
        items.append(
            {
                "label": indicator_label(value.key),
                "key": value.key,
                "text": percent(value.rate),
                "detail": f"{value.numerator:,} / {value.denominator:,}"
                + (f"，目标 {target_text(value)}" if value.target is not None else ""),
                "met": value.meets_target,
            }
        )
    window = calls.worst_window
    if window is not None:
        items.append(
            {
                "label": "最差连续24小时接通率",
                "key": "worst_window",
                "text": percent(window.rate),
                "detail": f"{local(window.start)} 起，{window.answered:,} / {window.offered:,}，"
                f"目标 ≥{percent(window.target)}",
                "met": window.meets_target,
            }
        )
    for key in ("direct_answer_rate", "on_time_completion_rate", "satisfaction_rate"):
        found = _optional(report.overall, key)
        if found is not None:
            detail = f"{found.numerator:,} / {found.denominator:,}"
            if found.target is not None:
                detail += f"，目标 {target_text(found)}"
            items.append(
                {
                    "label": indicator_label(key),
                    "key": key,
                    "text": percent(found.rate),
                    "detail": detail,
                    "met": found.meets_target,
                }
            )
    return items


def _breakdown(
    dimension: Dimension, sets: Sequence[IndicatorSet], names: Mapping[str, str]
) -> dict[str, Any]:
    keys: list[str] = []
    for values in sets:
        for value in values.values:
            if value.key not in keys:
                keys.append(value.key)
    rows = []
    for values in sets:
        by_key = {value.key: value for value in values.values}
        rows.append(
            {
                "group": values.group or "",
                "label": group_label(dimension, values.group, names),
                "cells": [
                    _cell(dimension.value, values.group, by_key[key]) if key in by_key else None
                    for key in keys
                ],
            }
        )
    title, caption = DIMENSION_TITLES[dimension]
    return {
        "dimension": dimension.value,
        "title": title,
        "caption": caption,
        "columns": [{"key": key, "label": indicator_label(key)} for key in keys],
        "rows": rows,
    }


def _ranking(report: EvaluationReport, names: Mapping[str, str]) -> list[dict[str, Any]]:
    classes = []
    for ranked in report.ranking.classes:
        rows = []
        for score in ranked.scores:
            group = score.department
            rows.append(
                {
                    "rank": score.rank if score.rank is not None else NONE,
                    "department": score.department,
                    "name": names.get(score.department, score.department),
                    "cells": [
                        _cell("ranking", group, score.response),
                        _cell("ranking", group, score.resolution),
                        _cell("ranking", group, score.satisfaction),
                    ],
                    "score": _exact(score.score),
                    "score_text": NONE if score.score is None else f"{score.score:.1f}",
                }
            )
        classes.append(
            {
                "department_class": ranked.department_class,
                "label": class_label(ranked.department_class),
                "chart": ranking_chart(ranked.department_class, ranked.scores, names),
                "rows": rows,
            }
        )
    return classes


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("evaluation", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(report: EvaluationReport, names: Mapping[str, str] | None = None) -> str:
    """The report as one self-contained HTML page; `names` maps department ids to names."""
    known = dict(names or {})
    weights = report.ranking.weights
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        period_text=f"{report.period.start.isoformat()} 至 {_last_day(report).isoformat()}",
        generated=local(report.generated_at),
        headline=_headline(report),
        indicators=[_cell("overall", None, value) for value in report.overall.values],
        calls=report.calls,
        window=report.calls.worst_window,
        local=local,
        percent=percent,
        breakdowns=[
            _breakdown(dimension, report.breakdowns.get(dimension, []), known)
            for dimension in Dimension
        ],
        ranking=_ranking(report, known),
        weights_text=(
            f"响应 {weights.response * 100:g}%、解决 {weights.resolution * 100:g}%、"
            f"满意 {weights.satisfaction * 100:g}%"
        ),
        trend=report.trend,
        cases_chart=cases_chart(report.trend),
        rates_chart=rates_chart(report.trend),
        type_mix=_type_mix_rows(report.type_mix),
        type_mix_chart=type_mix_chart(report.type_mix),
    )


def _type_mix_rows(mix: Sequence[TypeCount]) -> list[dict[str, Any]]:
    total = sum(item.cases for item in mix)
    return [
        {
            "case_type": item.case_type,
            "label": CASE_TYPE_LABELS.get(item.case_type, item.case_type),
            "cases": item.cases,
            "share": percent(item.cases / total) if total else NONE,
        }
        for item in mix
    ]


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
    yield _figure("report", "", "end_inclusive", _last_day(report).isoformat())
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
    return str(value)


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


def _sheet(book: Workbook, title: str, header: Sequence[str], widths: Sequence[int]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    sheet.append(list(header))
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
        overall.append(_indicator_cells(value))
        _percent_cells(overall, (5, 6), value.key)

    calls = _sheet(book, "话务", ("项目", "key", "数值", "比率", "目标"), (22, 28, 14, 10, 10))
    summary = report.calls
    for label, name in (
        ("呼入量", "offered"),
        ("人工接听量", "answered"),
        ("15秒内接听量", "answered_within_15s"),
        ("放弃量", "abandoned"),
    ):
        calls.append([label, name, getattr(summary, name), None, None])
    for value in (summary.connection_rate, summary.answer_15s_rate):
        calls.append(
            [indicator_label(value.key), value.key, value.numerator, value.rate, value.target]
        )
        _percent_cells(calls, (4, 5))
    if summary.worst_window is not None:
        window = summary.worst_window
        calls.append(
            [
                f"最差连续24小时（{local(window.start)} 起）",
                "worst_24h_connection_rate",
                window.answered,
                window.rate,
                window.target,
            ]
        )
        _percent_cells(calls, (4, 5))

    for dimension in Dimension:
        title, _ = DIMENSION_TITLES[dimension]
        sheet = _sheet(
            book, title, ("分组", "名称", *_INDICATOR_HEADER), (18, 20, 18, 26, 10, 10, 10, 10, 8)
        )
        for values in report.breakdowns.get(dimension, []):
            for value in values.values:
                sheet.append(
                    [
                        values.group,
                        group_label(dimension, values.group, known),
                        *_indicator_cells(value),
                    ]
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
            ranking.append(
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
                ]
            )
            _percent_cells(ranking, (7, 10, 13))
            ranking.cell(row=ranking.max_row, column=14).number_format = "0.0"

    trend = _sheet(
        book, "趋势", ("日期", "受理量", "直接答复率", "接通率", "满意率"), (12, 10, 12, 10, 10)
    )
    for point in report.trend:
        trend.append(
            [
                point.day,
                point.cases,
                point.direct_answer_rate,
                point.connection_rate,
                point.satisfaction_rate,
            ]
        )
        _percent_cells(trend, (3, 4, 5))
        trend.cell(row=trend.max_row, column=1).number_format = "yyyy-mm-dd"

    mix = _sheet(book, "类型构成", ("类型", "case_type", "受理量"), (10, 16, 10))
    for item in report.type_mix:
        mix.append(
            [CASE_TYPE_LABELS.get(item.case_type, item.case_type), item.case_type, item.cases]
        )

    book.properties.title = f"12345热线服务评价报告 {report.period.label}"
    book.properties.creator = "hotline12345"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
