"""The report's charts as inline SVG drawn in Python (no script, no external resource): trend
lines, ranking bars, type-mix bars."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from evaluation.labels import NONE, class_label, percent
from models.evaluation import (
    DailyPoint,
    DepartmentScore,
    TypeCount,
)
from models.labels import CASE_TYPE_LABELS

PALETTE = ("#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00")

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
