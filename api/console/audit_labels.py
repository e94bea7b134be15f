"""The Chinese names the auditor's pages need beyond `models.labels`: channels, intake outcomes,
access-log fields and actions, and the keys of a transition's detail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.console.labels import label

CHANNELS: Mapping[str, str] = {
    "phone": "电话",
    "web": "网站",
    "app": "移动应用",
    "wechat": "微信",
    "sms": "短信",
    "mailbox": "市长信箱",
    "open311": "Open311 接口",
}
OUTCOMES: Mapping[str, str] = {
    "direct_answer": "直接答复",
    "three_way_call": "三方通话",
    "emergency_handoff": "转应急联动",
    "not_accepted": "不予受理",
    "dispatch": "派单",
    "merge": "并单",
}
EMERGENCY_LINES: Mapping[str, str] = {
    "110": "110 报警",
    "119": "119 消防",
    "120": "120 急救",
    "122": "122 交通事故",
}
ACCESS_FIELDS: Mapping[str, str] = {
    "caller.name": "来电人姓名",
    "caller.phones": "来电人电话",
    "location.address": "详细地址",
    "location.latitude": "纬度",
    "location.longitude": "经度",
}
ACCESS_ACTIONS: Mapping[str, str] = {"view": "查看", "export": "导出"}
DETAIL_KEYS: Mapping[str, str] = {
    "outcome": "受理结果",
    "channel": "渠道",
    "department": "单位",
    "lead_department": "主办单位",
    "assisting_departments": "协办单位",
    "reason": "原因",
    "basis": "依据",
    "note": "说明",
    "level": "督办级别",
    "escalation_level": "督办级别",
    "deadline": "时限",
    "days": "天数",
    "approved": "通过",
    "result": "办理结果",
    "officer": "责任人",
    "reached": "联系上",
    "resolved": "已解决",
    "satisfaction": "满意度",
    "round": "轮次",
    "step": "环节",
    "master_case_no": "主案件",
    "catalogue_fallback": "目录兜底派单",
    "on_time": "按时",
    "attempt": "回访次数",
    "closure_reason": "办结方式",
    "legal_basis": "依据",
    "approve": "通过",
    "redispatch_to": "改派单位",
    "answer": "答复内容",
    "articles": "引用知识",
    "proper_route": "告知途径",
    "line": "转接",
    "officer_name": "责任人",
}
VALUE_KINDS: Mapping[str, str] = {
    "result": "reply_result",
    "satisfaction": "satisfaction",
    "closure_reason": "closure",
    "step": "step",
    "to_status": "status",
}
"""Detail keys whose values are codes of a `labels` kind."""
DEPARTMENT_KEYS = frozenset(
    {"department", "lead_department", "assisting_departments", "redispatch_to"}
)


def detail_text(key: str, value: Any, departments: Mapping[str, str]) -> str:
    """One entry of a transition's detail as `名称：值`, codes by their Chinese names."""
    return f"{DETAIL_KEYS.get(key, key)}：{_value_text(key, value, departments)}"


def _value_text(key: str, value: Any, departments: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value_text(key, item, departments) for item in value) or "无"
    if isinstance(value, dict):
        return "；".join(f"{k}={v}" for k, v in value.items())
    text = str(value)
    if key in DEPARTMENT_KEYS:
        return departments.get(text, text)
    if key == "outcome":
        return OUTCOMES.get(text, text)
    if key == "channel":
        return CHANNELS.get(text, text)
    if key in VALUE_KINDS:
        return label(text, VALUE_KINDS[key])
    return text


NAMES: Mapping[str, Mapping[str, str]] = {
    "channel": CHANNELS,
    "outcome": OUTCOMES,
    "line": EMERGENCY_LINES,
    "field": ACCESS_FIELDS,
    "access": ACCESS_ACTIONS,
}
"""Passed to the templates as `names`: `names.channel[...]` and so on."""
