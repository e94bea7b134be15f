"""A realistic knowledge base for tests: 60 Guiyang 12345 articles and the operator queries that
must find them (tests/knowledge/fixtures), loaded as published and indexed articles.

Other tests may reuse `load_articles(sessions)`; it adds the departments the articles need (the
demo departments of `seed_demo` and a few more) when they are missing. The fixtures
`kb_postgres_url` and `kb_sessions` (import `kb_postgres_url_fixture` and `kb_sessions_fixture`
into a test module) give an empty migrated database of the search tests' own: a SQLite file,
and a PostgreSQL schema on DATABASE_URL's server (skipped without one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.engine import SessionFactory, make_engine, session_factory
from db.knowledge_tables import ArticleRow
from db.seed import seed_demo
from db.tables import DepartmentRow
from knowledge.articles import copy_fields
from knowledge.index import index_articles
from models.enums import ArticleStatus
from models.knowledge import ArticleFields
from tests.databases import empty_database, migrated_postgres

FIXTURES = Path(__file__).parent / "fixtures"
EFFECTIVE_FROM = date(2026, 1, 1)
REVIEW_BY = date(2027, 1, 1)


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "articles.json").read_text("utf-8"))
    return document


def article_fields() -> list[ArticleFields]:
    """The fixture's articles, validated as a department would submit them."""
    return [
        ArticleFields(effective_from=EFFECTIVE_FROM, review_by=REVIEW_BY, **article)
        for article in _document()["articles"]
    ]


def quality_queries() -> list[tuple[str, str]]:
    """(what an operator types, the title of the article it must find in the top three)."""
    return [
        (query, title)
        for query, title in json.loads((FIXTURES / "queries.json").read_text("utf-8"))
    ]


def ensure_departments(sessions: SessionFactory) -> None:
    seed_demo(sessions)
    with sessions.begin() as session:
        existing = set(session.scalars(select(DepartmentRow.id)))
        for id_, name, kind in _document()["departments"]:
            if id_ not in existing:
                session.add(DepartmentRow(id=id_, name=name, kind=kind, active=True))


def article_row(
    fields: ArticleFields, status: ArticleStatus = ArticleStatus.PUBLISHED
) -> ArticleRow:
    now = datetime.now(UTC)
    row = ArticleRow(
        status=status.value,
        published_version=1 if status is ArticleStatus.PUBLISHED else None,
        latest_version=1,
        created_at=now,
        updated_at=now,
    )
    copy_fields(row, fields)
    return row


def load_articles(sessions: SessionFactory) -> dict[str, int]:
    """Insert and index the fixture's articles as published; their ids by title."""
    ensure_departments(sessions)
    with sessions.begin() as session:
        rows = [article_row(fields) for fields in article_fields()]
        session.add_all(rows)
        session.flush()
        index_articles(session, rows)
        return {row.title: row.id for row in rows}


# ---- databases ----------------------------------------------------------------------------------

SCHEMA = "hotline_kb_search_tests"


@pytest.fixture(name="kb_postgres_url", scope="session")
def kb_postgres_url_fixture() -> Iterator[str]:
    """A migrated PostgreSQL schema of the search tests' own (see tests/databases.py)."""
    with migrated_postgres(SCHEMA) as url:
        yield url


@pytest.fixture(
    name="kb_sessions",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def kb_sessions_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionFactory]:
    """Sessions on an empty, migrated SQLite file or PostgreSQL schema, with the departments."""
    with empty_database(request.param, tmp_path, request, "kb_postgres_url") as url:
        sessions = session_factory(make_engine(url))
        ensure_departments(sessions)
        yield sessions
