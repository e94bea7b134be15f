"""The evaluation report as one self-contained HTML page: the monthly report a hotline director
sends upward, in Chinese with the indicators' English keys; charts as inline SVG
(`evaluation.charts`), no script, no external resource; autoescaped.

It reads an `EvaluationReport` (`evaluation.report.build_report`) and computes nothing of its
own, so it shows the numbers of `GET /evaluation/report`. Every figure cell carries its exact
values in `data-` attributes (`data-section`, `data-group`, `data-key`, `data-numerator`,
`data-denominator`, `data-rate`), so a program can read the figures back from the page. Rates are
shown as percentages with one decimal. The spreadsheet files are in `evaluation.exports`.

The report is about departments: no caller's name, phone or address is in any of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from evaluation.charts import cases_chart, ranking_chart, rates_chart, type_mix_chart
from evaluation.labels import (
    DIMENSION_TITLES,
    NONE,
    class_label,
    exact,
    group_label,
    indicator_label,
    last_day,
    local,
    met_text,
    percent,
    rate_text,
    target_text,
)
from models.evaluation import (
    Dimension,
    EvaluationReport,
    IndicatorSet,
    IndicatorValue,
    TypeCount,
)
from models.labels import CASE_TYPE_LABELS

# ---- the HTML report ---------------------------------------------------------------------------


def _cell(section: str, group: str | None, value: IndicatorValue) -> dict[str, Any]:
    return {
        "section": section,
        "group": group or "",
        "key": value.key,
        "label": indicator_label(value.key),
        "numerator": value.numerator,
        "denominator": value.denominator,
        "rate": exact(value.rate),
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
                    "score": exact(score.score),
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
        period_text=f"{report.period.start.isoformat()} 至 {last_day(report).isoformat()}",
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
