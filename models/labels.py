"""The Chinese names of the hotline's codes, as citizens, departments and reports see them."""

from __future__ import annotations

from collections.abc import Mapping

STEP_LABELS: Mapping[str, str] = {
    "dispatch": "派单",
    "sign_off": "签收",
    "return_window": "退单",
    "return_review": "退单审核",
    "handling": "办理",
    "assist_input": "协办意见反馈",
    "extension_review": "延期审核",
    "reply_review": "答复审核",
    "redo": "重新办理",
    "callback": "回访",
    "reopen": "重办",
    "praise_close": "表扬件办结",
}
URGENCY_LABELS: Mapping[str, str] = {"normal": "一般", "urgent": "紧急", "utility": "加急"}
CASE_TYPE_LABELS: Mapping[str, str] = {
    "consultation": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
    "other": "其他",
}
RETURN_REASON_LABELS: Mapping[str, str] = {
    "wrong_territory": "非本辖区事项",
    "not_our_duty": "非本单位职责",
    "overlapping_duties": "职责交叉",
    "insufficient_information": "诉求信息不全",
}
REPLY_RESULT_LABELS: Mapping[str, str] = {
    "resolved": "已解决",
    "partly_resolved": "部分解决",
    "explained": "已解释说明，暂无法解决",
}
ROLE_LABELS: Mapping[str, str] = {
    "operator": "话务员",
    "dispatcher": "派单员",
    "department": "承办单位",
    "supervisor": "督办",
    "auditor": "审计",
    "admin": "管理员",
}
STATUS_LABELS: Mapping[str, str] = {
    "received": "待派单",
    "dispatched": "待签收",
    "return_review": "退单审核中",
    "handling": "办理中",
    "replied": "答复待审核",
    "callback": "待回访",
    "closed": "已办结",
}
STAGE_LABELS: Mapping[str, str] = {
    "running": "正常",
    "warned": "预警",
    "overdue": "超期",
    "level2": "二级督办",
}
SATISFACTION_LABELS: Mapping[str, str] = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
NOT_ACCEPTED_LABELS: Mapping[str, str] = {
    "litigation": "属诉讼、仲裁、行政复议事项",
    "discipline": "属纪检监察事项",
    "information_disclosure": "属政府信息公开事项",
    "petition_channel": "已进入信访程序",
    "secrets_or_privacy": "涉及国家秘密或个人隐私",
    "outside_jurisdiction": "非本市管辖",
    "outside_government_duties": "非政府职责",
    "malicious": "恶意或无实质诉求",
    "repeat": "重复诉求且无新情况",
}
CLOSURE_LABELS: Mapping[str, str] = {
    "direct_answer": "直接答复",
    "three_way_call": "三方通话",
    "emergency_handoff": "转应急",
    "not_accepted": "不予受理",
    "merged": "已并单",
    "resolved": "已解决",
    "no_callback_required": "无需回访",
    "callback_unreachable": "回访未联系上",
    "closed_unresolved": "未解决办结",
    "withdrawn": "已撤单",
    "praise_noted": "表扬已记录",
}
ACTION_LABELS: Mapping[str, str] = {
    "intake": "受理",
    "intake_merge": "受理并单",
    "dispatch": "派单",
    "dispatch_refused": "派单失败",
    "sign_off": "签收",
    "return": "退单",
    "return_approved": "退单审核通过",
    "return_rejected": "退单审核不通过",
    "extension_requested": "申请延期",
    "extension_decided": "延期审核",
    "assist_input": "协办意见",
    "reply": "答复",
    "reply_approved": "答复审核通过",
    "reply_rejected": "答复审核不通过",
    "deadline_warning": "时限预警",
    "deadline_overdue": "超期",
    "deadline_level2": "超期二级督办",
    "urge": "催办",
    "escalate": "督办",
    "escalation_refused": "督办未生效",
    "note": "备注",
    "callback": "回访",
    "reopen": "重办",
    "withdraw": "撤单",
    "praise_closed": "表扬件办结",
    "merge": "并单",
    "merge_failed": "并单失败",
    "merged_case_linked": "关联并单",
    "faults_retried": "故障重试",
}
"""The timeline's actions (`models.actions.Action` values)."""
