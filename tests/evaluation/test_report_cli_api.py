"""`hotline report`, `hotline today` and the `/evaluation` routes on a database of cases and calls
(SQLite and PostgreSQL): the HTML, CSV and XLSX carry the numbers of the JSON; bad input is
refused naming the parameter (exit 2 / 422); only the roles with read_evaluation read."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from openpyxl import load_workbook
from sqlalchemy import insert
from typer.testing import CliRunner

from cli.report import report_command, today_command
from db.call_tables import CallRow
from db.engine import SessionFactory
from db.evaluation_tables import CaseFactsRow
from db.seed import seed_demo
from db.tables import CaseRow
from evaluation.exports import XLSX_MEDIA_TYPE
from evaluation.report import build_report
from models.evaluation import Dimension, EvaluationReport, Period
from services.principals import add_user
from services.tokens import issue_token
from tests.api.http import offline_http
from tests.evaluation.test_report import (
    assert_csv_carries,
    assert_html_carries,
    assert_xlsx_carries,
)

BEIJING = timezone(timedelta(hours=8))
NOVEMBER = Period.month(2026, 11)
CASES = 42
CALLS = 120
PERSONAL = ("张三", "13812345678")


# ---- a month of cases and calls ---------------------------------------------------------------


def case_row(index: int) -> dict[str, Any]:
    """Case `index` of November 2026: a third closed at intake, the rest dispatched to
    gy-water or gy-market, most closed with a callback, a few open, one overdue."""
    received = datetime(2026, 11, 1, 8, tzinfo=BEIJING) + timedelta(hours=15 * index)
    lead = (None, "gy-water", "gy-market")[index % 3]
    open_case = index % 7 == 6 and lead is not None
    satisfied = index % 4 != 0
    closure: str | None
    if lead is None:
        closure = ("direct_answer", "three_way_call", "not_accepted")[index % 9 // 3]
    elif open_case:
        closure = None
    else:
        closure = "callback_unreachable" if index % 11 == 10 else "resolved"
    closed_at = None if open_case else received + timedelta(hours=2 if lead is None else 50)
    return {
        "case_no": f"GY{received:%Y%m%d}-{index:06d}",
        "version": 1,
        "status": "handling" if open_case else "closed",
        "closure_reason": closure,
        "channel": ("phone", "wechat", "web")[index % 3 - 1 if index % 5 else 0],
        "case_type": ("complaint", "consultation", "help", "suggestion")[index % 4],
        "category": "城乡建设/供水",
        "urgency": "normal",
        "complex": False,
        "district": ("南明区", "云岩区", "观山湖区")[index % 3],
        "street": None,
        "title": "关于停水的投诉",
        "content": "停水三天",
        "caller_name": PERSONAL[0],
        "caller_phone": PERSONAL[1],
        "confidential": False,
        "enterprise": False,
        "operator_id": "op-001",
        "lead_department": lead,
        "assisting_departments": [],
        "escalation_level": 1 if index == 13 else 0,
        "overdue": open_case and index == 13,
        "ever_overdue": index == 13,
        "next_deadline": received + timedelta(days=10) if open_case else None,
        "received_at": received,
        "dispatched_at": None if lead is None else received + timedelta(minutes=30),
        "signed_at": None if lead is None else received + timedelta(hours=1 + index % 5),
        "replied_at": None if lead is None or open_case else received + timedelta(hours=40),
        "closed_at": closed_at,
        "reopen_rounds": 1 if index == 8 else 0,
        "callback_attempts": 0 if lead is None or open_case else 1,
        "satisfaction": None
        if lead is None or open_case or closure == "callback_unreachable"
        else ("satisfied" if satisfied else "dissatisfied"),
        "resolved": None if lead is None or open_case else index % 3 != 2 or satisfied,
        "merged_into": None,
        "updated_at": received,
        "archived_at": None,
    }


def facts_row(index: int, case: dict[str, Any]) -> dict[str, Any] | None:
    if case["lead_department"] is None:
        return None
    closed = case["closed_at"] is not None
    return {
        "case_no": case["case_no"],
        "dispatches": 1 + (index % 10 == 1),
        "returns": int(index % 10 == 1),
        "returns_rejected": 0,
        "returns_approved": int(index % 10 == 1),
        "extensions_approved": 0,
        "replies": 1 if closed else 0,
        "replies_late": int(closed and index % 8 == 2),
        "reopens": int(index == 8),
        "callback_required": closed,
        "last_dispatch_seq": 3,
        "sign_off_overdue": index % 5 == 4,
        "handling_overdue": index == 13,
    }


def call_row(index: int) -> dict[str, Any]:
    offered = datetime(2026, 11, 2, 9, tzinfo=BEIJING) + timedelta(hours=5 * index)
    answered = index % 9 != 0
    wait = 5 + index % 25
    return {
        "source": "test",
        "call_id": f"call-{index}",
        "queue": "12345",
        "offered_at": offered,
        "answered_at": offered + timedelta(seconds=wait) if answered else None,
        "ended_at": offered + timedelta(seconds=wait + 120),
        "wait_seconds": wait,
        "talk_seconds": 120 if answered else None,
        "outcome": "answered" if answered else "abandoned",
        "agent": "agent-1" if answered else None,
        "updated_at": offered,
    }


def seed_month(sessions: SessionFactory) -> None:
    seed_demo(sessions)
    cases = [case_row(index) for index in range(CASES)]
    facts = [row for index, case in enumerate(cases) if (row := facts_row(index, case))]
    with sessions.begin() as session:
        session.execute(insert(CaseRow), cases)
        session.execute(insert(CaseFactsRow), facts)
        session.execute(insert(CallRow), [call_row(i) for i in range(CALLS)])


@pytest.fixture
def month(session_factory: SessionFactory) -> SessionFactory:
    seed_month(session_factory)
    return session_factory


def without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "generated_at"}


def test_the_report_of_a_month_has_every_part_and_its_files_its_numbers(
    month: SessionFactory,
) -> None:
    report = build_report(month, NOVEMBER, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert sum(point.cases for point in report.trend) == CASES
    assert sum(item.cases for item in report.type_mix) == CASES
    assert [point.day for point in report.trend][::29] == [date(2026, 11, 1), date(2026, 11, 30)]
    assert report.calls.offered == CALLS
    connection = report.overall.value("connection_rate")
    assert connection == report.calls.connection_rate
    assert report.overall.value("answer_15s_rate") == report.calls.answer_15s_rate
    assert [value.key for value in report.overall.values].count("connection_rate") == 1
    assert set(report.breakdowns) == set(Dimension)
    departments = {item.group for item in report.breakdowns[Dimension.DEPARTMENT]}
    assert {"gy-water", "gy-market"} <= departments
    # Each day's connection rate is the call records' figure of that day.
    day = next(point for point in report.trend if point.day == date(2026, 11, 3))
    calls_that_day = [
        call_row(index)
        for index in range(CALLS)
        if call_row(index)["offered_at"].astimezone(BEIJING).date() == date(2026, 11, 3)
    ]
    answered = sum(call["answered_at"] is not None for call in calls_that_day)
    assert day.connection_rate == answered / len(calls_that_day)
    ranked = [score.department for c in report.ranking.classes for score in c.scores]
    assert {"gy-water", "gy-market"} <= set(ranked)

    from evaluation.exports import render_csv, render_xlsx
    from evaluation.render import render_html

    page = render_html(report)
    assert_html_carries(page, report)
    assert_csv_carries(render_csv(report), report)
    assert_xlsx_carries(render_xlsx(report), report)
    for personal in PERSONAL:
        assert personal not in page
        assert personal.encode() not in render_csv(report)


# ---- the CLI ----------------------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("today")(today_command)
    return app


def run(*args: str) -> Any:
    return CliRunner().invoke(cli(), list(args))


@pytest.fixture
def database_env(store_database_url: str, monkeypatch: Any) -> str:
    monkeypatch.setenv("DATABASE_URL", store_database_url)
    return store_database_url


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: Any) -> Path:
    """An empty current directory (the SQLite database lives beside it)."""
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def test_hotline_report_writes_the_html_csv_and_xlsx_of_a_month(
    month: SessionFactory, database_env: str, workdir: Path
) -> None:
    done = run("report", "--month", "2026-11", "--csv", "m.csv", "--xlsx", "m.xlsx")
    assert done.exit_code == 0, done.output
    assert "wrote report-2026-11.html" in done.stdout
    expected = build_report(month, NOVEMBER)
    page = (workdir / "report-2026-11.html").read_text(encoding="utf-8")
    assert_html_carries(page, expected)
    assert_csv_carries((workdir / "m.csv").read_bytes(), expected)
    assert_xlsx_carries((workdir / "m.xlsx").read_bytes(), expected)
    assert "贵阳市水务管理局" in page
    assert sorted(path.name for path in workdir.iterdir()) == [
        "m.csv",
        "m.xlsx",
        "report-2026-11.html",
    ]


def test_hotline_report_json_is_the_report(
    month: SessionFactory, store_database_url: str, workdir: Path
) -> None:
    weights = "0.5,0.25,0.25"
    done = run(
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-15",
        "--json",
        "--weights",
        weights,
        "--url",
        store_database_url,
    )
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    period = Period.days(date(2026, 11, 1), date(2026, 11, 15))
    from evaluation.report import parse_weights

    expected = build_report(month, period, parse_weights(weights))
    assert without_time(printed) == without_time(expected.model_dump(mode="json"))
    assert printed["ranking"]["weights"] == {
        "response": 0.5,
        "resolution": 0.25,
        "satisfaction": 0.25,
    }
    assert list(workdir.iterdir()) == []  # --json alone writes no file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month: 13 is not a month (01-12)"),
        (["--month", "Nov"], "--month: 'Nov' is not a month like 2026-11"),
        (["--from", "2026-11-15", "--to", "2026-11-01"], "--from: 2026-11-15 is after --to"),
        (["--month", "2026-11", "--from", "2026-11-01"], "give either --month or --from/--to"),
        (["--from", "2026-11-01"], "--to: missing"),
        ([], "give a month, or --from and --to"),
        (["--month", "2026-11", "--weights", "0.3,0.3,0.3"], "--weights: the weights sum to 0.9"),
        (["--month", "2026-11", "--weights", "0.3,0.7"], "--weights: '0.3,0.7': give three"),
        (["--month", "2026-11", "--output", "no/such/dir/r.html"], "no directory 'no/such/dir'"),
        (["--month", "2026-11", "--csv", "same", "--xlsx", "same"], "must name different files"),
    ],
)
def test_hotline_report_refuses_bad_input_with_exit_2(
    args: list[str], message: str, workdir: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir.parent / 'never-opened.db'}")
    done = run("report", *args)
    assert done.exit_code == 2, done.output
    assert message in done.stderr
    assert list(workdir.iterdir()) == []
    assert not (workdir.parent / "never-opened.db").exists()


def test_hotline_report_with_an_unusable_database_exits_3(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    done = run("report", "--month", "2026-11", "--url", url, "--output", str(tmp_path / "r.html"))
    assert done.exit_code == 3, done.output
    assert "cannot use the application database" in done.stderr
    assert not (tmp_path / "r.html").exists()


def test_hotline_today_shows_the_live_view(month: SessionFactory, database_env: str) -> None:
    done = run("today")
    assert done.exit_code == 0, done.output
    open_cases = sum(1 for index in range(CASES) if index % 7 == 6 and index % 3)
    assert f"open            {open_cases}" in done.stdout
    assert "overdue         1" in done.stdout
    assert "level 1: 1" in done.stdout
    assert "gy-water" in done.stdout and "due_today" in done.stdout
    view = json.loads(run("today", "--json").stdout)
    assert (view["open"], view["overdue"]) == (open_cases, 1)


# ---- the API ----------------------------------------------------------------------------------


@pytest.fixture
async def http(month: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with offline_http(month) as client:
        yield client


def token(sessions: SessionFactory, role: str) -> dict[str, str]:
    user_id = f"{role}-evaluation"
    add_user(
        sessions, user_id, f"user {user_id}", role, "gy-water" if role == "department" else None
    )
    return {"Authorization": f"Bearer {issue_token(sessions, user_id).token}"}


async def test_the_report_json_and_its_html_csv_xlsx_show_the_same_numbers(
    http: httpx.AsyncClient, month: SessionFactory
) -> None:
    supervisor = token(month, "supervisor")
    answered = await http.get("/evaluation/report?month=2026-11", headers=supervisor)
    assert answered.status_code == 200, answered.text
    report = EvaluationReport.model_validate(answered.json())
    expected = build_report(month, NOVEMBER)
    assert without_time(answered.json()) == without_time(expected.model_dump(mode="json"))

    page = await http.get("/evaluation/report.html?month=2026-11", headers=supervisor)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_html_carries(page.text, report)

    table = await http.get("/evaluation/report.csv?month=2026-11", headers=supervisor)
    assert (table.status_code, table.headers["content-type"]) == (200, "text/csv; charset=utf-8")
    assert 'filename="report-2026-11.csv"' in table.headers["content-disposition"]
    assert_csv_carries(table.content, report)

    book = await http.get("/evaluation/report.xlsx?month=2026-11", headers=supervisor)
    assert (book.status_code, book.headers["content-type"]) == (200, XLSX_MEDIA_TYPE)
    assert_xlsx_carries(book.content, report)
    assert load_workbook(io.BytesIO(book.content))["排名"].max_row > 1

    days = await http.get("/evaluation/report?start=2026-11-01&end=2026-11-15", headers=supervisor)
    assert days.json()["period"] == {
        "start": "2026-11-01",
        "end": "2026-11-16",
        "label": "2026-11-01..2026-11-15",
    }


async def test_indicators_ranking_and_today_are_the_reports_figures(
    http: httpx.AsyncClient, month: SessionFactory
) -> None:
    auditor = token(month, "auditor")
    report = (await http.get("/evaluation/report?month=2026-11", headers=auditor)).json()
    for dimension in Dimension:
        sets = await http.get(
            f"/evaluation/indicators?start=2026-11-01&end=2026-11-30&dimension={dimension}",
            headers=auditor,
        )
        assert sets.status_code == 200, sets.text
        assert sets.json() == report["breakdowns"][dimension.value]
    overall = await http.get("/evaluation/indicators?month=2026-11", headers=auditor)
    assert overall.json() == [report["overall"]]
    ranking = await http.get("/evaluation/ranking?month=2026-11", headers=auditor)
    assert ranking.json() == report["ranking"]
    weighted = await http.get("/evaluation/ranking?month=2026-11&weights=1,0,0", headers=auditor)
    assert weighted.json()["weights"] == {"response": 1.0, "resolution": 0.0, "satisfaction": 0.0}
    today = await http.get("/evaluation/today", headers=auditor)
    assert today.status_code == 200
    assert today.json()["overdue"] == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("month=2026-13", "query.month", "month: 13 is not a month (01-12)"),
        ("month=11-2026", "query.month", "month: '11-2026' is not a month like 2026-11"),
        ("start=2026-11-15&end=2026-11-01", "query.start", "start: 2026-11-15 is after end"),
        ("month=2026-11&start=2026-11-01", "query.month", "give either month or start/end"),
        ("start=2026-11-01", "query.end", "end: missing"),
        ("", "query.month", "month: give a month, or start and end"),
        ("start=2026-11-31&end=2026-12-01", "query.start", "query.start: "),
        ("start=2020-01-01&end=2026-11-30", "query.end", "end: the period is 2526 days"),
        ("month=9999-12", "query.month", "month: 9999 is not a year from 1900 to 9998"),
        ("month=2026-11&weights=0.2,0.2,0.2", "query.weights", "weights: the weights sum to 0.6"),
    ],
)
async def test_a_bad_query_is_a_422_naming_the_parameter(
    http: httpx.AsyncClient, month: SessionFactory, query: str, field: str, message: str
) -> None:
    supervisor = token(month, "supervisor")
    for path in ("/evaluation/report", "/evaluation/report.html", "/evaluation/ranking"):
        refused = await http.get(f"{path}?{query}", headers=supervisor)
        assert refused.status_code == 422, (path, refused.text)
        problem = refused.json()
        assert refused.headers["content-type"] == "application/problem+json"
        assert message in problem["detail"], problem
        assert [error["field"] for error in problem["errors"]] == [field]
    dimension = await http.get(
        "/evaluation/indicators?month=2026-11&dimension=street", headers=supervisor
    )
    assert dimension.status_code == 422
    assert [error["field"] for error in dimension.json()["errors"]] == ["query.dimension"]


async def test_only_roles_that_read_evaluation_may(
    http: httpx.AsyncClient, month: SessionFactory
) -> None:
    paths = [
        "/evaluation/report?month=2026-11",
        "/evaluation/report.html?month=2026-11",
        "/evaluation/report.csv?month=2026-11",
        "/evaluation/report.xlsx?month=2026-11",
        "/evaluation/indicators?month=2026-11",
        "/evaluation/ranking?month=2026-11",
        "/evaluation/today",
    ]
    for role in ("operator", "department"):
        headers = token(month, role)
        for path in paths:
            refused = await http.get(path, headers=headers)
            assert refused.status_code == 403, (role, path)
            assert refused.json()["detail"] == f"role {role} may not read_evaluation"
    for role in ("dispatcher", "admin"):
        allowed = await http.get("/evaluation/today", headers=token(month, role))
        assert allowed.status_code == 200, role
    assert (await http.get("/evaluation/today")).status_code == 401
