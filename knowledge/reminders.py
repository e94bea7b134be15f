"""Reading the reminders the knowledge base sends (review deadlines, stale and expired articles,
dissatisfied citizens): a department's own, or the centre's."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select

from db.engine import SessionFactory
from db.knowledge_tables import ArticleReminderRow


class Reminder(BaseModel):
    event_key: str
    recipient: str
    subject: str
    body: str
    articles: list[int]
    created_at: datetime
    sent_at: datetime | None


def reminders_for(sessions: SessionFactory, recipient: str, limit: int = 100) -> list[Reminder]:
    """The newest reminders to `recipient` (a department id, or "centre")."""
    query = (
        select(ArticleReminderRow)
        .where(ArticleReminderRow.recipient == recipient)
        .order_by(ArticleReminderRow.created_at.desc(), ArticleReminderRow.id.desc())
        .limit(limit)
    )
    with sessions() as session:
        return [
            Reminder(
                event_key=row.event_key,
                recipient=row.recipient,
                subject=row.subject,
                body=row.body,
                articles=list(row.articles),
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
            for row in session.scalars(query)
        ]
