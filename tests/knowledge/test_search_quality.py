"""Search quality on the fixture's 60 articles: each operator query finds its article in the top
three, on SQLite and on PostgreSQL, and both databases return the same ranked lists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from db.engine import SessionFactory, make_engine, session_factory
from knowledge.search import SearchQuery, SearchResults, search
from migrations.runner import upgrade
from tests.databases import migrated_postgres
from tests.knowledge.kb_fixture import article_fields, load_articles, quality_queries

SCHEMA = "hotline_kb_quality_tests"
TOP = 3


@pytest.fixture(scope="module")
def sqlite_kb(tmp_path_factory: pytest.TempPathFactory) -> SessionFactory:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'hotline.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    load_articles(sessions)
    return sessions


@pytest.fixture(scope="module")
def postgres_kb() -> Iterator[SessionFactory]:
    with migrated_postgres(SCHEMA) as url:
        sessions = session_factory(make_engine(url))
        load_articles(sessions)
        yield sessions


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kb(request: pytest.FixtureRequest) -> SessionFactory:
    sessions: SessionFactory = request.getfixturevalue(f"{request.param}_kb")
    return sessions


def test_the_fixture_is_a_realistic_knowledge_base() -> None:
    articles = article_fields()
    queries = quality_queries()
    assert len(articles) >= 50 and len(queries) >= 30
    titles = {article.title for article in articles}
    assert len(titles) == len(articles)
    assert {title for _, title in queries} <= titles
    assert all(60 <= len(article.content) <= 400 for article in articles)


def test_every_query_finds_its_article_in_the_top_three(kb: SessionFactory) -> None:
    misses = []
    for text, title in quality_queries():
        hits = search(kb, SearchQuery(text=text, limit=TOP)).hits
        if title not in [hit.title for hit in hits]:
            misses.append((text, title, [hit.title for hit in hits]))
    assert misses == []


def _ranked(results: SearchResults) -> list[tuple[str, int]]:
    return [(hit.title, hit.score) for hit in results.hits]


def test_sqlite_and_postgresql_rank_alike(
    sqlite_kb: SessionFactory, postgres_kb: SessionFactory
) -> None:
    queries = [text for text, _ in quality_queries()] + ["申请", "办理 材料 身份证", "12345"]
    for text in queries:
        for query in (
            SearchQuery(text=text, limit=20),
            SearchQuery(text=text, category="住房", limit=5),
        ):
            on_sqlite, on_postgres = search(sqlite_kb, query), search(postgres_kb, query)
            assert _ranked(on_sqlite) == _ranked(on_postgres), text
            assert [h.snippet for h in on_sqlite.hits] == [h.snippet for h in on_postgres.hits]
            assert on_sqlite.total == on_postgres.total


def test_a_hit_shows_where_it_matched(sqlite_kb: SessionFactory) -> None:
    [hit] = search(sqlite_kb, SearchQuery(text="低保 申请 材料", limit=1)).hits
    assert hit.title == "城乡居民最低生活保障申请条件及所需材料"
    assert hit.title_highlight == "城乡居民最低生活保障<mark>申请</mark>条件及所需<mark>材料</mark>"
    assert hit.snippet.startswith("<mark>申请</mark>最低生活保障（<mark>低保</mark>）")
    assert hit.category_path == "民政/社会救助/低保" and hit.department == "gy-civil"
