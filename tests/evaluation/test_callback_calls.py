"""Outbound calls linked to a case are its callback attempts (SQLite and PostgreSQL): the callback
rate counts a case called back when the callback step recorded an attempt or a callback call was
placed after its last reply and before it closed; incoming calls, earlier calls and later calls
do not count, and satisfaction stays the callback step's."""

from __future__ import annotations

from db.engine import SessionFactory
from evaluation.call_ingest import ingest_calls, link_call
from evaluation.calls import call_summary
from evaluation.indicators import case_indicators
from evaluation.telephony import CallFormat
from models.evaluation import Period
from tests.evaluation.case_fixtures import CaseBuilder, at, seed_departments

NOVEMBER = Period.month(2026, 11)


def handled(sessions: SessionFactory, number: int) -> CaseBuilder:
    """A complaint replied to on 3 Nov and closed on 5 Nov without a callback step recorded
    (the callback was made by phone and never entered: closed unresolved by a supervisor)."""
    return (
        CaseBuilder(sessions, number)
        .intake(at(11, 2, 9))
        .dispatch(at(11, 2, 9, 30), "water")
        .sign_off(at(11, 2, 11))
        .reply(at(11, 3, 10))
        .approve(at(11, 3, 15))
        .close("supervisor_close", at(11, 5, 18), "closed_unresolved", {})
    )


def csv_of(rows: list[tuple[str, ...]]) -> bytes:
    header = "call_id,offered_at,answered_at,ended_at,case_no,direction\n"
    return (header + "".join(",".join(row) + "\n" for row in rows)).encode()


def figures(sessions: SessionFactory, key: str) -> tuple[int, int]:
    overall = case_indicators(sessions, NOVEMBER)[0]
    value = next(v for v in overall.values if v.key == key)
    return value.numerator, value.denominator


def test_callback_calls_count_as_attempts_of_their_case(session_factory: SessionFactory) -> None:
    seed_departments(session_factory)
    cases = {letter: handled(session_factory, n).case_no for n, letter in enumerate("XYZWV", 31)}
    assert figures(session_factory, "callback_rate") == (0, 5)  # no attempt recorded
    data = csv_of(
        [
            # X: a callback the day after the reply, answered: called back.
            (
                "cb-x",
                "2026-11-04T10:00:00+08:00",
                "2026-11-04T10:00:08+08:00",
                "",
                cases["X"],
                "outbound",
            ),
            # Y: a call to the citizen before the reply (a question on the matter): no callback.
            ("cb-y", "2026-11-02T15:00:00+08:00", "", "", cases["Y"], "outbound"),
            # Z: the citizen called in after the reply: an incoming call, no callback.
            (
                "in-z",
                "2026-11-04T11:00:00+08:00",
                "2026-11-04T11:00:05+08:00",
                "",
                cases["Z"],
                "inbound",
            ),
            # W: a call after the case closed: no callback of this handling.
            ("cb-w", "2026-11-06T10:00:00+08:00", "", "", cases["W"], "OUTBOUND"),
            # V: not answered, linked by hand below: an attempt all the same.
            ("cb-v", "2026-11-04T16:00:00+08:00", "", "", "", "outbound"),
        ]
    )
    report = ingest_calls(session_factory, data, CallFormat.CSV, name="callbacks.csv", by="a")
    assert (report.inserted, report.outbound, report.linked, report.errors) == (5, 4, 4, [])
    assert figures(session_factory, "callback_rate") == (1, 5)
    link_call(session_factory, "cb-v", cases["V"], by="sup-1")
    assert figures(session_factory, "callback_rate") == (2, 5)
    # A call record says a call was placed, not what the citizen said: no satisfaction.
    assert figures(session_factory, "satisfaction_rate") == (0, 0)
    # And no callback is an offered call: only Z is.
    summary = call_summary(session_factory, NOVEMBER)
    assert (summary.offered, summary.answered) == (1, 1)


def test_a_recorded_callback_counts_once(session_factory: SessionFactory) -> None:
    seed_departments(session_factory)
    case = (
        CaseBuilder(session_factory, 41)
        .intake(at(11, 2, 9))
        .dispatch(at(11, 2, 9, 30), "water")
        .sign_off(at(11, 2, 11))
        .reply(at(11, 3, 10))
        .approve(at(11, 3, 15))
        .callback(at(11, 4, 10), "satisfied", True, closes="resolved")
    )
    data = csv_of([("cb-1", "2026-11-04T10:00:00+08:00", "", "", case.case_no, "outbound")])
    ingest_calls(session_factory, data, CallFormat.CSV, name="one.csv", by="a")
    assert figures(session_factory, "callback_rate") == (1, 1)
    assert figures(session_factory, "satisfaction_rate") == (1, 1)
