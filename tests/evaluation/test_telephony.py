"""The readers of call records, without a database: queue_log, Master.csv and the generic CSV
with their malformed lines named by number and reason, the good lines kept, and the merge of
what two files say of one call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evaluation.telephony import (
    CallFacts,
    CallFormat,
    Outcome,
    finished,
    merge,
    parse,
)

SAMPLES = Path(__file__).parent / "samples"
CALLERS = (b"13800001234", b"13900005678", b"13700009999", b"13500002222", b"13100003333")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def utc(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 2, hour, minute, second, tzinfo=UTC)


def test_queue_log_keeps_the_good_lines_and_names_every_bad_one() -> None:
    parsed = parse(sample("queue_log.1"), CallFormat.QUEUE_LOG)
    assert [(e.line, e.reason) for e in parsed.errors] == [
        (13, "has 3 field(s); a queue_log line has at least 5 (epoch|callid|queue|agent|event)"),
        (14, "time '17935814xx' is not epoch seconds"),
        (15, "CONNECT data1 (holdtime) is 'soon', not a whole number of seconds"),
    ]
    assert (parsed.lines, parsed.good_lines) == (18, 15)
    calls = {call_id: finished(facts) for call_id, facts in parsed.calls.items()}
    # QUEUESTART, CONFIGRELOAD and ADDMEMBER (callid NONE) are no calls.
    assert list(calls) == [
        "1793581200.101",
        "1793581260.110",
        "1793581300.120",
        "1793581400.130",
        "1793581800.170",
    ]
    answered = calls["1793581200.101"]  # 09:00:00 Beijing, CONNECT after 8 s, 120 s talk
    assert (answered.offered_at, answered.answered_at, answered.ended_at) == (
        utc(1, 0),
        utc(1, 0, 8),
        utc(1, 2, 8),
    )
    assert (answered.wait_seconds, answered.talk_seconds, answered.outcome) == (
        8,
        120,
        Outcome.ANSWERED,
    )
    assert (answered.agent, answered.queue) == ("SIP/8002", "hotline")  # not the one that rang
    abandoned = calls["1793581260.110"]
    assert (abandoned.outcome, abandoned.wait_seconds, abandoned.answered_at) == (
        Outcome.ABANDONED,
        25,
        None,
    )
    assert calls["1793581300.120"].wait_seconds == 40
    timeout = calls["1793581400.130"]
    assert (timeout.outcome, timeout.wait_seconds, timeout.ended_at) == (
        Outcome.TIMEOUT,
        300,
        utc(1, 8, 20),
    )
    still_queued = calls["1793581800.170"]  # ENTERQUEUE only: the file ended before the rest
    assert (still_queued.outcome, still_queued.offered_at) == (Outcome.OTHER, utc(1, 10))


def test_queue_log_second_file_and_its_bad_lines() -> None:
    parsed = parse(sample("queue_log.2"), CallFormat.QUEUE_LOG)
    assert [e.plain() for e in parsed.errors] == [
        "line 9: CONNECT data1 (holdtime) is missing, not a whole number of seconds",
        "line 12: time '' is not epoch seconds",
    ]
    assert (parsed.lines, parsed.good_lines) == (12, 10)  # the blank line 11 is no line
    calls = {call_id: finished(facts) for call_id, facts in parsed.calls.items()}
    assert calls["1793582000.180"].outcome is Outcome.OTHER  # EXITWITHKEY
    assert calls["1793582000.180"].wait_seconds == 7
    assert calls["1793582100.190"].outcome is Outcome.ABANDONED
    assert "1793582300.210" not in calls  # an event of no bearing on the outcome


def test_master_csv_in_the_pbx_local_time_with_bad_rows() -> None:
    parsed = parse(sample("Master.csv"), CallFormat.CDR)
    assert [e.plain() for e in parsed.errors] == [
        "line 8: has 9 column(s); a Master.csv record has 18 (accountcode ... disposition, "
        "amaflags, uniqueid, userfield)",
        "line 9: start is '2026/11/02 10:08', not YYYY-MM-DD HH:MM:SS",
        "line 10: disposition 'MAYBE' is not ANSWERED, NO ANSWER, BUSY or FAILED",
        "line 11: duration is '-5', not a whole number of seconds",
        'line 12: not readable as CSV: a quote (") is never closed',
    ]
    calls = {call_id: finished(facts) for call_id, facts in parsed.calls.items()}
    assert len(calls) == 6  # seven good rows, two of them legs of one call
    first = calls["1793584800.1"]
    assert (first.offered_at, first.answered_at, first.ended_at) == (
        utc(2, 0),
        utc(2, 0, 10),
        utc(2, 5, 10),
    )
    assert (first.wait_seconds, first.talk_seconds, first.agent) == (10, 300, "SIP/8001")
    assert (first.case_no, first.case_line) == ("GY20261102-000001", 1)  # from userfield
    assert calls["1793584860.3"].outcome is Outcome.ABANDONED  # NO ANSWER
    # Answered by the queue, never bridged to an agent: not answered by an agent.
    assert calls["1793584920.4"].outcome is Outcome.ABANDONED
    assert calls["1793584920.4"].answered_at is None
    assert calls["1793584980.5"].outcome is Outcome.OTHER  # BUSY
    assert calls["1793585040.6"].case_no == "GY20261102-000002"  # from accountcode
    two_legs = calls["1793585100.8"]  # agent 8001 did not answer, 8002 did
    assert (two_legs.outcome, two_legs.agent, two_legs.wait_seconds) == (
        Outcome.ANSWERED,
        "SIP/8002",
        18,
    )


def test_master_csv_time_zone_is_configurable() -> None:
    shanghai = parse(sample("Master.csv"), CallFormat.CDR).calls["1793584800.1"]
    utc_pbx = parse(sample("Master.csv"), CallFormat.CDR, "UTC").calls["1793584800.1"]
    assert shanghai.offered_at is not None and utc_pbx.offered_at is not None
    assert utc_pbx.offered_at - shanghai.offered_at == timedelta(hours=8)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        parse(b"", CallFormat.CDR, "Mars/Olympus")


def test_generic_csv_rows_and_their_problems() -> None:
    parsed = parse(sample("calls.csv"), CallFormat.CSV)
    assert [e.plain() for e in parsed.errors] == [
        "line 5: offered_at '2026-11-02 09:03:00' has no UTC offset (like +08:00)",
        "line 6: answered_at is before offered_at",
        "line 7: case_no 'GY-1' is not a case number (like GY20261128-000123)",
        "line 8: has 6 cell(s) but the header has 7 columns",
    ]
    calls = {call_id: finished(facts) for call_id, facts in parsed.calls.items()}
    assert list(calls) == ["c-0001", "c-0002", "c-0003"]
    assert (calls["c-0001"].wait_seconds, calls["c-0001"].talk_seconds) == (5, 180)
    assert calls["c-0001"].case_no == "GY20261102-000001"
    assert (calls["c-0002"].outcome, calls["c-0002"].wait_seconds) == (Outcome.ABANDONED, 40)
    assert calls["c-0003"].offered_at == utc(1, 2)  # Z and +08:00 both read


def test_generic_csv_without_its_required_columns_reads_nothing() -> None:
    parsed = parse(b"call_id,offered_at\nx,2026-11-02T09:00:00+08:00\n", CallFormat.CSV)
    assert [e.plain() for e in parsed.errors] == [
        "line 1: the header lacks column(s) answered_at, ended_at (expected call_id, "
        "offered_at, answered_at, ended_at, queue, agent, case_no, outcome, direction)"
    ]
    assert not parsed.readable


@pytest.mark.parametrize("format", list(CallFormat))
def test_an_empty_or_unreadable_file_is_named(format: CallFormat) -> None:
    assert [e.plain() for e in parse(b"", format).errors] == ["the file is empty"]
    garbage = parse(b"\xff\xfe\x00\x81\x00", format)
    assert not garbage.readable and garbage.errors[0].line is None


def test_the_caller_number_is_in_no_reason_and_no_repr() -> None:
    text = b"".join(sample(name) for name in ("queue_log.1", "queue_log.2"))
    parsed = parse(text, CallFormat.QUEUE_LOG)
    cdr = parse(sample("Master.csv"), CallFormat.CDR)
    shown = repr(parsed) + repr(cdr) + " ".join(e.plain() for e in parsed.errors + cdr.errors)
    for number in CALLERS:
        assert number.decode() not in shown


def test_merge_keeps_the_furthest_stage() -> None:
    entered = CallFacts("x", queue="hotline", offered_at=utc(1, 0), caller="13800001234")
    connected = CallFacts(
        "x",
        queue="hotline",
        offered_at=utc(1, 0, 1),
        answered_at=utc(1, 0, 9),
        wait_seconds=8,
        outcome=Outcome.ANSWERED,
        agent="SIP/8001",
    )
    timed_out = CallFacts("x", ended_at=utc(1, 5), wait_seconds=300, outcome=Outcome.TIMEOUT)
    both = merge(merge(entered, connected), timed_out)  # overflow after the answer: answered
    assert (both.outcome, both.offered_at, both.answered_at, both.ended_at) == (
        Outcome.ANSWERED,
        utc(1, 0),
        utc(1, 0, 9),
        utc(1, 5),
    )
    assert (both.wait_seconds, both.agent, both.caller) == (8, "SIP/8001", "13800001234")
    assert merge(timed_out, entered).outcome is Outcome.TIMEOUT
    assert merge(entered, entered) == entered
