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
