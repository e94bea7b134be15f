"""Verification: an intact database passes; each kind of tampering by direct SQL is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from audit import verify as verify_module
from audit.verify import Chain, Finding, Kind, check_case, verify_all, verify_case
from db.chain import transition_hash
from db.engine import SessionFactory
from db.tables import ArchiveRow, CaseRow, TransitionRow
from tests.audit.conftest import archive_case, case_no, execute, record_case

A, B, C = case_no(1), case_no(2), case_no(3)


@pytest.fixture
def populated(sessions: SessionFactory) -> SessionFactory:
    """Three cases of 5 transitions; A and B archived (chain positions 1, 2), C still open."""
    for number in (A, B, C):
        record_case(sessions, number, 5)
    archive_case(sessions, A)
    archive_case(sessions, B)
    return sessions


def kinds(findings: list[Finding]) -> list[tuple[Kind, str | None, int | None]]:
    return [
        (f.kind, f.case_no, f.seq if f.chain is Chain.TRANSITIONS else f.chain_seq)
        for f in findings
    ]


def lines(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


def swap(sessions: SessionFactory, table: str, column: str, where: str, a: int, b: int) -> None:
    """Swap two positions past the unique constraint, as a tamperer would: via a free value."""
    execute(sessions, f"UPDATE {table} SET {column} = -1 WHERE {where} AND {column} = {a}")
    execute(sessions, f"UPDATE {table} SET {column} = {a} WHERE {where} AND {column} = {b}")
    execute(sessions, f"UPDATE {table} SET {column} = {b} WHERE {where} AND {column} = -1")


def test_an_intact_database_verifies(populated):
    report = verify_all(populated)

    assert report.findings == []
    assert (report.transitions, report.cases, report.archives) == (15, 3, 2)
    assert report.summary() == "verified: 15 transitions of 3 cases, 2 archives: intact"
    for number in (A, B, C):
        assert verify_case(populated, number) == []
    single = check_case(populated, A)
    assert (single.transitions, single.cases, single.archives) == (5, 1, 1)


def test_an_empty_database_verifies(sessions):
    report = verify_all(sessions)
    assert (
        report.intact
        and report.summary() == "verified: 0 transitions of 0 cases, 0 archives: intact"
    )


def test_many_cases_stream_through_small_batches(populated, monkeypatch):
    monkeypatch.setattr(verify_module, "TRANSITION_BATCH", 2)
    monkeypatch.setattr(verify_module, "ARCHIVE_BATCH", 1)
    assert (
        verify_all(populated).summary() == "verified: 15 transitions of 3 cases, 2 archives: intact"
    )
    with populated.begin() as session:
        session.execute(
            update(TransitionRow)
            .where(TransitionRow.case_no == B, TransitionRow.seq == 3)
            .values(actor="someone-else")
        )
    assert kinds(verify_all(populated).findings) == [(Kind.ALTERED, B, 3)]


# ---- transitions ------------------------------------------------------------------------------


def test_altered_detail_is_named(populated):
    with populated.begin() as session:
        session.execute(
            update(TransitionRow)
            .where(TransitionRow.case_no == C, TransitionRow.seq == 2)
            .values(detail={"note": "改过的"})
        )

    findings = verify_all(populated).findings

    assert kinds(findings) == [(Kind.ALTERED, C, 2)]
    assert lines(findings) == (
        f"altered: case {C}, transition seq 2 (dispatch): its content no longer matches its hash"
    )
    assert verify_case(populated, C) == findings


def test_altered_time_is_named(populated):
    with populated.begin() as session:
        at = session.scalar(
            select(TransitionRow.at).where(TransitionRow.case_no == A, TransitionRow.seq == 4)
        )
        assert at is not None
        session.execute(
            update(TransitionRow)
            .where(TransitionRow.case_no == A, TransitionRow.seq == 4)
            .values(at=at + timedelta(seconds=1))
        )

    assert kinds(verify_all(populated).findings) == [(Kind.ALTERED, A, 4)]
    assert kinds(verify_case(populated, A)) == [(Kind.ALTERED, A, 4)]


def test_a_removed_middle_record_is_named(populated):
    execute(populated, "DELETE FROM case_transitions WHERE case_no = :c AND seq = 3", c=C)

    findings = verify_all(populated).findings

    assert kinds(findings) == [(Kind.REMOVED, C, 3)]
    assert "seq 3 is missing (the log jumps from seq 2 to seq 4)" in lines(findings)


def test_a_removed_first_record_is_named(populated):
    execute(populated, "DELETE FROM case_transitions WHERE case_no = :c AND seq = 1", c=C)

    findings = verify_case(populated, C)

    assert kinds(findings) == [(Kind.REMOVED, C, 1)]
    assert "seq 1 is missing (the log jumps from its start to seq 2)" in lines(findings)


def test_removing_the_last_records_of_an_archived_case_is_named(populated):
    execute(populated, "DELETE FROM case_transitions WHERE case_no = :c AND seq >= 4", c=B)

    findings = verify_all(populated).findings

    assert kinds(findings) == [(Kind.REMOVED, B, 4)]
    assert lines(findings) == (
        f"removed: transitions removed after archiving: case {B} was archived with 5 "
        "transitions, its log now ends at seq 3"
    )
    assert verify_case(populated, B) == findings


def test_reordered_records_say_what_they_followed(populated):
    swap(populated, "case_transitions", "seq", f"case_no = '{C}'", 2, 3)

    findings = verify_all(populated).findings

    assert [f.kind for f in findings] == [Kind.REORDERED] * 3
    assert not any(f.kind is Kind.ALTERED for f in findings)
    text = lines(findings)
    assert (
        f"case {C}, transition seq 2 (sign_off): was written after the record now at seq 3" in text
    )
    assert (
        f"case {C}, transition seq 3 (dispatch): was written after the record now at seq 1" in text
    )
    assert f"case {C}, transition seq 4 (reply): was written after the record now at seq 2" in text
    assert verify_case(populated, C) == findings


def test_a_record_rewritten_with_a_fresh_hash_breaks_the_next_link(populated):
    with populated.begin() as session:
        row = session.scalars(
            select(TransitionRow).where(TransitionRow.case_no == C, TransitionRow.seq == 2)
        ).one()
        row.actor = "someone-else"
        row.row_hash = transition_hash(row.prev_hash, row.__dict__)

    findings = verify_all(populated).findings

    assert kinds(findings) == [(Kind.REMOVED, C, 3)]
    assert "the record before it was removed or replaced" in lines(findings)


def test_transitions_written_after_archiving_are_named(populated):
    execute(
        populated,
        "INSERT INTO case_transitions (case_no, seq, at, action, actor, from_status, to_status,"
        " detail, prev_hash, row_hash) SELECT case_no, 6, at, action, actor, from_status,"
        " to_status, detail, row_hash, row_hash FROM case_transitions"
        " WHERE case_no = :c AND seq = 5",
        c=A,
    )

    findings = verify_case(populated, A)

    assert (Kind.ADDED, A, 6) in kinds(findings)
    assert f"case {A}, transition seq 6 is written after the case was archived" in lines(findings)


# ---- archive ----------------------------------------------------------------------------------


def test_an_altered_archived_history_is_named(populated):
    execute(
        populated,
        "UPDATE case_archives SET history_json = REPLACE(history_json, 'case-', 'kase-')"
        " WHERE case_no = :c",
        c=B,
    )

    findings = verify_all(populated).findings

    assert kinds(findings) == [(Kind.ALTERED, B, 2)]
    assert lines(findings) == (
        f"altered: archive of case {B} (chain position 2): its history no longer matches its digest"
    )
    assert verify_case(populated, B) == findings


def test_an_altered_archive_record_is_named(populated):
    execute(populated, "UPDATE case_archives SET code_version = 'forged' WHERE case_no = :c", c=A)

    findings = verify_all(populated).findings

    assert kinds(findings) == [(Kind.ALTERED, A, 1)]
    assert "its record no longer matches its hash" in lines(findings)


def test_a_removed_archive_is_named(populated):
    archive_case(populated, C)  # positions: A 1, B 2, C 3
    execute(populated, "DELETE FROM case_archives WHERE case_no = :c", c=B)

    findings = verify_all(populated).findings

    text = lines(findings)
    assert (Kind.REMOVED, None, 2) in kinds(findings)
    assert "archive chain position 2 is missing" in text
    assert f"archive removed: case {B} was archived at" in text
    assert all(f.kind is Kind.REMOVED for f in findings)
    assert [str(f) for f in verify_case(populated, B)] == [
        f for f in text.splitlines() if "archive removed" in f
    ]


def test_removing_the_last_archive_is_named(populated):
    execute(populated, "DELETE FROM case_archives WHERE case_no = :c", c=B)

    findings = verify_all(populated).findings

    text = lines(findings)
    assert "archive chain position 2 is missing: the chain head records 2 archives" in text
    assert f"archive removed: case {B}" in text


def test_a_removed_archive_behind_a_rewound_head_is_still_named(populated):
    """Whoever also rewinds the chain head is still caught by the case's archive stamp."""
    with populated.begin() as session:
        first = session.scalar(select(ArchiveRow.row_hash).where(ArchiveRow.case_no == A))
    execute(populated, "DELETE FROM case_archives WHERE case_no = :c", c=B)
    execute(populated, "UPDATE audit_chain_heads SET length = 1, head_hash = :h", h=first)

    assert kinds(verify_all(populated).findings) == [(Kind.REMOVED, B, None)]


def test_reordered_archives_say_what_they_followed(populated):
    archive_case(populated, C)
    swap(populated, "case_archives", "chain_seq", "1 = 1", 1, 2)

    findings = verify_all(populated).findings

    text = lines(findings)
    assert [f.kind for f in findings] == [Kind.REORDERED] * 3
    assert (
        f"archive of case {B} (chain position 1): was written after chain position 2 "
        f"(the archive of case {A})" in text
    )
    assert (
        f"archive of case {A} (chain position 2): was written as the chain's first archive" in text
    )
    assert (
        f"archive of case {C} (chain position 3): was written after chain position 1 "
        f"(the archive of case {B})" in text
    )
    # Each archive is intact in itself, and C is still the head the chain records.
    assert [f.kind for f in verify_case(populated, A)] == [Kind.REORDERED]


def test_cases_archived_before_the_archive_began_are_not_findings(populated):
    with populated.begin() as session:
        session.execute(
            update(CaseRow)
            .where(CaseRow.case_no == C)
            .values(archived_at=datetime(1999, 12, 31, tzinfo=UTC))
        )

    assert verify_all(populated).findings == []
    assert verify_case(populated, C) == []


def test_findings_serialise(populated):
    execute(populated, "DELETE FROM case_transitions WHERE case_no = :c AND seq = 2", c=A)

    report = verify_all(populated)

    document = report.as_dict()
    assert document["intact"] is False
    assert document["findings"][0] == {
        "kind": "removed",
        "chain": "transitions",
        "case_no": A,
        "seq": 2,
        "chain_seq": None,
        "message": str(report.findings[0]),
    }
