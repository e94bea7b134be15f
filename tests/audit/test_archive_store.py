"""The archive store: each case once, digest checked, chained globally, safe under concurrency."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from audit.verify import verify_all
from db.archive_store import (
    ArchiveConflictError,
    list_archived,
    load_archive,
    store_archive,
)
from db.chain import GENESIS, archive_hash, history_digest
from db.tables import ArchiveRow, CaseRow, ChainHeadRow, TransitionRow
from tests.audit.conftest import archive_case, archive_entry, case_no, record_case

CASE = case_no(1)


def test_an_archive_is_written_once_with_its_digest_and_log_head(sessions):
    record_case(sessions, CASE, 4)
    entry = archive_entry(CASE)

    assert store_archive(sessions, entry) is True

    archived = load_archive(sessions, CASE)
    assert archived is not None
    assert archived.history_json == entry.history_json
    assert archived.history_digest == history_digest(entry.history_json)
    assert (archived.workflow_id, archived.run_id) == (entry.workflow_id, entry.run_id)
    assert (archived.code_version, archived.event_count) == ("0.1.0+ab12cd", 3)
    assert archived.closed_at == entry.closed_at
    assert archived.chain_seq == 1 and archived.prev_hash == GENESIS
    assert archived.transitions_count == 4
    with sessions() as session:
        last = session.scalar(
            select(TransitionRow.row_hash).where(
                TransitionRow.case_no == CASE, TransitionRow.seq == 4
            )
        )
        case = session.get(CaseRow, CASE)
        head = session.get(ChainHeadRow, "archive")
    assert archived.transitions_head == last
    assert case is not None and case.archived_at == archived.archived_at
    assert head is not None and (head.length, head.head_hash) == (1, archived.row_hash)
    assert archived.row_hash == archive_hash(GENESIS, dataclasses.asdict(archived))


def test_a_retried_archive_returns_false_and_a_different_history_conflicts(sessions):
    record_case(sessions, CASE, 2)
    assert archive_case(sessions, CASE) is True

    assert archive_case(sessions, CASE) is False
    with pytest.raises(ArchiveConflictError, match=f"case {CASE} is archived already"):
        archive_case(sessions, CASE, marker="changed")

    with sessions() as session:
        assert len(session.scalars(select(ArchiveRow)).all()) == 1
        head = session.get(ChainHeadRow, "archive")
    assert head is not None and head.length == 1
    assert verify_all(sessions).intact


def test_the_first_archive_time_stays_on_the_case(sessions):
    record_case(sessions, CASE, 1)
    earlier = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    with sessions.begin() as session:
        case = session.get(CaseRow, CASE)
        assert case is not None
        case.archived_at = earlier

    archive_case(sessions, CASE)

    with sessions() as session:
        case = session.get(CaseRow, CASE)
    assert case is not None and case.archived_at == earlier


def test_a_case_without_transitions_archives_an_empty_log_head(sessions):
    archive_case(sessions, CASE)

    archived = load_archive(sessions, CASE)
    assert archived is not None
    assert (archived.transitions_count, archived.transitions_head) == (0, GENESIS)
    assert verify_all(sessions).intact


def test_load_archive_of_an_unarchived_case_is_none(sessions):
    assert load_archive(sessions, CASE) is None


def test_list_archived_by_closure_time(sessions):
    base = archive_entry(CASE)
    for n, days in ((1, 3), (2, 1), (3, 2), (4, 5)):
        closed = base.closed_at + timedelta(days=days)
        store_archive(sessions, dataclasses.replace(archive_entry(case_no(n)), closed_at=closed))
    start = base.closed_at

    assert list_archived(sessions, None, None) == [case_no(n) for n in (2, 3, 1, 4)]
    assert list_archived(sessions, start + timedelta(days=2), None) == [
        case_no(3),
        case_no(1),
        case_no(4),
    ]
    assert list_archived(sessions, None, start + timedelta(days=3)) == [case_no(2), case_no(3)]
    assert list_archived(sessions, start + timedelta(days=2), start + timedelta(days=5)) == [
        case_no(3),
        case_no(1),
    ]
    assert list_archived(sessions, None, None, limit=2) == [case_no(2), case_no(3)]


def test_bad_entries_are_refused(sessions):
    entry = archive_entry(CASE)
    with pytest.raises(ValueError, match="code_version longer than 64"):
        store_archive(sessions, dataclasses.replace(entry, code_version="x" * 65))
    with pytest.raises(ValueError, match="aware"):
        store_archive(sessions, dataclasses.replace(entry, closed_at=datetime(2026, 12, 1)))


def test_concurrent_archivers_keep_one_valid_chain(sessions):
    cases = [case_no(n) for n in range(1, 25)]
    for number in cases[:6]:
        record_case(sessions, number, 3)

    # Each case twice, from 8 threads: every case written once, the rest see it is done.
    with ThreadPoolExecutor(max_workers=8) as pool:
        written = list(pool.map(lambda number: archive_case(sessions, number), cases + cases))

    assert sorted(written) == [False] * len(cases) + [True] * len(cases)
    with sessions() as session:
        positions = session.scalars(select(ArchiveRow.chain_seq).order_by(ArchiveRow.chain_seq))
        assert list(positions) == list(range(1, len(cases) + 1))
        head = session.get(ChainHeadRow, "archive")
    assert head is not None and head.length == len(cases)
    report = verify_all(sessions)
    assert report.findings == []
    assert (report.archives, report.cases, report.transitions) == (len(cases), 6, 18)
