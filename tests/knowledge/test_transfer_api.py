"""`POST /kb/import` and `GET /kb/export`: administrators only; 200 with the report, 422 with
every problem, nothing written; on SQLite and PostgreSQL (`session_factory`). The app runs in
process without Temporal: these routes use the database alone."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from api.routes import knowledge_transfer
from db.engine import SessionFactory
from db.seed import seed_demo
from knowledge.transfer_files import COLUMNS, MAX_BATCH
from services.principals import add_user
from services.tokens import issue_token
from tests.api.http import offline_http
from tests.knowledge.test_transfer import article, count_articles, csv_file, fixture, json_file

CSV_BODY = {"Content-Type": "text/csv"}
JSON_BODY = {"Content-Type": "application/json"}


@pytest.fixture
async def http(session_factory: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    seed_demo(session_factory)
    async with offline_http(session_factory) as client:
        yield client


def token(sessions: SessionFactory, role: str) -> dict[str, str]:
    user_id = f"{role}-kb"
    add_user(
        sessions, user_id, f"user {user_id}", role, "gy-civil" if role == "department" else None
    )
    return {"Authorization": f"Bearer {issue_token(sessions, user_id).token}"}


async def test_an_administrator_imports_csv_and_json_and_gets_the_report(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    admin = token(session_factory, "admin")
    done = await http.post("/kb/import", content=fixture("articles.csv"), headers=admin | CSV_BODY)
    assert done.status_code == 200, done.text
    report = done.json()
    assert (report["imported"], report["encoding"], report["format"]) == (3, "utf-8-sig", "csv")
    assert (report["errors"], report["dry_run"], len(report["article_ids"])) == ([], False, 3)
    chinese = await http.post(
        "/kb/import",
        content=fixture("articles_zh_gb18030.csv"),
        headers=admin | {"Content-Type": "text/csv; charset=gb18030"},
    )
    assert (chinese.status_code, chinese.json()["encoding"]) == (200, "gb18030")
    document = await http.post(
        "/kb/import", content=fixture("articles.json"), headers=admin | JSON_BODY
    )
    assert (document.status_code, document.json()["imported"]) == (200, 2)
    assert count_articles(session_factory) == 7


async def test_a_bad_file_is_refused_with_every_problem_and_nothing_written(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    admin = token(session_factory, "admin")
    refused = await http.post("/kb/import", content=fixture("mixed.csv"), headers=admin | CSV_BODY)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["detail"] == "nothing imported: 7 problem(s) in the file (7 article(s) read)"
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [
        (5, "title"),
        (5, "material_type"),
        (7, "department"),
        (7, "review_by"),
        (8, "keywords"),
        (8, "effective_from"),
        (11, "title"),
    ]
    assert problem["errors"][-1]["reason"] == "the same title is on line 2: titles must be unique"
    assert (problem["format"], problem["encoding"], problem["articles"]) == ("csv", "utf-8", 7)
    too_many = await http.post(
        "/kb/import",
        content=json_file([article() for _ in range(MAX_BATCH + 1)]),
        headers=admin | JSON_BODY,
    )
    assert too_many.status_code == 422
    assert "at most 1,000 can be imported at once" in too_many.json()["errors"][0]["reason"]
    empty = await http.post("/kb/import", content=b"", headers=admin | CSV_BODY)
    assert empty.status_code == 422 and "no articles" in empty.json()["detail"] + str(
        empty.json()["errors"]
    )
    assert count_articles(session_factory) == 0


async def test_a_dry_run_writes_nothing(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    admin = token(session_factory, "admin")
    checked = await http.post(
        "/kb/import",
        params={"dry_run": "true"},
        content=csv_file([article(), article()]),
        headers=admin | CSV_BODY,
    )
    assert checked.status_code == 200, checked.text
    assert (checked.json()["dry_run"], checked.json()["imported"]) == (True, 0)
    assert count_articles(session_factory) == 0


async def test_only_administrators_transfer_articles(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    body = csv_file([article()])
    for role in ("supervisor", "department", "operator", "auditor"):
        headers = token(session_factory, role)
        denied = await http.post("/kb/import", content=body, headers=headers | CSV_BODY)
        assert denied.status_code == 403, role
        assert denied.json()["detail"] == f"role {role} may not transfer_articles"
        assert (await http.get("/kb/export", headers=headers)).status_code == 403
    assert (await http.post("/kb/import", content=body, headers=CSV_BODY)).status_code == 401
    assert (await http.get("/kb/export")).status_code == 401
    assert count_articles(session_factory) == 0


async def test_neither_csv_nor_json_or_too_large_is_refused(
    http: httpx.AsyncClient, session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = token(session_factory, "admin")
    other = await http.post(
        "/kb/import", content=b"<xml/>", headers=admin | {"Content-Type": "application/xml"}
    )
    assert other.status_code == 415
    assert other.json()["detail"] == "send the file as text/csv or application/json"
    monkeypatch.setattr(knowledge_transfer, "MAX_IMPORT_BYTES", 1024)
    large = await http.post(
        "/kb/import", content=csv_file([article() for _ in range(20)]), headers=admin | CSV_BODY
    )
    assert large.status_code == 413


async def test_export_streams_csv_for_excel_and_json_by_status(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    admin = token(session_factory, "admin")
    imported = await http.post(
        "/kb/import", content=fixture("articles.csv"), headers=admin | CSV_BODY
    )
    assert imported.status_code == 200
    exported = await http.get("/kb/export", headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"].startswith(
        'attachment; filename="knowledge-base-'
    )
    assert exported.content.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode())
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 3 and rows[0]["title"] == "城乡居民最低生活保障申请指南"
    as_json = await http.get("/kb/export", params={"format": "json"}, headers=admin)
    assert as_json.headers["content-type"] == "application/json"
    assert [a["title"] for a in json.loads(as_json.content)] == [r["title"] for r in rows]
    pending = await http.get(
        "/kb/export", params={"format": "json", "status": "pending"}, headers=admin
    )
    assert json.loads(pending.content) == []
    unknown = await http.get("/kb/export", params={"format": "xlsx"}, headers=admin)
    assert unknown.status_code == 422
    again = await http.post("/kb/import", content=exported.content, headers=admin | CSV_BODY)
    assert again.status_code == 422  # every title is taken now
    assert {e["reason"] for e in again.json()["errors"]} == {
        "an article with this title is already in the knowledge base"
    }
