"""Search behaviour on SQLite and PostgreSQL: filters, highlights, what is not found, keeping
the index in step with the articles, the two-step ranking and bad queries."""

from __future__ import annotations

from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import select

from db import schema
from db.engine import SessionFactory
from db.knowledge_tables import ArticleRow
from db.search_tables import ALL_ARTICLES, TermRow
from knowledge import search as search_module
from knowledge.index import index_article, reindex_all, unindex_article
from knowledge.search import EmptyQueryError, SearchQuery, plain, search
from models.enums import ArticleStatus, MaterialType
from tests.knowledge.kb_fixture import (  # noqa: F401
    article_fields,
    article_row,
    kb_postgres_url_fixture,
    kb_sessions_fixture,
    load_articles,
)


def titles(sessions: SessionFactory, text: str, **filters: object) -> list[str]:
    return [hit.title for hit in search(sessions, SearchQuery(text=text, **filters)).hits]


def term_stats(sessions: SessionFactory) -> dict[str, int]:
    with sessions() as session:
        return {term: df for term, df in session.execute(select(TermRow.term, TermRow.df))}


def test_the_migration_matches_the_models(kb_sessions: SessionFactory) -> None:
    with kb_sessions.kw["bind"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []


def test_filters_by_category_prefix_department_and_material_type(
    kb_sessions: SessionFactory,
) -> None:
    load_articles(kb_sessions)
    social = search(kb_sessions, SearchQuery(text="申请", category="民政/社会救助", limit=50))
    assert social.hits and {h.category_path for h in social.hits} == {
        "民政/社会救助/低保",
        "民政/社会救助/临时救助",
    }
    assert titles(kb_sessions, "申请", category=" 民政 / 社会救助 /") == [
        h.title for h in social.hits
    ]
    assert titles(kb_sessions, "申请", category="民政/社会") == []  # levels, not characters
    assert set(titles(kb_sessions, "低保", category="民政/社会救助/低保", limit=50)) == {
        "城乡居民最低生活保障申请条件及所需材料",
        "低保金发放标准和发放时间",
    }
    by_department = search(kb_sessions, SearchQuery(text="申请", department="gy-hpf", limit=50))
    assert by_department.hits and {h.department for h in by_department.hits} == {"gy-hpf"}
    notices = search(
        kb_sessions, SearchQuery(text="停水 停电", material_type=MaterialType.NOTICE, limit=50)
    )
    assert [h.title for h in notices.hits][:2] == [
        "停水通知查询和突发停水报修",
        "停电报修和计划停电查询",
    ]
    assert {h.material_type for h in notices.hits} == {MaterialType.NOTICE}
    everything = search(kb_sessions, SearchQuery(text="申请", limit=50))
    assert everything.total is not None and everything.total >= len(everything.hits) > 20


def test_highlights_escape_the_text_and_mark_the_matches(kb_sessions: SessionFactory) -> None:
    fields = article_fields()[0].model_copy(
        update={
            "title": "燃气<b>安全</b>须知",
            "content": "前言" * 80
            + "燃气泄漏<script>alert('x')</script>时关闭阀门 & 开窗通风。"
            + "结尾" * 80,
            "keywords": ["燃气安全"],
        }
    )
    with kb_sessions.begin() as session:
        row = article_row(fields)
        session.add(row)
        session.flush()
        index_article(session, row)
    [hit] = search(kb_sessions, SearchQuery(text="燃气 阀门 script")).hits
    assert hit.title_highlight == "<mark>燃气</mark>&lt;b&gt;安全&lt;/b&gt;须知"
    assert "<script>" not in hit.snippet and "&lt;<mark>script</mark>&gt;" in hit.snippet
    assert (
        "<mark>燃气</mark>泄漏" in hit.snippet and "关闭<mark>阀门</mark> &amp; 开窗" in hit.snippet
    )
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    shown = plain(hit.snippet)
    assert 120 <= len(shown) <= 122 + 2 * shown.count("【")
    assert "【燃气】泄漏<【script】>alert('x')</【script】>时关闭【阀门】 & 开窗" in shown


def test_only_published_articles_are_found(kb_sessions: SessionFactory) -> None:
    ids = load_articles(kb_sessions)
    target = "城乡居民最低生活保障申请条件及所需材料"
    assert titles(kb_sessions, "低保 申请 材料")[0] == target
    with kb_sessions.begin() as session:
        row = session.get(ArticleRow, ids[target])
        assert row is not None
        row.status = ArticleStatus.WITHDRAWN.value
        index_article(session, row)  # any status but published removes it
    assert target not in titles(kb_sessions, "低保 申请 材料", limit=50)
    with kb_sessions.begin() as session:
        pending = article_row(
            article_fields()[1].model_copy(update={"title": "待审核的低保新政策"}),
            ArticleStatus.PENDING,
        )
        session.add(pending)
        session.flush()
        index_article(session, pending)
    assert "待审核的低保新政策" not in titles(kb_sessions, "低保新政策", limit=50)
    with kb_sessions.begin() as session:
        unindex_article(session, ids["低保金发放标准和发放时间"])
    assert "低保金发放标准和发放时间" not in titles(kb_sessions, "低保金", limit=50)
    # A row published in kb_articles but missing from the index stays unfound until reindexed:
    assert reindex_all(kb_sessions) == len(ids) - 1
    assert titles(kb_sessions, "低保金")[0] == "低保金发放标准和发放时间"


def test_reindexing_an_updated_article_replaces_its_terms(kb_sessions: SessionFactory) -> None:
    ids = load_articles(kb_sessions)
    with kb_sessions.begin() as session:
        row = session.get(ArticleRow, ids["结婚登记办理须知"])
        assert row is not None
        row.title = "婚姻登记（结婚、离婚）办理须知"
        row.content = "办理离婚登记须双方共同到场，经过30日离婚冷静期后再申请发证。"
        row.keywords = ["离婚登记", "离婚冷静期"]
        index_article(session, row)
    assert titles(kb_sessions, "离婚冷静期")[0] == "婚姻登记（结婚、离婚）办理须知"
    assert "婚姻登记（结婚、离婚）办理须知" not in titles(kb_sessions, "合影照片", limit=50)
    incremental = term_stats(kb_sessions)
    assert reindex_all(kb_sessions) == len(ids)
    assert term_stats(kb_sessions) == incremental  # the statistics were kept exactly
    assert incremental[ALL_ARTICLES] == len(ids)


def test_document_frequencies_follow_withdrawals(kb_sessions: SessionFactory) -> None:
    ids = load_articles(kb_sessions)
    before = Counter(term_stats(kb_sessions))
    with kb_sessions.begin() as session:
        for article_id in list(ids.values())[:10]:
            unindex_article(session, article_id)
        unindex_article(session, 10**9)  # not indexed: nothing changes
    after = term_stats(kb_sessions)
    assert after[ALL_ARTICLES] == len(ids) - 10
    assert all(df > 0 for df in after.values())
    assert set(after) < set(before)


def test_the_two_step_ranking_is_exact(
    kb_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_articles(kb_sessions)
    queries = ["申请", "办理 材料", "身份证 申请 补贴", "投诉", "缴费 社保卡"]
    monkeypatch.setattr(search_module, "ESSENTIAL_SHARE", 1.0)  # every term: full ranking
    full = {
        (text, limit): titles(kb_sessions, text, limit=limit)
        for text in queries
        for limit in (1, 3, 10)
    }
    by_department = {
        (text, limit): titles(kb_sessions, text, limit=50, department="gy-hr")[:limit]
        for text, limit in full
    }
    for share, candidates in ((0.0, 2), (0.05, 1), (0.3, 5), (1.0, 200)):
        monkeypatch.setattr(search_module, "ESSENTIAL_SHARE", share)
        monkeypatch.setattr(search_module, "CANDIDATES", candidates)
        monkeypatch.setattr(search_module, "CANDIDATES_PER_HIT", 1)
        for (text, limit), expected in full.items():
            assert titles(kb_sessions, text, limit=limit) == expected, (share, text, limit)
            assert (
                titles(kb_sessions, text, limit=limit, department="gy-hr")
                == (by_department[text, limit])
            ), (share, text, limit)


def test_empty_queries_are_refused_with_a_reason(kb_sessions: SessionFactory) -> None:
    load_articles(kb_sessions)
    for text in ("   ", "，。！？", "<>"):
        with pytest.raises(EmptyQueryError, match="no searchable text"):
            search(kb_sessions, SearchQuery(text=text))
    for bad in (
        {"text": ""},
        {"text": "低保" * 101},
        {"text": "低保", "limit": 0},
        {"text": "低保", "limit": 51},
        {"text": "低保\x00"},
        {"text": "低保", "material_type": "poem"},
    ):
        with pytest.raises(ValidationError):
            SearchQuery.model_validate(bad)
    assert search(kb_sessions, SearchQuery(text="量子纠缠")).hits == []


def test_an_empty_index_finds_nothing(kb_sessions: SessionFactory) -> None:
    results = search(kb_sessions, SearchQuery(text="低保"))
    assert (results.hits, results.total) == ([], 0)
