"""Ingest of call records on SQLite and PostgreSQL: the good lines kept and the bad ones named,
idempotent re-ingest of the same and of overlapping files, links to cases, and the caller's
number kept out of the table and the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text

from db.call_tables import CallFileRow, CallRow
from db.engine import SessionFactory
from evaluation.call_ingest import CallLinkError, caller_hash, ingest_calls, link_call
from evaluation.telephony import CallFormat
from tests.evaluation.calls_fixture import add_case, sample, stored

CALLERS = ("13800001234", "13900005678", "13700009999", "13600001111", "13500002222")
AT = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)


def ingest(
    sessions: SessionFactory,
    name: str,
    format: CallFormat,
    source: str | None = None,
    caller_key: bytes | None = None,
) -> dict[str, Any]:
    report = ingest_calls(
        sessions,
        sample(name),
        format,
        name=name,
        by="admin-1",
        now=AT,
        source=source,
        caller_key=caller_key,
    )
    return report.model_dump()


def count(sessions: SessionFactory, table: type[CallRow] | type[CallFileRow]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_queue_log_with_bad_lines_keeps_the_good_ones(session_factory: SessionFactory) -> None:
    report = ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG)
    assert (report["lines"], report["calls"], report["inserted"], report["updated"]) == (
        18,
        5,
        5,
        0,
    )
    assert [(e["line"], e["reason"]) for e in report["errors"]] == [
        (13, "has 3 field(s); a queue_log line has at least 5 (epoch|callid|queue|agent|event)"),
        (14, "time '17935814xx' is not epoch seconds"),
        (15, "CONNECT data1 (holdtime) is 'soon', not a whole number of seconds"),
    ]
    assert (report["source"], report["already_ingested"], report["refused"]) == (
        "asterisk",
        False,
        False,
    )
    rows = stored(session_factory)
    assert {call_id: row.outcome for call_id, row in rows.items()} == {
        "1793581200.101": "answered",
        "1793581260.110": "abandoned",
        "1793581300.120": "answered",
        "1793581400.130": "timeout",
        "1793581800.170": "other",
    }
    with session_factory() as session:
        file_row = session.scalars(select(CallFileRow)).one()
    assert (file_row.name, file_row.source, file_row.format, file_row.ingested_by) == (
        "queue_log.1",
        "asterisk",
        "queue_log",
        "admin-1",
    )
    assert (file_row.lines, file_row.calls, file_row.errors) == (18, 5, 3)
    assert [e["line"] for e in file_row.error_lines] == [13, 14, 15]
    assert file_row.ingested_at == AT
    assert all(row.file_id == file_row.id for row in rows.values())


def test_an_identical_file_is_already_ingested_and_writes_nothing(
    session_factory: SessionFactory,
) -> None:
    ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG)
    before = stored(session_factory)
    again = ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG, source="other-pbx")
    assert again["already_ingested"] is True
    assert (again["inserted"], again["updated"]) == (0, 0)
    assert count(session_factory, CallFileRow) == 1
    after = stored(session_factory)
    assert {k: v.updated_at for k, v in after.items()} == {
        k: v.updated_at for k, v in before.items()
    }


def test_an_overlapping_queue_log_completes_the_calls_without_doubling(
    session_factory: SessionFactory,
) -> None:
    ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG)
    assert stored(session_factory)["1793581800.170"].answered_at is None
    report = ingest(session_factory, "queue_log.2", CallFormat.QUEUE_LOG)
    # D's timeout and E's ENTERQUEUE again, E's CONNECT; F and G new.
    assert (report["calls"], report["inserted"], report["updated"]) == (4, 2, 1)
    assert [e["line"] for e in report["errors"]] == [9, 12]
    rows = stored(session_factory)
    assert len(rows) == 7 and count(session_factory, CallFileRow) == 2
    completed = rows["1793581800.170"]
    assert (completed.outcome, completed.wait_seconds, completed.talk_seconds) == (
        "answered",
        12,
        180,
    )
    assert completed.agent == "SIP/8001"
    assert completed.offered_at == datetime(2026, 11, 2, 1, 10, tzinfo=UTC)
    # The reverse order (an older file late) gives the same calls.
    assert rows["1793581400.130"].outcome == "timeout"


def test_files_out_of_order_give_the_same_rows(session_factory: SessionFactory) -> None:
    ingest(session_factory, "queue_log.2", CallFormat.QUEUE_LOG)
    ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG)
    rows = stored(session_factory)
    assert len(rows) == 7
    assert rows["1793581800.170"].outcome == "answered"
    assert rows["1793581800.170"].offered_at == datetime(2026, 11, 2, 1, 10, tzinfo=UTC)


def test_master_csv_links_known_cases_and_warns_of_unknown_ones(
    session_factory: SessionFactory,
) -> None:
    add_case(session_factory, "GY20261102-000001")
    report = ingest(session_factory, "Master.csv", CallFormat.CDR)
    assert (report["calls"], report["inserted"], report["linked"]) == (6, 6, 1)
    assert [e["line"] for e in report["errors"]] == [8, 9, 10, 11, 12]
    assert [e["reason"] for e in report["warnings"]] == [
        "call 1793585040.6: no case GY20261102-000002; not linked"
    ]
    assert report["warnings"][0]["line"] == 5
    rows = stored(session_factory)
    assert rows["1793584800.1"].case_no == "GY20261102-000001"
    assert rows["1793584800.1"].case_linked_by == "admin-1"
    assert rows["1793585040.6"].case_no is None


def test_generic_csv_links_by_case_no(session_factory: SessionFactory) -> None:
    add_case(session_factory, "GY20261102-000001")
    report = ingest(session_factory, "calls.csv", CallFormat.CSV)
    assert (report["source"], report["inserted"], report["linked"]) == ("csv", 3, 1)
    assert stored(session_factory)["c-0001"].case_no == "GY20261102-000001"


def test_a_file_of_no_readable_line_is_refused(session_factory: SessionFactory) -> None:
    report = ingest_calls(
        session_factory, b"garbage\nmore garbage\n", CallFormat.QUEUE_LOG, name="x", by="a"
    )
    assert report.refused and [e.line for e in report.errors] == [1, 2]
    assert report.summary() == "refused: no line of x could be read; nothing written"
    assert count(session_factory, CallFileRow) == 0


def test_bad_options_are_refused(session_factory: SessionFactory) -> None:
    with pytest.raises(ValueError, match="source 'no spaces'"):
        ingest_calls(session_factory, b"", CallFormat.CSV, name="x", by="a", source="no spaces")
    with pytest.raises(ValueError, match="unknown time zone"):
        ingest_calls(session_factory, b"", CallFormat.CDR, name="x", by="a", timezone="Nowhere")


def test_linking_by_hand(session_factory: SessionFactory) -> None:
    ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG)
    ingest(session_factory, "calls.csv", CallFormat.CSV)
    add_case(session_factory, "GY20261102-000007")
    link = link_call(
        session_factory, "1793581200.101", "GY20261102-000007", by="sup-1", source="asterisk"
    )
    assert (link.source, link.case_no, link.previous_case_no, link.linked_by) == (
        "asterisk",
        "GY20261102-000007",
        None,
        "sup-1",
    )
    row = stored(session_factory)["1793581200.101"]
    assert (row.case_no, row.case_linked_by) == ("GY20261102-000007", "sup-1")
    assert link_call(session_factory, "c-0002", "GY20261102-000007", by="sup-1").source == "csv"
    with pytest.raises(CallLinkError, match="no case GY20261102-000999: the call was not linked"):
        link_call(session_factory, "c-0002", "GY20261102-000999", by="sup-1")
    with pytest.raises(CallLinkError, match="no call 'nope'"):
        link_call(session_factory, "nope", "GY20261102-000007", by="sup-1")
    with pytest.raises(CallLinkError, match="is not a case number"):
        link_call(session_factory, "c-0002", "case 7", by="sup-1")


def test_a_call_id_of_two_sources_needs_the_source(session_factory: SessionFactory) -> None:
    data = sample("calls.csv")
    for source in ("pbx-a", "pbx-b"):
        ingest_calls(
            session_factory, data + source.encode(), CallFormat.CSV, name="f", by="a", source=source
        )
    add_case(session_factory, "GY20261102-000007")
    with pytest.raises(CallLinkError, match=r"several sources \(pbx-a, pbx-b\): name one"):
        link_call(session_factory, "c-0002", "GY20261102-000007", by="sup-1")
    assert (
        link_call(session_factory, "c-0002", "GY20261102-000007", by="sup-1", source="pbx-b").source
        == "pbx-b"
    )


def test_the_caller_number_is_not_stored_nor_logged(
    session_factory: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG)
    ingest(session_factory, "queue_log.2", CallFormat.QUEUE_LOG)
    ingest(session_factory, "Master.csv", CallFormat.CDR)
    with session_factory() as session:
        dump = " ".join(
            str(tuple(row))
            for table in ("call_records", "call_files")
            for row in session.execute(text(f"SELECT * FROM {table}"))
        )
    assert "1793581200.101" in dump and "ingested call file" in caplog.text
    for number in CALLERS:
        assert number not in dump
        assert number not in caplog.text
    assert all(row.caller_hash is None for row in stored(session_factory).values())


def test_with_a_key_only_a_keyed_hash_of_the_caller_is_kept(
    session_factory: SessionFactory,
) -> None:
    key = b"a secret of the deployment"
    ingest(session_factory, "queue_log.1", CallFormat.QUEUE_LOG, caller_key=key)
    rows = stored(session_factory)
    # Calls A and E came from the same number: a repeat caller, recognisable without the number.
    assert rows["1793581200.101"].caller_hash == rows["1793581800.170"].caller_hash
    assert rows["1793581200.101"].caller_hash == caller_hash("138-0000-1234", key)
    assert rows["1793581260.110"].caller_hash != rows["1793581200.101"].caller_hash
    assert caller_hash("13800001234", b"another key") != rows["1793581200.101"].caller_hash
