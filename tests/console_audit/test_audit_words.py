"""The hash-chain findings of a case and its replay, in the plain Chinese an auditor reads: each
kind of tampering by direct SQL is named with its record, the engine's words kept below."""

from __future__ import annotations

import pytest

from api.console.audit_words import chain_verdict, finding_words, origin_words, replay_verdict
from audit.replay import Divergence, ReplayOutcome
from audit.verify import Chain, Finding, Kind
from db.engine import SessionFactory
from services.case_audit import CaseReplay, verify_case_chain
from tests.audit.conftest import archive_case, case_no, execute, record_case

A, B = case_no(11), case_no(12)


@pytest.fixture
def populated(sessions: SessionFactory) -> SessionFactory:
    """Two cases of 5 transitions, A archived."""
    for number in (A, B):
        record_case(sessions, number, 5)
    archive_case(sessions, A)
    return sessions


def test_an_intact_case_is_said_to_be_intact(populated: SessionFactory) -> None:
    verdict = chain_verdict(verify_case_chain(populated, A))
    assert verdict.ok
    assert verdict.headline == "哈希链完整：办理记录和归档均未被改动"
    assert verdict.lines == ["已核验 5 条办理记录、1 份归档。"]
    assert verdict.detail == ["verified: 5 transitions of 1 cases, 1 archives: intact"]


def test_a_case_with_no_records_is_not_called_intact(populated: SessionFactory) -> None:
    verdict = chain_verdict(verify_case_chain(populated, case_no(99)))
    assert not verdict.ok and "没有这个案件的办理记录" in verdict.headline


def test_an_altered_record_is_named(populated: SessionFactory) -> None:
    execute(
        populated, "UPDATE case_transitions SET actor = 'x' WHERE case_no = :c AND seq = 3", c=B
    )
    verdict = chain_verdict(verify_case_chain(populated, B))
    assert not verdict.ok
    assert verdict.headline == "哈希链发现 1 处问题：记录可能被改动"
    assert verdict.lines[0] == "第 3 条记录的内容与其哈希不符：记录已被改动"
    assert verdict.detail[0].startswith(f"altered: case {B}, transition seq 3")


def test_a_removed_record_and_the_broken_link_after_it_are_named(
    populated: SessionFactory,
) -> None:
    execute(populated, "DELETE FROM case_transitions WHERE case_no = :c AND seq = 3", c=B)
    lines = chain_verdict(verify_case_chain(populated, B)).lines
    assert lines[0] == "第 3 条记录缺失：记录被删除"


def test_swapped_records_are_called_reordered(populated: SessionFactory) -> None:
    where = "case_no = :c"
    execute(populated, f"UPDATE case_transitions SET seq = -1 WHERE {where} AND seq = 2", c=B)
    execute(populated, f"UPDATE case_transitions SET seq = 2 WHERE {where} AND seq = 3", c=B)
    execute(populated, f"UPDATE case_transitions SET seq = 3 WHERE {where} AND seq = -1", c=B)
    lines = chain_verdict(verify_case_chain(populated, B)).lines
    assert any("哈希与前一条不连续：记录可能被调换了顺序" in line for line in lines)


def test_records_removed_after_archiving_are_named(populated: SessionFactory) -> None:
    execute(populated, "DELETE FROM case_transitions WHERE case_no = :c AND seq = 5", c=A)
    lines = chain_verdict(verify_case_chain(populated, A)).lines
    assert "第 5 条记录起的记录在归档后被删除" in lines


def test_an_altered_archive_is_named(populated: SessionFactory) -> None:
    execute(populated, "UPDATE case_archives SET code_version = 'x' WHERE case_no = :c", c=A)
    lines = chain_verdict(verify_case_chain(populated, A)).lines
    assert lines[0] == "第 1 份归档的内容与其哈希或摘要不符：归档已被改动"


@pytest.mark.parametrize(
    ("kind", "chain", "expected"),
    [
        (Kind.ADDED, Chain.TRANSITIONS, "第 6 条记录起是归档之后才写入的：记录可能被补写"),
        (Kind.REMOVED, Chain.ARCHIVE, "第 6 份归档与前后的归档不连续：归档可能被删除或替换"),
        (Kind.REORDERED, Chain.ARCHIVE, "第 6 份归档的哈希与前一份不连续：归档可能被调换了顺序"),
        (Kind.ADDED, Chain.ARCHIVE, "第 6 份归档不在归档链的记录中：归档可能是绕过系统写入的"),
    ],
)
def test_every_kind_of_finding_has_its_words(kind: Kind, chain: Chain, expected: str) -> None:
    assert finding_words(Finding(kind, chain, "detail", A, seq=6, chain_seq=6)) == expected


def test_a_replay_is_worded_by_its_outcome() -> None:
    good = replay_verdict(CaseReplay(ReplayOutcome(f"case-{A}", 40), "engine"))
    assert good.ok and good.headline == "历史重放与当前代码一致"
    assert good.lines == ["历史来源：流程引擎，共 40 个事件，逐一重放无差异。"]
    divergence = Divergence(
        11, "activity 'route_case' scheduled", "started a timer there instead", "m"
    )
    bad = replay_verdict(
        CaseReplay(ReplayOutcome(f"case-{A}", 40, divergence=divergence), "archive (code 1)")
    )
    assert not bad.ok and "第 11 个事件处" in bad.headline
    assert divergence.plain() in bad.detail and "数据库归档" in bad.lines[0]
    failed = replay_verdict(CaseReplay(ReplayOutcome(f"case-{A}", 3, error="bad payload"), "x"))
    assert not failed.ok and failed.headline.startswith("历史无法重放")
    assert origin_words("archive (x) (the engine no longer has the case)").endswith(
        "（引擎中已不保留该案件）"
    )
