"""`hotline calls ...` and the `/calls` routes: output and exit codes (0 done, 1 refused, 2 bad
input), 200 / 422 / 403 with the permission matrix's roles, on SQLite and PostgreSQL. The app
runs in process without Temporal: these routes use the database alone."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from cli.calls import calls_app
from db.engine import SessionFactory, make_engine, session_factory
from db.seed import seed_demo
from services.principals import add_user
from services.tokens import issue_token
from tests.api.http import offline_http
from tests.evaluation.calls_fixture import SAMPLES, add_case, sample, stored

runner = CliRunner()


def hotline_calls(url: str, *args: str) -> Result:
    result = runner.invoke(calls_app, [*args, "--url", url])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def sessions_of(url: str) -> SessionFactory:
    return session_factory(make_engine(url))


# ---- CLI ------------------------------------------------------------------------------------


def test_ingest_prints_a_summary_and_lists_the_bad_lines(store_database_url: str) -> None:
    url = store_database_url
    done = hotline_calls(
        url, "ingest", str(SAMPLES / "queue_log.1"), "--format", "queue_log", "--by", "adm-1"
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == (
        "ingested queue_log.1 (queue_log, source asterisk): 18 line(s), 5 call(s) (0 outbound): "
        "5 new, 0 updated, 0 incomplete, 0 linked to a case; 3 bad line(s)"
    )
    assert done.stderr.splitlines() == [
        "line 13: has 3 field(s); a queue_log line has at least 5 (epoch|callid|queue|agent|event)",
        "line 14: time '17935814xx' is not epoch seconds",
        "line 15: CONNECT data1 (holdtime) is 'soon', not a whole number of seconds",
    ]
    again = hotline_calls(
        url, "ingest", str(SAMPLES / "queue_log.1"), "--format", "queue_log", "--by", "adm-1"
    )
    assert again.exit_code == 0 and again.stdout.startswith("already ingested: queue_log.1")
    as_json = hotline_calls(
        url,
        "ingest",
        str(SAMPLES / "Master.csv"),
        "--format",
        "cdr",
        "--by",
        "adm-1",
        "--source",
        "pbx-2",
        "--timezone",
        "Asia/Shanghai",
        "--json",
    )
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert (report["source"], report["inserted"], len(report["errors"])) == ("pbx-2", 6, 5)
    assert "warning: line 5: call 1793585040.6: no case GY20261102-000002" in as_json.stderr


def test_ingest_exit_codes(store_database_url: str, tmp_path: Path) -> None:
    url = store_database_url
    unreadable = tmp_path / "queue_log"
    unreadable.write_bytes(b"not a queue_log\n")
    refused = hotline_calls(url, "ingest", str(unreadable), "--format", "queue_log", "--by", "a")
    assert refused.exit_code == 1
    assert "refused: no line of queue_log could be read" in refused.stderr
    missing = hotline_calls(url, "ingest", str(tmp_path / "nope"), "--format", "cdr", "--by", "a")
    assert (missing.exit_code, missing.stderr.strip()) == (
        2,
        f"no file {str(tmp_path / 'nope')!r}",
    )
    bad_format = hotline_calls(
        url, "ingest", str(SAMPLES / "Master.csv"), "--format", "xls", "--by", "a"
    )
    assert bad_format.exit_code == 2
    bad_zone = hotline_calls(
        url, "ingest", str(SAMPLES / "Master.csv"), "--format", "cdr", "--by", "a",
        "--timezone", "Mars/Olympus",
    )  # fmt: skip
    assert bad_zone.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad_zone.stderr
    bad_source = hotline_calls(
        url, "ingest", str(SAMPLES / "calls.csv"), "--format", "csv", "--by", "a",
        "--source", "a b",
    )  # fmt: skip
    assert bad_source.exit_code == 2 and "source 'a b'" in bad_source.stderr


def test_link_and_summary(store_database_url: str) -> None:
    url = store_database_url
    sessions = sessions_of(url)
    hotline_calls(url, "ingest", str(SAMPLES / "queue_log.1"), "--format", "queue_log", "--by", "a")
    hotline_calls(url, "ingest", str(SAMPLES / "queue_log.2"), "--format", "queue_log", "--by", "a")
    add_case(sessions, "GY20261102-000003")
    linked = hotline_calls(
        url, "link", "1793581260.110", "GY20261102-000003", "--source", "asterisk", "--by", "s-1"
    )
    assert (linked.exit_code, linked.stdout.strip()) == (
        0,
        "call 1793581260.110 (asterisk) linked to case GY20261102-000003",
    )
    assert stored(sessions)["1793581260.110"].case_no == "GY20261102-000003"
    unknown = hotline_calls(url, "link", "1793581260.110", "GY20261102-000404", "--by", "s-1")
    assert (unknown.exit_code, unknown.stderr.strip()) == (
        1,
        "refused: no case GY20261102-000404: the call was not linked",
    )
    assert hotline_calls(url, "link", "x", "not-a-case", "--by", "s-1").exit_code == 2
    summary = hotline_calls(url, "summary", "--from", "2026-11-02", "--to", "2026-11-02")
    assert summary.exit_code == 0, summary.output
    # Seven calls: A, C and E answered (8, 40 and 12 s), B and G abandoned, D timed out,
    # F left with a key.
    lines = summary.stdout.splitlines()
    assert lines[:6] == [
        "period            2026-11-02..2026-11-02",
        "offered           7",
        "answered          3",
        "abandoned         2",
        "connection rate   42.86% (below the 95% target)",
        "15 s answer rate  28.57% (2 within 15 s)",
    ]
    assert lines[6] == (
        "worst 24 hours    2026-11-02 00:00:00 .. 2026-11-03 00:00:00 (Beijing): 42.86%, "
        "3 of 7 answered, below the 95% target"
    )
    as_json = hotline_calls(url, "summary", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    figures = json.loads(as_json.stdout)
    assert (figures["offered"], figures["answered_within_15s"]) == (7, 2)
    backwards = hotline_calls(url, "summary", "--from", "2026-11-02", "--to", "2026-11-01")
    assert backwards.exit_code == 2
    assert hotline_calls(url, "summary", "--from", "2 Nov", "--to", "2026-11-01").exit_code == 2


# ---- API ------------------------------------------------------------------------------------


@pytest.fixture
async def http(session_factory: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    seed_demo(session_factory)
    async with offline_http(session_factory) as client:
        yield client


def token(sessions: SessionFactory, role: str) -> dict[str, str]:
    user_id = f"{role}-calls"
    with contextlib.suppress(ValueError):  # already added
        add_user(
            sessions, user_id, f"user {user_id}", role, "gy-civil" if role == "department" else None
        )
    return {"Authorization": f"Bearer {issue_token(sessions, user_id).token}"}


async def test_an_administrator_ingests_and_links(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    admin = token(session_factory, "admin")
    done = await http.post(
        "/calls/ingest",
        params={"format": "queue_log", "name": "queue_log.1"},
        content=sample("queue_log.1"),
        headers=admin,
    )
    assert done.status_code == 200, done.text
    report = done.json()
    assert (report["inserted"], report["ingested_by"], report["name"]) == (
        5,
        "admin-calls",
        "queue_log.1",
    )
    assert [e["line"] for e in report["errors"]] == [13, 14, 15]
    again = await http.post(
        "/calls/ingest",
        params={"format": "queue_log"},
        content=sample("queue_log.1"),
        headers=admin,
    )
    assert (again.status_code, again.json()["already_ingested"]) == (200, True)
    refused = await http.post(
        "/calls/ingest", params={"format": "cdr"}, content=b"x\ny\n", headers=admin
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["line"] for e in refused.json()["errors"]] == [1, 2]
    bad_format = await http.post(
        "/calls/ingest", params={"format": "xls"}, content=b"x", headers=admin
    )
    assert bad_format.status_code == 422
    bad_zone = await http.post(
        "/calls/ingest",
        params={"format": "cdr", "timezone": "Nowhere"},
        content=sample("Master.csv"),
        headers=admin,
    )
    assert bad_zone.status_code == 422 and "unknown time zone" in bad_zone.json()["detail"]

    add_case(session_factory, "GY20261102-000009")
    linked = await http.post(
        "/calls/1793581200.101/case", json={"case_no": "GY20261102-000009"}, headers=admin
    )
    assert linked.status_code == 200, linked.text
    assert (linked.json()["source"], linked.json()["linked_by"]) == ("asterisk", "admin-calls")
    unknown_case = await http.post(
        "/calls/1793581200.101/case", json={"case_no": "GY20261102-000404"}, headers=admin
    )
    assert unknown_case.status_code == 422
    assert unknown_case.json()["detail"] == "no case GY20261102-000404: the call was not linked"
    unknown_call = await http.post(
        "/calls/nope/case", json={"case_no": "GY20261102-000009"}, headers=admin
    )
    assert unknown_call.status_code == 422 and "no call 'nope'" in unknown_call.json()["detail"]
    malformed = await http.post("/calls/x/case", json={"case_no": "7"}, headers=admin)
    assert malformed.status_code == 422


async def test_who_may_ingest_and_read(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    for role in ("operator", "dispatcher", "supervisor", "auditor"):
        refused = await http.post(
            "/calls/ingest",
            params={"format": "queue_log"},
            content=sample("queue_log.1"),
            headers=token(session_factory, role),
        )
        assert refused.status_code == 403, role
    assert stored(session_factory) == {}
    link = await http.post(
        "/calls/x/case",
        json={"case_no": "GY20261102-000009"},
        headers=token(session_factory, "department"),
    )
    assert link.status_code == 403
    operator = await http.get(
        "/calls/summary",
        params={"start": "2026-11-01", "end": "2026-11-30"},
        headers=token(session_factory, "operator"),
    )
    assert operator.status_code == 403
    unauthenticated = await http.get(
        "/calls/summary", params={"start": "2026-11-01", "end": "2026-11-30"}
    )
    assert unauthenticated.status_code == 401


async def test_the_summary(http: httpx.AsyncClient, session_factory: SessionFactory) -> None:
    admin = token(session_factory, "admin")
    for name in ("queue_log.1", "queue_log.2"):
        await http.post(
            "/calls/ingest", params={"format": "queue_log"}, content=sample(name), headers=admin
        )
    for role in ("supervisor", "auditor", "dispatcher", "admin"):
        got = await http.get(
            "/calls/summary",
            params={"start": "2026-11-02", "end": "2026-11-02"},
            headers=token(session_factory, role) if role != "admin" else admin,
        )
        assert got.status_code == 200, (role, got.text)
        figures = got.json()
        assert (figures["offered"], figures["answered"], figures["abandoned"]) == (7, 3, 2)
        assert figures["worst_window"]["start"] == "2026-11-01T16:00:00Z"
    queue = await http.get(
        "/calls/summary",
        params={"start": "2026-11-02", "end": "2026-11-02", "queue": "other"},
        headers=admin,
    )
    assert (queue.json()["offered"], queue.json()["worst_window"]) == (0, None)
    backwards = await http.get(
        "/calls/summary", params={"start": "2026-11-02", "end": "2026-11-01"}, headers=admin
    )
    assert backwards.status_code == 422
    not_a_date = await http.get(
        "/calls/summary", params={"start": "November", "end": "2026-11-01"}, headers=admin
    )
    assert not_a_date.status_code == 422
