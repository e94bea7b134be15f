"""A PBX's queue_log and its CDR ingested together (SQLite and PostgreSQL): the two records of a
call make one row whichever file comes first, with the queue_log's timing, the CDR's case link
and direction, a peer leg (linkedid) folded into its call, and nothing written on re-ingest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import SessionFactory
from evaluation.call_ingest import IngestReport, ingest_calls
from evaluation.calls import call_summary
from evaluation.telephony import CallFacts, CallFormat, Outcome, merge
from models.evaluation import Period
from rules.telephony import Direction
from tests.evaluation.calls_fixture import add_case, sample, stored

CASE = "GY20261104-000001"
FILES = {"queue_log.pbx": CallFormat.QUEUE_LOG, "Master.pbx.csv": CallFormat.CDR}
CALLERS = ("13800002001", "13800002002", "13800002003")
AT = datetime(2026, 11, 5, 0, 0, tzinfo=UTC)
COLUMNS = (
    "queue",
    "offered_at",
    "answered_at",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "outcome",
    "agent",
    "case_no",
    "direction",
    "timing",
)


def utc(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 4, hour, minute, second, tzinfo=UTC)


# What the two files say together (10:00 Beijing is 02:00 UTC).
MERGED: dict[str, tuple[Any, ...]] = {
    # In both: ENTERQUEUE 20 s after the channel started (an IVR), an agent after 10 s in the
    # queue; the CDR (wait 30 s from the channel's start) names the case.
    "1793757600.201": (
        "hotline",
        utc(2, 0, 20),
        utc(2, 0, 30),
        utc(2, 3, 30),
        10,
        180,
        "answered",
        "SIP/8001",
        CASE,
        "inbound",
        "queue_log",
    ),
    # In both: abandoned after 25 s in the queue (the CDR says 35 s from the channel's start).
    "1793757890.210": (
        "hotline",
        utc(2, 5),
        None,
        utc(2, 5, 25),
        25,
        None,
        "abandoned",
        None,
        None,
        "inbound",
        "queue_log",
    ),
    # The queue_log file ends while it is queued; the CDR says an agent answered.
    "1793758195.220": (
        "hotline",
        utc(2, 9, 55),
        utc(2, 10, 40),
        utc(2, 12, 40),
        45,
        120,
        "answered",
        "SIP/8002",
        None,
        "inbound",
        "cdr",
    ),
    # Only in the CDR: the agent's callback to the first caller, linked to the case.
    "1793759400.230": (
        None,
        utc(2, 30),
        utc(2, 30, 12),
        utc(2, 32, 12),
        12,
        120,
        "answered",
        "SIP/8001",
        CASE,
        "outbound",
        "cdr",
    ),
}


def ingest(sessions: SessionFactory, name: str, data: bytes | None = None) -> IngestReport:
    return ingest_calls(
        sessions,
        sample(name) if data is None else data,
        FILES[name],
        name=name,
        by="admin-1",
        now=AT,
        caller_key=b"a secret of the deployment",
    )


def rows(sessions: SessionFactory) -> dict[str, tuple[Any, ...]]:
    return {
        call_id: tuple(getattr(row, column) for column in COLUMNS)
        for call_id, row in stored(sessions).items()
    }


@pytest.mark.parametrize(
    "order", [("queue_log.pbx", "Master.pbx.csv"), ("Master.pbx.csv", "queue_log.pbx")]
)
def test_one_call_per_call_whichever_file_comes_first(
    session_factory: SessionFactory, order: tuple[str, str]
) -> None:
    add_case(session_factory, CASE)
    first, second = (ingest(session_factory, name) for name in order)
    assert (first.errors, second.errors) == ([], [])
    assert rows(session_factory) == MERGED
    hashes = {k: row.caller_hash for k, row in stored(session_factory).items()}
    assert all(value is not None for value in hashes.values())
    # The callback went to the first caller: the same keyed hash, not the agent's extension.
    assert hashes["1793759400.230"] == hashes["1793757600.201"]
    if order[0] == "queue_log.pbx":
        assert (first.inserted, first.updated) == (3, 0)
        # The callback is new; the first call gets its case, the third its answer.
        assert (second.calls, second.inserted, second.updated, second.linked) == (4, 1, 2, 2)
    else:
        assert (first.inserted, first.outbound, first.linked) == (4, 1, 2)
        # The queue_log's timing replaces the CDR's of the first two calls.
        assert (second.calls, second.inserted, second.updated, second.linked) == (3, 0, 2, 0)
    # By hand, over the incoming calls of the day: 3 offered, 2 answered, 1 within 15 s (the
    # queue_log's 10 s, not the CDR's 30 s), 1 abandoned.
    summary = call_summary(session_factory, Period.days(date(2026, 11, 4), date(2026, 11, 4)))
    assert (summary.offered, summary.answered, summary.answered_within_15s) == (3, 2, 1)
    assert summary.abandoned == 1
    with session_factory() as session:
        dump = " ".join(str(tuple(r)) for r in session.execute(text("SELECT * FROM call_records")))
    assert not any(number in dump for number in CALLERS)


def test_re_ingest_writes_nothing_and_an_appended_cdr_only_its_new_call(
    session_factory: SessionFactory,
) -> None:
    add_case(session_factory, CASE)
    ingest(session_factory, "Master.pbx.csv")
    ingest(session_factory, "queue_log.pbx")
    before = {k: row.updated_at for k, row in stored(session_factory).items()}
    for name in FILES:
        assert ingest(session_factory, name).already_ingested
    appended = sample("Master.pbx.csv") + (
        b'"","13800002004","12345","from-pstn","<13800002004>","SIP/trunk-00000108","",'
        b'"Queue","hotline","2026-11-04 10:40:00","","2026-11-04 10:40:09",9,0,"NO ANSWER",'
        b'"DOCUMENTATION","1793760000.240","","","1793760000.240",6\n'
    )
    grown = ingest(session_factory, "Master.pbx.csv", appended)
    assert (grown.calls, grown.inserted, grown.updated, grown.linked) == (5, 1, 0, 0)
    after = rows(session_factory)
    assert {k: after[k] for k in MERGED} == MERGED
    assert {k: row.updated_at for k, row in stored(session_factory).items() if k in before} == (
        before
    )


def test_the_same_merge_in_both_orders_without_a_database() -> None:
    queued = CallFacts("x", queue="hotline", offered_at=utc(2, 0, 20), timing=CallFormat.QUEUE_LOG)
    answered_in_queue = CallFacts(
        "x",
        queue="hotline",
        offered_at=utc(2, 0, 20),
        answered_at=utc(2, 0, 30),
        ended_at=utc(2, 3, 30),
        wait_seconds=10,
        talk_seconds=180,
        outcome=Outcome.ANSWERED,
        agent="SIP/8001",
        timing=CallFormat.QUEUE_LOG,
    )
    cdr = CallFacts(
        "x",
        queue="hotline",
        offered_at=utc(2, 0),
        answered_at=utc(2, 0, 30),
        ended_at=utc(2, 3, 30),
        wait_seconds=30,
        talk_seconds=180,
        outcome=Outcome.ANSWERED,
        agent="SIP/8001",
        case_no=CASE,
        direction=Direction.INBOUND,
        timing=CallFormat.CDR,
    )
    assert merge(answered_in_queue, cdr) == merge(cdr, answered_in_queue)
    both = merge(cdr, answered_in_queue)
    assert (both.offered_at, both.wait_seconds, both.case_no, both.timing) == (
        utc(2, 0, 20),
        10,
        CASE,
        CallFormat.QUEUE_LOG,
    )
    # Still queued in the queue_log: the CDR's answer stands, until the rest arrives.
    assert merge(queued, cdr).outcome is Outcome.ANSWERED
    assert merge(queued, cdr).wait_seconds == 30
    assert merge(merge(queued, cdr), answered_in_queue).wait_seconds == 10
    # Outbound wins: a call either record says is a callback is a callback.
    outbound = CallFacts("x", direction=Direction.OUTBOUND, timing=CallFormat.CDR)
    assert merge(cdr, outbound).direction is Direction.OUTBOUND
    assert merge(outbound, cdr).direction is Direction.OUTBOUND
