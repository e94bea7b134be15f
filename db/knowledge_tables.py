"""SQL tables of the knowledge base (domain §8): articles and every version of them, the flags
that call an owner's attention, the reminders sent, usage by cases, evaluations of direct answers
and suggestions to turn replies into articles.

`kb_articles` holds what readers and search see: the published version's fields (for an article
never published yet, its pending submission's). `kb_article_versions` keeps every submission
with who made it and who decided on it; nothing there is ever updated but its decision.
The search index is in `db.search_tables`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.tables import (
    CASE_NO,
    CODE,
    DEPARTMENT_ID,
    NAME,
    USER_ID,
    Base,
    UtcDateTime,
    big_id,
    json_type,
)
from models.enums import (
    ArticleStatus,
    FlagReason,
    MaterialType,
    Satisfaction,
    SuggestionState,
    VersionState,
)

TITLE = 128
CATEGORY_PATH = 200
ARTICLE_STATUSES = tuple(status.value for status in ArticleStatus)
VERSION_STATES = tuple(state.value for state in VersionState)
MATERIAL_TYPES = tuple(material.value for material in MaterialType)
FLAG_REASONS = tuple(reason.value for reason in FlagReason)
SUGGESTION_STATES = tuple(state.value for state in SuggestionState)
SATISFACTIONS = tuple(level.value for level in Satisfaction)
EVALUATION_SOURCES = ("ivr", "callback")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class ArticleRow(Base):
    """One knowledge article as readers see it; its history is in `ArticleVersionRow`."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        UniqueConstraint("title"),
        CheckConstraint(_in("status", ARTICLE_STATUSES), name="status"),
        CheckConstraint(_in("material_type", MATERIAL_TYPES), name="material_type"),
        Index(None, "department", "status"),
        Index(None, "status", "review_by"),
        Index(None, "category_path"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(TITLE))
    category_path: Mapped[str] = mapped_column(String(CATEGORY_PATH))
    content: Mapped[str] = mapped_column(Text)
    issuing_unit: Mapped[str] = mapped_column(String(NAME))
    material_type: Mapped[str] = mapped_column(String(CODE))
    keywords: Mapped[list[str]] = mapped_column(json_type())
    department: Mapped[str] = mapped_column(String(DEPARTMENT_ID), ForeignKey("departments.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    review_by: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(CODE))
    published_version: Mapped[int | None] = mapped_column(Integer)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ArticleVersionRow(Base):
    """One submitted version of an article: its fields, who submitted it, the decision on it."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "version"),
        CheckConstraint(_in("state", VERSION_STATES), name="state"),
        CheckConstraint(_in("material_type", MATERIAL_TYPES), name="material_type"),
        Index(None, "state", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(big_id(), ForeignKey("kb_articles.id"))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(CODE))
    title: Mapped[str] = mapped_column(String(TITLE))
    category_path: Mapped[str] = mapped_column(String(CATEGORY_PATH))
    content: Mapped[str] = mapped_column(Text)
    issuing_unit: Mapped[str] = mapped_column(String(NAME))
    material_type: Mapped[str] = mapped_column(String(CODE))
    keywords: Mapped[list[str]] = mapped_column(json_type())
    department: Mapped[str] = mapped_column(String(DEPARTMENT_ID))
    effective_from: Mapped[date] = mapped_column(Date)
    review_by: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)  # the submitter's summary of the change
    submitted_by: Mapped[str] = mapped_column(String(USER_ID))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    review_due: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(USER_ID))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)


class ArticleFlagRow(Base):
    """Something that asks the owner to review an article; open until a new version is approved."""

    __tablename__ = "kb_article_flags"
    __table_args__ = (
        CheckConstraint(_in("reason", FLAG_REASONS), name="reason"),
        Index(None, "article_id", "cleared_at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(big_id(), ForeignKey("kb_articles.id"))
    reason: Mapped[str] = mapped_column(String(CODE))
    case_no: Mapped[str | None] = mapped_column(String(CASE_NO))
    detail: Mapped[str | None] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cleared_by: Mapped[str | None] = mapped_column(String(USER_ID))


class ArticleReminderRow(Base):
    """A reminder to a department or to the centre about articles, written once per event key."""

    __tablename__ = "kb_reminders"
    __table_args__ = (UniqueConstraint("event_key"), Index(None, "sent_at"))

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(NAME))  # department id, or "centre"
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    articles: Mapped[list[int]] = mapped_column(json_type())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ArticleUseRow(Base):
    """An article used to answer a case directly (from the case's intake), once per case."""

    __tablename__ = "kb_article_uses"
    __table_args__ = (Index(None, "article_id"),)

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        big_id(), ForeignKey("kb_articles.id"), primary_key=True
    )
    used_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AnswerEvaluationRow(Base):
    """The citizen's satisfaction with a direct answer (IVR survey after the call, or a
    callback), once per case; a dissatisfied one flags the articles the answer used."""

    __tablename__ = "answer_evaluations"
    __table_args__ = (
        CheckConstraint(_in("satisfaction", SATISFACTIONS), name="satisfaction"),
        CheckConstraint(_in("source", EVALUATION_SOURCES), name="source"),
    )

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    satisfaction: Mapped[str] = mapped_column(String(CODE))
    source: Mapped[str] = mapped_column(String(CODE))
    recorded_by: Mapped[str] = mapped_column(String(USER_ID))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SuggestionRow(Base):
    """The centre's decision on the suggestion to make or update an article from a closed
    consultation case's reply (open suggestions are the closed cases without a row here)."""

    __tablename__ = "kb_suggestions"
    __table_args__ = (
        CheckConstraint(_in("state", SUGGESTION_STATES), name="state"),
        Index(None, "department", "state"),
    )

    case_no: Mapped[str] = mapped_column(String(CASE_NO), primary_key=True)
    department: Mapped[str] = mapped_column(String(DEPARTMENT_ID))
    state: Mapped[str] = mapped_column(String(CODE))
    decided_by: Mapped[str] = mapped_column(String(USER_ID))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
    article_id: Mapped[int | None] = mapped_column(big_id(), ForeignKey("kb_articles.id"))
