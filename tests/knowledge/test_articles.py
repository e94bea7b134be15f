"""Articles: the field rules with their messages, submission, the decision, versions and diffs,
withdrawal; on SQLite and PostgreSQL (`session_factory`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from db.knowledge_tables import ArticleRow, ArticleVersionRow
from knowledge import articles as kb
from knowledge.diff import render_plain, version_diff
from knowledge.search import SearchQuery, search
from models.enums import ArticleStatus, FlagReason, VersionState
from models.knowledge import Decision
from tests.knowledge.articles_data import add_department, forbid, low_income_fields

APPROVE = Decision(approve=True, by="centre-reviewer")


def messages(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        low_income_fields(**changes)
    return "\n".join(
        ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in caught.value.errors()
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": "长" * 129}, "title: String should have at most 128 characters"),
        ({"title": ""}, "title: String should have at least 1 character"),
        ({"keywords": ["低保" * 11]}, "keywords.0: String should have at most 20 characters"),
        ({"keywords": ["低保", "低保"]}, "keyword '低保' is given twice"),
        ({"keywords": ["低保；特困"]}, "keyword '低保；特困' contains '；'"),
        ({"keywords": ["低保"] + [f"词{i}" for i in range(20)]}, "at most 20 items"),
        ({"title": "低保", "keywords": ["低保"]}, "'低保' equals the title"),
        ({"category_path": "民政//低保"}, "category_path: Value error, has an empty level"),
        ({"category_path": "/".join("abcdefg")}, "has 7 levels; at most 6"),
        ({"review_by": date(2025, 12, 31)}, "review_by: 2025-12-31 is before effective_from"),
        ({"expires_on": date(2026, 1, 1)}, "expires_on: 2026-01-01 is not after effective_from"),
        ({"material_type": "rumour"}, "material_type: Input should be 'service_guide'"),
        ({"department": "民政局"}, "department: String should match pattern"),
        ({"content": "x\x00y"}, "content: Value error, contains a control character"),
        ({"issuing_unit": ""}, "issuing_unit: String should have at least 1 character"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_each_field_rule_names_the_field_and_the_reason(changes, expected):
    assert expected in messages(**changes)


def test_a_rejection_needs_a_reason():
    with pytest.raises(ValidationError, match="a rejection needs a reason"):
        Decision(approve=False, reason="  ", by="reviewer")


def test_category_levels_and_keywords_are_trimmed():
    fields = low_income_fields(category_path=" 民政 / 社会救助 ", keywords=[" 低保 "])
    assert fields.category_path == "民政/社会救助"
    assert fields.keywords == ["低保"]


def test_a_submission_is_pending_and_not_searchable_until_approved(session_factory):
    add_department(session_factory)
    fields = low_income_fields()
    submission = kb.submit_article(session_factory, fields, "dept-user", note="new guide")
    article = kb.get_article(session_factory, submission.article_id)
    assert (article.status, article.published_version, article.latest_version) == (
        ArticleStatus.PENDING,
        None,
        1,
    )
    assert not _found(session_factory, fields.title)

    decided = kb.decide(session_factory, submission.article_id, 1, APPROVE)

    assert decided.state is VersionState.APPROVED
    assert decided.decided_by == "centre-reviewer"
    article = kb.get_article(session_factory, submission.article_id)
    assert (article.status, article.published_version) == (ArticleStatus.PUBLISHED, 1)
    assert _found(session_factory, fields.title)


def test_a_version_is_decided_once_and_a_second_decision_changes_nothing(session_factory):
    add_department(session_factory)
    submission = kb.submit_article(session_factory, low_income_fields(), "dept-user")
    kb.decide(session_factory, submission.article_id, 1, APPROVE)
    reject = Decision(approve=False, reason="改主意了", by="other-reviewer")

    with pytest.raises(kb.ArticleConflictError, match="version 1 is approved, not pending"):
        kb.decide(session_factory, submission.article_id, 1, reject)

    version = kb.article_version(session_factory, submission.article_id, 1)
    assert (version.state, version.decided_by, version.reason) == (
        VersionState.APPROVED,
        "centre-reviewer",
        None,
    )


def test_a_rejection_keeps_the_reason_and_publishes_nothing(session_factory):
    add_department(session_factory)
    submission = kb.submit_article(session_factory, low_income_fields(), "dept-user")
    reason = "请补充办理地点和咨询电话"
    kb.decide(
        session_factory, submission.article_id, 1, Decision(approve=False, reason=reason, by="r")
    )

    article = kb.get_article(session_factory, submission.article_id)
    assert (article.status, article.published_version) == (ArticleStatus.REJECTED, None)
    assert kb.article_version(session_factory, submission.article_id, 1).reason == reason

    again = kb.submit_article(
        session_factory,
        low_income_fields(title=article.title, issuing_unit="贵阳市民政局社会救助处"),
        "dept-user",
        article_id=submission.article_id,
    )
    assert again.version == 2
    assert kb.get_article(session_factory, submission.article_id).status is ArticleStatus.PENDING


def test_an_update_waits_for_review_while_the_published_version_stays(session_factory):
    add_department(session_factory)
    first = low_income_fields()
    submission = kb.submit_article(session_factory, first, "dept-user")
    kb.decide(session_factory, submission.article_id, 1, APPROVE)
    second = first.model_copy(update={"content": first.content + "可通过“筑民生”平台网上申请。"})
    third = first.model_copy(
        update={"content": first.content.replace("30个工作日", "20个工作日"), "keywords": ["低保"]}
    )

    v2 = kb.submit_article(session_factory, second, "dept-user", article_id=submission.article_id)
    v3 = kb.submit_article(session_factory, third, "dept-user", article_id=submission.article_id)

    assert (v2.version, v3.version, v3.superseded_version) == (2, 3, 2)
    assert kb.get_article(session_factory, submission.article_id).content == first.content
    states = [v.state for v in kb.article_versions(session_factory, submission.article_id)]
    assert states == [VersionState.APPROVED, VersionState.SUPERSEDED, VersionState.PENDING]
    with pytest.raises(kb.ArticleConflictError, match="superseded, not pending"):
        kb.decide(session_factory, submission.article_id, 2, APPROVE)

    kb.decide(session_factory, submission.article_id, 3, APPROVE)
    article = kb.get_article(session_factory, submission.article_id)
    assert (article.published_version, article.content) == (3, third.content)

    diff = version_diff(session_factory, submission.article_id, 1, 3)
    changed = {change.field: change for change in diff.changes}
    assert set(changed) == {"content", "keywords"}
    assert changed["keywords"].old == ["低保", "最低生活保障", "社会救助"]
    segments = changed["content"].segments or []
    assert [(s.op, s.text) for s in segments if s.op != "equal"] == [
        ("delete", "3"),
        ("insert", "2"),
    ]
    assert "[-3-]{+2+}0个工作日" in "\n".join(render_plain(diff))


def test_titles_are_unique_across_published_and_pending_articles(session_factory):
    add_department(session_factory)
    taken = low_income_fields()
    kb.submit_article(session_factory, taken, "dept-user")  # pending, not yet published
    other = kb.submit_article(session_factory, low_income_fields(), "dept-user")

    with pytest.raises(kb.ArticleConflictError, match="another article is titled"):
        kb.submit_article(session_factory, low_income_fields(title=taken.title), "dept-user")
    with pytest.raises(kb.ArticleConflictError, match="another article is titled"):
        kb.submit_article(
            session_factory,
            low_income_fields(title=taken.title),
            "dept-user",
            article_id=other.article_id,
        )
    assert _count(session_factory, ArticleRow) == 2
    assert _count(session_factory, ArticleVersionRow) == 2


def test_unknown_department_and_forbidden_wording_are_refused_with_nothing_written(
    session_factory,
):
    add_department(session_factory)
    with pytest.raises(kb.ArticleRefusedError) as unknown:
        kb.submit_article(session_factory, low_income_fields(department="gy-nowhere"), "u")
    assert (unknown.value.field, unknown.value.reason) == (
        "department",
        "no department 'gy-nowhere'",
    )

    forbid(session_factory, "not-our-business", "不归我们管")
    rude = low_income_fields(content="这个不归我们管，你自己去问街道。")
    with pytest.raises(kb.ArticleRefusedError) as wording:
        kb.submit_article(session_factory, rude, "u")
    assert wording.value.field == "content"
    assert "不归我们管" in wording.value.reason
    assert _count(session_factory, ArticleRow) == 0


def test_an_unknown_article_or_version_is_named(session_factory):
    add_department(session_factory)
    with pytest.raises(kb.ArticleNotFoundError, match="no article 999"):
        kb.submit_article(session_factory, low_income_fields(), "u", article_id=999)
    with pytest.raises(kb.ArticleNotFoundError, match="no version 1 of article 999"):
        kb.decide(session_factory, 999, 1, APPROVE)
    assert _count(session_factory, ArticleRow) == 0


def test_withdrawal_takes_an_article_out_of_search_and_keeps_its_versions(session_factory):
    add_department(session_factory)
    fields = low_income_fields()
    submission = kb.submit_article(session_factory, fields, "dept-user")
    kb.decide(session_factory, submission.article_id, 1, APPROVE)

    view = kb.withdraw(session_factory, submission.article_id, "supervisor-1", "政策已废止")

    assert view.status is ArticleStatus.WITHDRAWN
    assert [f.reason for f in view.open_flags] == [FlagReason.WITHDRAWN]
    assert not _found(session_factory, fields.title)
    assert len(kb.article_versions(session_factory, submission.article_id)) == 1
    with pytest.raises(kb.ArticleConflictError, match="is withdrawn, not published"):
        kb.withdraw(session_factory, submission.article_id, "supervisor-1", "again")


def test_approving_a_new_version_clears_the_open_flags(session_factory):
    add_department(session_factory)
    fields = low_income_fields()
    submission = kb.submit_article(session_factory, fields, "dept-user")
    kb.decide(session_factory, submission.article_id, 1, APPROVE)
    with session_factory.begin() as session:
        assert kb.raise_flag(session, submission.article_id, FlagReason.STALE, _now())
        assert not kb.raise_flag(session, submission.article_id, FlagReason.STALE, _now())
    assert len(kb.get_article(session_factory, submission.article_id).open_flags) == 1

    kb.submit_article(session_factory, fields, "dept-user", article_id=submission.article_id)
    kb.decide(session_factory, submission.article_id, 2, APPROVE)

    assert kb.get_article(session_factory, submission.article_id).open_flags == []


def test_direct_answers_may_name_only_published_articles(session_factory):
    add_department(session_factory)
    published = kb.submit_article(session_factory, low_income_fields(), "u")
    kb.decide(session_factory, published.article_id, 1, APPROVE)
    pending = kb.submit_article(session_factory, low_income_fields(), "u")
    references = [str(published.article_id), str(pending.article_id), "KB-1", "424242"]

    assert kb.unpublished_references(session_factory, references) == references[1:]


def _found(sessions, title: str) -> bool:
    hits = search(sessions, SearchQuery(text=title[:12], limit=50)).hits
    return any(hit.title == title for hit in hits)


def _count(sessions, table) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _now() -> datetime:
    return datetime.now(UTC)
