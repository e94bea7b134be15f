"""The case page's timeline and clocks in plain Chinese words, for every reader of the case.

Each entry of the case's timeline (the transitions the workflow recorded, `models.state`) becomes
one sentence a member of staff reads: who did what, and why, with departments by name and times
in Beijing time. The auditor's timeline read from the workflow history (`audit.timeline`) says
the same in its own words; this one is the case page's, from the case's state as disclosed to
the reader (no caller data: a transition's detail never holds any). Each clock is listed with
its stage (on time / warning / overdue / level 2), its deadline and its warning time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.console.labels import label
from api.console.render import beijing
from evaluation.labels import CHANNEL_LABELS
from models.actions import Action
from models.enums import CENTRE, CaseStatus
from models.state import CaseState, Clock, TimelineEntry

CENTRE_NAME = "热线中心"
CLOSED = CaseStatus.CLOSED


@dataclass(frozen=True)
class Told:
    """One timeline entry as a sentence, with the status it left the case in."""

    at: datetime
    action: str
    actor: str
    sentence: str
    to_status: str


@dataclass(frozen=True)
class ClockRow:
    step: str
    owner: str
    due: datetime
    warn_at: datetime
    stage: str
    extended_from: datetime | None


class Words:
    """Sentences for the entries of one case, with department names from `names`."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def unit(self, department: Any) -> str:
        if department is None or department == "":
            return "承办单位"
        code = str(department)
        return CENTRE_NAME if code == CENTRE else self.names.get(code, code)

    def units(self, departments: Any) -> str:
        return "、".join(self.unit(d) for d in departments or [])

    def sentence(self, entry: TimelineEntry) -> str:
        d = entry.detail
        a = entry.action
        who = entry.actor
        note = f"，意见：{d['note']}" if d.get("note") else ""
        unit = self.unit(d.get("department", who))
        closing = entry.from_status is not CLOSED and entry.to_status is CLOSED
        closed = "，案件办结" if closing else ""
        if a in (Action.INTAKE, Action.INTAKE_MERGE):
            outcome = d.get("outcome") or "dispatch"
            way = "派单办理" if outcome == "dispatch" else label(outcome, "closure")
            channel = CHANNEL_LABELS.get(str(d.get("channel", "")), str(d.get("channel", "")))
            return f"{who} 受理（{channel}），处理方式：{way}{closed}"
        if a == Action.DISPATCH:
            text = f"{who} 派单给 {self.unit(d.get('lead_department'))}（主办）"
            if d.get("assisting_departments"):
                text += f"，协办：{self.units(d.get('assisting_departments'))}"
            if d.get("catalogue_fallback"):
                text += "，目录无对应单位，按属地派给区县政府"
            return text + note
        if a == Action.DISPATCH_REFUSED:
            return f"受理时指定的单位不能承办，转派单员派单（{d.get('reason', '')}）"
        if a == Action.SIGN_OFF:
            role = "（协办）" if d.get("assisting") else ""
            return f"{unit}{role} 签收（{who}）{closed}"
        if a == Action.RETURN:
            reason = label(d.get("reason"), "return_reason")
            return f"{unit} 申请退单：{reason}；依据：{d.get('legal_basis', '')}{note}"
        if a == Action.RETURN_APPROVED:
            return f"{who} 同意 {unit} 退单{note}，案件回到待派单"
        if a == Action.RETURN_REJECTED:
            return f"{who} 不同意 {unit} 退单{note}，由原单位继续办理"
        if a == Action.EXTENSION_REQUESTED:
            days = d.get("working_days")
            return f"{unit} 申请延期 {days} 个工作日，理由：{d.get('reason', '')}"
        if a == Action.EXTENSION_DECIDED:
            if d.get("approved"):
                due = self._time(d.get("new_due"))
                return f"{who} 批准延期 {d.get('working_days')} 个工作日，新的办理时限 {due}"
            return f"{who} 不同意延期"
        if a == Action.ASSIST_INPUT:
            return f"{unit}（协办）提交协办意见（{who}）"
        if a == Action.REPLY:
            result = label(d.get("result"), "reply_result")
            timing = "按时" if d.get("on_time") else "超时"
            return f"{unit} 答复：{result}，责任人 {d.get('officer', '')}，{timing}（{who}）"
        if a == Action.REPLY_APPROVED:
            follow = "" if closed else "，转回访"
            return f"{who} 审核通过答复{note}{follow}{closed}"
        if a == Action.REPLY_REJECTED:
            return f"{who} 审核不通过答复{note}，退回承办单位重新办理"
        if a in (Action.CALLBACK, Action.REOPEN):
            return self._callback(entry) + closed
        if a == Action.WITHDRAW:
            return f"{who} 撤单，原因：{d.get('reason', '')}{closed}"
        if a == Action.MERGE:
            return f"{who} 将本案并入 {d.get('master_case_no', '')}{closed}"
        if a == Action.MERGE_FAILED:
            return f"并入 {d.get('master_case_no', '')} 未成功：主案件已不在办理中，留待派单"
        if a == Action.MERGED_CASE_LINKED:
            return f"{who} 将案件 {d.get('case_no', '')} 并入本案"
        if a == Action.URGE:
            return f"{who} 催办{note}"
        if a == Action.NOTE:
            return f"{who} 备注{note}"
        if a == Action.ESCALATE:
            return self._escalation(entry)
        if a == Action.ESCALATION_REFUSED:
            return f"{who} 的督办未生效：{d.get('reason', '')}"
        if a in (Action.DEADLINE_WARNING, Action.DEADLINE_OVERDUE, Action.DEADLINE_LEVEL2):
            return self._deadline(entry) + closed
        if a == Action.PRAISE_CLOSED:
            return f"表扬已转达{closed}"
        if a == Action.FAULTS_RETRIED:
            return f"{who} 重试了案件的故障"
        return f"{who} {label(a, 'action')}{closed}"

    def _time(self, value: Any) -> str:
        if isinstance(value, datetime):
            return beijing(value)
        if isinstance(value, str):
            try:
                return beijing(datetime.fromisoformat(value))
            except ValueError:
                return value
        return ""

    def _callback(self, entry: TimelineEntry) -> str:
        d = entry.detail
        attempt = d.get("attempt")
        head = f"{entry.actor} 第 {attempt} 次回访" if attempt else f"{entry.actor} 回访"
        if not d.get("reached"):
            text = f"{head}：未联系上"
        else:
            resolved = "已解决" if d.get("resolved") else "未解决"
            text = f"{head}：{label(d.get('satisfaction'), 'satisfaction')}，{resolved}"
        if entry.action == Action.REOPEN:
            text += f"，转重办（第 {d.get('round', '')} 轮）"
        return text

    def _escalation(self, entry: TimelineEntry) -> str:
        d = entry.detail
        level, asked = d.get("level"), d.get("requested_level")
        if asked is None or level == asked:
            text = f"{entry.actor} 督办，升至 {level} 级"
        else:
            text = f"{entry.actor} 要求 {asked} 级督办，案件保持 {level} 级"
        if d.get("note"):
            text += f"，意见：{d['note']}"
        if d.get("new_deadline"):
            text += f"，新时限 {self._time(d['new_deadline'])}"
        return text

    def _deadline(self, entry: TimelineEntry) -> str:
        d = entry.detail
        step = label(d.get("step"), "step")
        owner = self.unit(d.get("owner"))
        due = self._time(d.get("due"))
        if entry.action == Action.DEADLINE_WARNING:
            return f"预警：{owner} 的{step}时限（{due}）临近"
        level = d.get("escalation_level")
        if entry.action == Action.DEADLINE_OVERDUE:
            return f"超期：{owner} 的{step}时限（{due}）已过，督办级别 {level}"
        return f"仍超期：{owner} 的{step}时限（{due}），升至二级督办（级别 {level}）"


def told(state: CaseState, names: Mapping[str, str]) -> list[Told]:
    """The case's timeline, oldest first, each entry as a sentence."""
    words = Words(names)
    return [
        Told(e.at, e.action, e.actor, words.sentence(e), label(e.to_status, "status"))
        for e in state.timeline
    ]


def clock_rows(state: CaseState, names: Mapping[str, str]) -> list[ClockRow]:
    """Each running clock: its step, who owns it, its deadline, warning time and stage."""
    words = Words(names)
    return [_row(clock, words) for clock in sorted(state.clocks, key=lambda c: c.deadline.due)]


def _row(clock: Clock, words: Words) -> ClockRow:
    return ClockRow(
        step=label(clock.deadline.step, "step"),
        owner=words.unit(clock.owner),
        due=clock.deadline.due,
        warn_at=clock.deadline.warn_at,
        stage=clock.stage.value,
        extended_from=clock.original_due,
    )
