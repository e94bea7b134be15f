"""Call direction: which records are incoming calls and which are callbacks, by the shipped rules
and by a centre's own file, in Master.csv, queue_log and the generic CSV, and the call
indicators over incoming calls only (the report's connection rate against the figure worked out
by hand on a CDR sample with callbacks), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.calls import calls_app
from db.engine import SessionFactory, make_engine, session_factory
from db.seed import seed_demo
from evaluation.call_ingest import ingest_calls
from evaluation.calls import call_summary, daily_connection_rates
from evaluation.report import build_report
from evaluation.telephony import CallFormat, Outcome, finished, parse
from models.evaluation import Period
from rules.telephony import (
    CdrRules,
    CsvRules,
    Direction,
    QueueLogRules,
    TelephonyRules,
    TelephonyRulesError,
    load_rules,
)
from services.principals import add_user
from services.tokens import issue_token
from settings.environment import TELEPHONY_RULES_ENV as RULES_FILE_ENV
from settings.environment import Settings
from tests.api.http import offline_http
from tests.evaluation.calls_fixture import SAMPLES, add_case, sample, stored

NOV_3 = Period.days(date(2026, 11, 3), date(2026, 11, 3))
INBOUND = [
    "1793667600.301",
    "1793667900.302",
    "1793668200.303",
    "1793668500.304",
    "1793668800.305",
    "1793669100.306",  # NO ANSWER
    "1793669400.307",  # answered by the queue, never by an agent
    "1793669700.308",  # BUSY
    "1793671200.309",  # the survey call: inbound by the shipped rules
]
CALLBACKS = ["1793674800.310", "1793675100.311", "1793675400.312", "1793675700.313"]
SURVEY = "1793671200.309"
CENTRE_FILE = """
# The centre's survey calls go out from their own context.
cdr:
  outbound_contexts: [hotline-callback, survey-out]
"""


def directions(rules: TelephonyRules | None = None) -> dict[str, Direction | None]:
    parsed = parse(sample("Master.callbacks.csv"), CallFormat.CDR, rules=rules or TelephonyRules())
    return {call_id: facts.direction for call_id, facts in parsed.calls.items()}


# ---- the readers ---------------------------------------------------------------------------


def test_the_shipped_rules_tell_callbacks_from_incoming_calls() -> None:
    parsed = parse(sample("Master.callbacks.csv"), CallFormat.CDR)
    assert parsed.errors == [] and len(parsed.calls) == 13 and parsed.outbound == 4
    assert directions() == {call_id: Direction.INBOUND for call_id in INBOUND} | {
        call_id: Direction.OUTBOUND for call_id in CALLBACKS
    }
    calls = {call_id: finished(facts) for call_id, facts in parsed.calls.items()}
    reached = calls["1793674800.310"]  # hotline-callback context, Dial, accountcode callback
    assert (reached.outcome, reached.agent, reached.wait_seconds, reached.talk_seconds) == (
        Outcome.ANSWERED,
        "SIP/8001",  # the agent who dialled, not the trunk
        12,
        60,
    )
    assert (reached.case_no, reached.queue) == ("GY20261103-000001", None)
    not_reached = calls["1793675100.311"]
    assert (not_reached.outcome, not_reached.answered_at, not_reached.case_no) == (
        Outcome.OTHER,  # a callback nobody answered is not an abandoned call
        None,
        "GY20261103-000002",
    )
    # The accountcode alone says so (from-internal is in no list).
    assert calls["1793675700.313"].direction is Direction.OUTBOUND
    # Inbound by its context although it ran Dial, not Queue.
    assert calls["1793669700.308"].direction is Direction.INBOUND


def test_a_centre_file_changes_the_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert directions()[SURVEY] is Direction.INBOUND  # survey-out is in no shipped list
    path = tmp_path / "telephony.yml"
    path.write_text(CENTRE_FILE, encoding="utf-8")
    monkeypatch.setenv(RULES_FILE_ENV, str(path))
    centre = load_rules(Settings.from_env().telephony_rules)
    assert centre.cdr.outbound_contexts == ("hotline-callback", "survey-out")
    assert centre.cdr.outbound_accountcodes == ("callback",)  # a key left out keeps its default
    assert directions(centre)[SURVEY] is Direction.OUTBOUND
    # Without the callback rules every call is incoming, as before direction was recorded.
    nothing_out = TelephonyRules(cdr=CdrRules(outbound_accountcodes=(), outbound_contexts=()))
    assert set(directions(nothing_out).values()) == {Direction.INBOUND}
    # Applications are compared without case; the default direction is the centre's choice.
    by_app = CdrRules(inbound_contexts=(), outbound_applications=("dial",), outbound_contexts=())
    assert by_app.direction("", "from-pstn", "Dial") is Direction.OUTBOUND
    assert CdrRules(default=Direction.OUTBOUND).direction("", "x", "y") is Direction.OUTBOUND


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("cdr:\n  outbound_context: [x]\n", "cdr.outbound_context: Extra inputs are not permitted"),
        (
            "cdr:\n  inbound_contexts: [from-pstn, hotline-callback]\n",
            "cdr: Value error, context 'hotline-callback' listed as inbound and outbound",
        ),
        ("cdr:\n  outbound_accountcodes: ['  ']\n", "cdr.outbound_accountcodes.0: String should"),
        ("queue_log:\n  outbound_events: [callout]\n", "queue_log.outbound_events.0: String"),
        ("csv:\n  default: sideways\n", "csv.default: Input should be 'inbound' or 'outbound'"),
        ("- cdr\n", "expected a mapping of cdr, queue_log and csv"),
        ("cdr: [unclosed\n", "not YAML or JSON at line 2"),
    ],
)
def test_a_bad_centre_file_is_refused_naming_the_key(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "telephony.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TelephonyRulesError) as raised:
        load_rules(path)
    assert str(raised.value).startswith(f"{RULES_FILE_ENV} file {str(path)!r}: ")
    assert message in str(raised.value)


def test_a_missing_centre_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RULES_FILE_ENV, str(tmp_path / "nope.yml"))
    with pytest.raises(TelephonyRulesError, match="cannot be read"):
        load_rules(Settings.from_env().telephony_rules)
    monkeypatch.setenv(RULES_FILE_ENV, "")
    assert load_rules(Settings.from_env().telephony_rules) == TelephonyRules()
    empty = tmp_path / "empty.yml"
    empty.write_text("# nothing changed\n", encoding="utf-8")
    assert load_rules(empty) == TelephonyRules()


def test_the_generic_csv_direction_column() -> None:
    text = (
        b"call_id,offered_at,answered_at,ended_at,direction\n"
        b"a,2026-11-03T09:00:00+08:00,2026-11-03T09:00:05+08:00,,inbound\n"
        b"b,2026-11-03T09:01:00+08:00,2026-11-03T09:01:09+08:00,,OUTBOUND\n"
        b"c,2026-11-03T09:02:00+08:00,,,\n"
        b"d,2026-11-03T09:03:00+08:00,,,sideways\n"
    )
    parsed = parse(text, CallFormat.CSV)
    assert [e.plain() for e in parsed.errors] == [
        "line 5: direction 'sideways' is not inbound or outbound"
    ]
    assert {k: v.direction for k, v in parsed.calls.items()} == {
        "a": Direction.INBOUND,
        "b": Direction.OUTBOUND,
        "c": Direction.INBOUND,  # empty: the default
    }
    assert parsed.calls["c"].outcome is Outcome.ABANDONED
    assert finished(parsed.calls["b"]).outcome is Outcome.ANSWERED
    outbound_centre = TelephonyRules(csv=CsvRules(default=Direction.OUTBOUND))
    placed = parse(text, CallFormat.CSV, rules=outbound_centre).calls["c"]
    # Not answered: a callback the citizen did not take, not an abandoned call.
    assert (placed.direction, placed.outcome) == (Direction.OUTBOUND, Outcome.OTHER)
    # A file without the column is read as before, every call inbound.
    assert {f.direction for f in parse(sample("calls.csv"), CallFormat.CSV).calls.values()} == {
        Direction.INBOUND
    }


def test_queue_log_outbound_events_and_queues() -> None:
    text = (
        b"1793667600|1793667600.1|callbacks|SIP/8001|CALLOUTBOUND|8001|13800001234\n"
        b"1793667610|1793667600.1|callbacks|SIP/8001|CONNECT|10|1793667610.2|4\n"
        b"1793667700|1793667600.1|callbacks|SIP/8001|COMPLETEAGENT|10|90|1\n"
        b"1793667800|1793667800.3|campaign|NONE|ENTERQUEUE||13800001235|1\n"
        b"1793667900|1793667900.4|hotline|NONE|ENTERQUEUE||13800001236|1\n"
    )
    shipped = parse(text, CallFormat.QUEUE_LOG)
    calls = {call_id: finished(facts) for call_id, facts in shipped.calls.items()}
    placed = calls["1793667600.1"]
    assert (placed.direction, placed.outcome, placed.offered_at, placed.wait_seconds) == (
        Direction.OUTBOUND,
        Outcome.ANSWERED,
        datetime(2026, 11, 3, 1, 0, tzinfo=UTC),
        10,
    )
    assert placed.caller is None  # not the caller of an incoming call
    assert calls["1793667800.3"].direction is Direction.INBOUND
    campaign = TelephonyRules(queue_log=QueueLogRules(outbound_queues=("campaign",)))
    in_campaign = parse(text, CallFormat.QUEUE_LOG, rules=campaign).calls
    assert {k: v.direction for k, v in in_campaign.items()} == {
        "1793667600.1": Direction.OUTBOUND,
        "1793667800.3": Direction.OUTBOUND,
        "1793667900.4": None,  # stored as inbound
    }


# ---- the indicators over incoming calls only --------------------------------------------------


def ingest_sample(sessions: SessionFactory, rules: TelephonyRules | None = None) -> None:
    report = ingest_calls(
        sessions,
        sample("Master.callbacks.csv"),
        CallFormat.CDR,
        name="Master.callbacks.csv",
        by="admin-1",
        rules=rules,
    )
    assert (report.inserted, report.outbound, report.errors) == (13, 4, [])


def test_the_reports_connection_rate_counts_incoming_calls_only(
    session_factory: SessionFactory,
) -> None:
    add_case(session_factory, "GY20261103-000001")
    add_case(session_factory, "GY20261103-000002")
    ingest_sample(session_factory)
    rows = stored(session_factory)
    assert [k for k, row in rows.items() if row.direction == "outbound"] == CALLBACKS
    assert rows["1793674800.310"].case_no == "GY20261103-000001"  # linked as a callback
    assert rows["1793675100.311"].case_no == "GY20261103-000002"
    # By hand: 9 incoming calls (8 from-pstn and the survey call, which the shipped rules take
    # as incoming); answered by an agent: 5 from the queue and the survey call = 6 of 9;
    # within 15 s: 5, 12, 8 and 10 s = 4; abandoned: the NO ANSWER and the call the queue
    # answered but no agent took = 2. Counting the 4 callbacks (3 answered) as offered calls
    # would have given 9 of 13 (69.2 %).
    report = build_report(session_factory, NOV_3)
    calls = report.calls
    assert (calls.offered, calls.answered, calls.answered_within_15s, calls.abandoned) == (
        9,
        6,
        4,
        2,
    )
    assert (calls.connection_rate.numerator, calls.connection_rate.denominator) == (6, 9)
    assert calls.connection_rate.rate == pytest.approx(0.6667, abs=1e-4)
    overall = {value.key: value for value in report.overall.values}
    assert (overall["connection_rate"].numerator, overall["connection_rate"].denominator) == (
        6,
        9,
    )
    assert (overall["answer_15s_rate"].numerator, overall["answer_15s_rate"].denominator) == (
        4,
        9,
    )
    assert calls.worst_window is not None
    assert (calls.worst_window.offered, calls.worst_window.answered) == (9, 6)
    assert [point.connection_rate for point in report.trend] == [6 / 9]
    assert daily_connection_rates(session_factory, NOV_3) == {date(2026, 11, 3): 6 / 9}


def test_under_the_centres_rules_the_survey_calls_are_not_offered(
    session_factory: SessionFactory,
) -> None:
    centre = TelephonyRules(cdr=CdrRules(outbound_contexts=("hotline-callback", "survey-out")))
    report = ingest_calls(
        session_factory,
        sample("Master.callbacks.csv"),
        CallFormat.CDR,
        name="Master.callbacks.csv",
        by="admin-1",
        rules=centre,
    )
    assert report.outbound == 5
    summary = call_summary(session_factory, NOV_3)
    # 8 incoming calls, 5 answered (62.5 %), 3 within 15 s.
    assert (summary.offered, summary.answered, summary.answered_within_15s) == (8, 5, 3)
    assert summary.connection_rate.rate == 0.625


def test_the_cli_reads_the_centres_file(
    store_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    path = tmp_path / "telephony.yml"
    path.write_text("cdr:\n  outbound_context: [survey-out]\n", encoding="utf-8")
    monkeypatch.setenv(RULES_FILE_ENV, str(path))
    args = ["ingest", str(SAMPLES / "Master.callbacks.csv"), "--format", "cdr", "--by", "a"]
    refused = runner.invoke(calls_app, [*args, "--url", store_database_url])
    assert refused.exit_code == 2
    assert "cdr.outbound_context: Extra inputs are not permitted" in refused.stderr
    sessions = session_factory(make_engine(store_database_url))
    assert stored(sessions) == {}
    path.write_text(CENTRE_FILE, encoding="utf-8")
    done = runner.invoke(calls_app, [*args, "--json", "--url", store_database_url])
    assert done.exit_code == 0, done.output
    assert (json.loads(done.stdout)["outbound"], json.loads(done.stdout)["calls"]) == (5, 13)
    assert stored(sessions)[SURVEY].direction == "outbound"


async def test_the_api_names_a_bad_centre_file(
    session_factory: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo(session_factory)
    add_user(session_factory, "adm-dir", "admin", "admin", None)
    admin = {"Authorization": f"Bearer {issue_token(session_factory, 'adm-dir').token}"}
    path = tmp_path / "telephony.yml"
    path.write_text("csv:\n  default: sideways\n", encoding="utf-8")
    monkeypatch.setenv(RULES_FILE_ENV, str(path))
    async with offline_http(session_factory) as http:
        refused = await http.post(
            "/calls/ingest",
            params={"format": "cdr"},
            content=sample("Master.callbacks.csv"),
            headers=admin,
        )
        assert refused.status_code == 500
        assert refused.headers["content-type"] == "application/problem+json"
        assert "csv.default: Input should be 'inbound' or 'outbound'" in refused.json()["detail"]
        assert stored(session_factory) == {}
        monkeypatch.delenv(RULES_FILE_ENV)
        done = await http.post(
            "/calls/ingest",
            params={"format": "cdr"},
            content=sample("Master.callbacks.csv"),
            headers=admin,
        )
    assert done.status_code == 200 and done.json()["outbound"] == 4
