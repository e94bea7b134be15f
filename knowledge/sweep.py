"""Reminders about knowledge articles, and the SQL of the weekly sweep (domain §8).

A reminder is a row of `kb_reminders`, written once per event key: a retried activity or a
sweep run twice the same day writes nothing new. The sweep, one transaction per step, first
withdraws published articles past their expiry date (flag EXPIRED, one reminder per owning
department), then flags published articles past their review-by date (flag STALE, one reminder
per owning department listing all of them). Dates are local (Asia/Shanghai); the rules are in
`rules.knowledge`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.engine import SessionFactory, dialect_insert
from db.knowledge_tables import ArticleReminderRow, ArticleRow
from knowledge.articles import raise_flag, withdraw_article
from models.enums import ArticleStatus, FlagReason
from models.knowledge import ExpirySweep, NewReminder, StaleSweep, SweepScope
from models.timestamps import BEIJING

SWEEP_USER = "kb-sweep"


def write_reminder(session: Session, reminder: NewReminder) -> bool:
    """Insert the reminder in the caller's transaction; False if its event key is there."""
    insert = dialect_insert(session.get_bind().dialect.name, ArticleReminderRow)
    statement = (
        insert.values(
            event_key=reminder.event_key,
            recipient=reminder.recipient,
            subject=reminder.subject,
            body=reminder.body,
            articles=list(reminder.articles),
            created_at=reminder.at,
            sent_at=None,
        )
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(ArticleReminderRow.id)
    )
    return session.execute(statement).first() is not None


def remind(sessions: SessionFactory, reminder: NewReminder) -> bool:
    """Write one reminder in its own transaction; False if its event key was written before."""
    with sessions.begin() as session:
        return write_reminder(session, reminder)


def withdraw_expired(sessions: SessionFactory, scope: SweepScope) -> ExpirySweep:
    """Withdraw published articles whose expiry date is before `scope.today`."""
    result = ExpirySweep()
    with sessions.begin() as session:
        query = _published(scope).where(
            ArticleRow.expires_on.is_not(None), ArticleRow.expires_on < scope.today
        )
        by_department: dict[str, list[ArticleRow]] = defaultdict(list)
        for article in session.scalars(query).all():
            assert article.expires_on is not None
            reason = f"expired on {article.expires_on.isoformat()}"
            if not withdraw_article(session, article.id, SWEEP_USER, reason, scope.at):
                continue
            raise_flag(session, article.id, FlagReason.EXPIRED, scope.at, detail=reason)
            result.withdrawn.append(article.id)
            by_department[article.department].append(article)
        for department, articles in sorted(by_department.items()):
            written = write_reminder(session, _expiry_reminder(department, articles, scope))
            result.reminders += int(written)
    return result


def flag_stale(sessions: SessionFactory, scope: SweepScope) -> StaleSweep:
    """Flag published articles whose review-by date is before `scope.today`; remind owners."""
    result = StaleSweep()
    with sessions.begin() as session:
        query = _published(scope).where(ArticleRow.review_by < scope.today)
        by_department: dict[str, list[ArticleRow]] = defaultdict(list)
        for article in session.scalars(query).all():
            detail = f"review-by date {article.review_by.isoformat()} passed"
            if raise_flag(session, article.id, FlagReason.STALE, scope.at, detail=detail):
                result.flagged += 1
            result.stale.append(article.id)
            by_department[article.department].append(article)
        for department, articles in sorted(by_department.items()):
            written = write_reminder(session, _stale_reminder(department, articles, scope))
            result.reminders += int(written)
    return result


def stale_event_key(department: str, today: date) -> str:
    return f"kb-stale-{department}-{today.isoformat()}"


def expiry_event_key(department: str, today: date) -> str:
    return f"kb-expired-{department}-{today.isoformat()}"


# ---- private ----------------------------------------------------------------------------------


def _published(scope: SweepScope) -> Select[ArticleRow]:
    query = (
        select(ArticleRow)
        .where(ArticleRow.status == ArticleStatus.PUBLISHED.value)
        .order_by(ArticleRow.department, ArticleRow.id)
    )
    if scope.departments is not None:
        query = query.where(ArticleRow.department.in_(scope.departments))
    return query


def _listing(articles: Sequence[ArticleRow], label: str, day_of: str) -> str:
    lines = []
    for number, article in enumerate(articles, start=1):
        day = getattr(article, day_of)
        lines.append(f"{number}. 《{article.title}》（编号{article.id}，{label}{day.isoformat()}）")
    return "\n".join(lines)


def _stale_reminder(
    department: str, articles: Sequence[ArticleRow], scope: SweepScope
) -> NewReminder:
    return NewReminder(
        event_key=stale_event_key(department, scope.today),
        recipient=department,
        subject=f"知识库复核提醒：{len(articles)}篇文章已过复核日期",
        body=(
            f"截至{scope.today.isoformat()}，贵单位以下知识库文章已过复核日期，"
            "请核实内容是否仍然有效，并提交更新版本：\n"
            + _listing(articles, "复核日期", "review_by")
            + f"\n（{scope.at.astimezone(BEIJING):%Y-%m-%d %H:%M} 知识库每周检查）"
        ),
        articles=[article.id for article in articles],
        at=scope.at,
    )


def _expiry_reminder(
    department: str, articles: Sequence[ArticleRow], scope: SweepScope
) -> NewReminder:
    return NewReminder(
        event_key=expiry_event_key(department, scope.today),
        recipient=department,
        subject=f"知识库下架通知：{len(articles)}篇文章已过有效期",
        body=(
            "贵单位以下知识库文章已过有效期，已从检索中下架；如政策仍然有效，请提交更新版本：\n"
            + _listing(articles, "有效期至", "expires_on")
            + f"\n（{scope.at.astimezone(BEIJING):%Y-%m-%d %H:%M} 知识库每周检查）"
        ),
        articles=[article.id for article in articles],
        at=scope.at,
    )
