"""How the evaluation files show figures: Chinese names of indicators, groups and classes,
percentages, targets and local times (shared by the HTML report and the spreadsheet exports)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from models.evaluation import (
    Dimension,
    EvaluationReport,
    IndicatorValue,
)
from models.labels import CASE_TYPE_LABELS
from models.timestamps import BEIJING
from rules.evaluation import KB_UPDATES_PER_WEEK, rule

NONE = "—"
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
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def exact(number: float | None) -> str:
    """The float as Python reads it back exactly ("" for None)."""
    return "" if number is None else repr(float(number))


def last_day(report: EvaluationReport) -> date:
    return report.period.end - timedelta(days=1)
