"""The auditor's results in plain Chinese: a replay's outcome, the hash-chain findings and the
differences between a history and the SQL log.

Each result is one sentence a person reads first and the technical lines of `audit.replay` and
`audit.verify` folded below it, word for word, for whoever needs to dig further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.crosscheck import Mismatch, MismatchKind
from audit.verify import Chain, Finding, Kind, Report
from services.case_audit import CaseReplay


@dataclass(frozen=True)
class Verdict:
    """A check's result: whether it passed, its plain sentence(s), the technical detail."""

    ok: bool
    headline: str
    lines: list[str] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)


def origin_words(origin: str) -> str:
    """Where a history came from, in words."""
    if origin == "engine":
        return "流程引擎"
    if origin.startswith("archive"):
        late = "（引擎中已不保留该案件）" if "no longer" in origin else ""
        return f"数据库归档{late}"
    return origin


def replay_verdict(replay: CaseReplay) -> Verdict:
    outcome = replay.outcome
    source = origin_words(replay.origin)
    detail = [f"history source: {replay.origin}", outcome.plain()]
    if outcome.divergence is not None:
        divergence = outcome.divergence
        where = (
            f"第 {divergence.event_id} 个事件处"
            if divergence.event_id is not None
            else "历史中的某处"
        )
        detail += [divergence.plain(), divergence.engine_message]
        return Verdict(
            False,
            f"历史重放与当前代码不一致：在{where}，当前代码的做法与历史记录不同",
            [f"历史来源：{source}，共 {outcome.events} 个事件。部署前须查明原因。"],
            detail,
        )
    if outcome.error is not None:
        return Verdict(
            False,
            "历史无法重放：历史中的内容无法按当前代码读取",
            [f"历史来源：{source}。"],
            detail,
        )
    return Verdict(
        True,
        "历史重放与当前代码一致",
        [f"历史来源：{source}，共 {outcome.events} 个事件，逐一重放无差异。"],
        detail,
    )


def missing_history_verdict(reason: str) -> Verdict:
    return Verdict(False, "找不到这个案件的历史：流程引擎和数据库归档中都没有", [], [reason])


def chain_verdict(report: Report) -> Verdict:
    counted = f"已核验 {report.transitions} 条办理记录、{report.archives} 份归档。"
    detail = [str(finding) for finding in report.findings] + [report.summary()]
    if report.cases == 0 and report.archives == 0 and report.intact:
        return Verdict(False, "数据库中没有这个案件的办理记录，无从核验", [], detail)
    if report.intact:
        return Verdict(True, "哈希链完整：办理记录和归档均未被改动", [counted], detail)
    lines = [finding_words(finding) for finding in report.findings]
    headline = f"哈希链发现 {len(report.findings)} 处问题：记录可能被改动"
    return Verdict(False, headline, [*lines, counted], detail)


def finding_words(finding: Finding) -> str:
    """One finding in words: which record, and what happened to it."""
    if finding.chain is Chain.TRANSITIONS:
        record = f"第 {finding.seq} 条记录" if finding.seq is not None else "一条记录"
        if finding.kind is Kind.REMOVED and "removed after archiving" in finding.message:
            return f"{record}起的记录在归档后被删除"
        if finding.kind is Kind.REMOVED and "missing" in finding.message:
            return f"{record}缺失：记录被删除"
        return {
            Kind.ALTERED: f"{record}的内容与其哈希不符：记录已被改动",
            Kind.REMOVED: f"{record}的哈希与前一条不连续：前面的记录可能被删除或替换",
            Kind.REORDERED: f"{record}的哈希与前一条不连续：记录可能被调换了顺序",
            Kind.ADDED: f"{record}起是归档之后才写入的：记录可能被补写",
        }[finding.kind]
    position = f"第 {finding.chain_seq} 份归档" if finding.chain_seq is not None else "归档"
    return {
        Kind.ALTERED: f"{position}的内容与其哈希或摘要不符：归档已被改动",
        Kind.REMOVED: f"{position}与前后的归档不连续：归档可能被删除或替换",
        Kind.REORDERED: f"{position}的哈希与前一份不连续：归档可能被调换了顺序",
        Kind.ADDED: f"{position}不在归档链的记录中：归档可能是绕过系统写入的",
    }[finding.kind]


FIELD_WORDS = {
    "at": "时间",
    "action": "操作",
    "actor": "操作人",
    "from_status": "原状态",
    "to_status": "新状态",
    "detail": "说明",
    "status": "状态",
    "closure_reason": "办结方式",
    "escalation_level": "督办级别",
    "version": "版本",
}


def mismatch_words(mismatch: Mismatch) -> str:
    """One difference between the history and the SQL rows, in words."""
    record = f"第 {mismatch.seq} 条记录" if mismatch.seq is not None else "案件记录"
    name = FIELD_WORDS.get(mismatch.field or "", mismatch.field or "")
    if mismatch.kind is MismatchKind.MISSING:
        return f"{record}在流程历史中有，数据库办理记录中没有"
    if mismatch.kind is MismatchKind.EXTRA:
        return f"{record}在数据库中有，流程历史中没有"
    if mismatch.kind is MismatchKind.PROJECTION:
        return f"案件状态表的{name}：历史为 {mismatch.history}，数据库为 {mismatch.database}"
    return f"{record}的{name}：历史为 {mismatch.history}，数据库为 {mismatch.database}"
