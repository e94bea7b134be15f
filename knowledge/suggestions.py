"""Suggestions to grow the knowledge base from consultations that departments answered.

A consultation (咨询) case closed on a department's reply is an answer the next caller may need:
until someone accepts (an article was created or updated from it) or dismisses it, it is listed as
an open suggestion for the centre and for the department that replied. Open suggestions are
read from the case projection; only the decision is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.engine import SessionFactory
from db.knowledge_tables import ArticleRow, SuggestionRow
from db.tables import CaseRow
from knowledge.articles import ArticleConflictError, ArticleNotFoundError
from models.enums import CaseStatus, CaseType, ClosureReason, SuggestionState

ANSWERED = (ClosureReason.RESOLVED.value, ClosureReason.NO_CALLBACK_REQUIRED.value)
"""Closed on the department's reply (not withdrawn, merged, unreachable or unresolved)."""


class Suggestion(BaseModel):
    case_no: str
    department: str
    category: str
    title: str
    closed_at: datetime | None
    state: SuggestionState
    article_id: int | None = None


class SuggestionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool
    article_id: int | None = Field(
        default=None, description="when accepting: the article created or updated from the reply"
    )
    by: str = Field(min_length=1, max_length=64)


def open_suggestions(
    sessions: SessionFactory, department: str | None = None, limit: int = 50
) -> list[Suggestion]:
    """Consultations closed on a department's reply that nobody has acted on, newest first."""
    decided = select(SuggestionRow.case_no).where(SuggestionRow.case_no == CaseRow.case_no)
    query = (
        select(CaseRow)
        .where(
            CaseRow.case_type == CaseType.CONSULTATION.value,
            CaseRow.status == CaseStatus.CLOSED.value,
            CaseRow.closure_reason.in_(ANSWERED),
            CaseRow.replied_at.is_not(None),
            CaseRow.lead_department.is_not(None),
            ~decided.exists(),
        )
        .order_by(CaseRow.closed_at.desc(), CaseRow.case_no.desc())
        .limit(limit)
    )
    if department is not None:
        query = query.where(CaseRow.lead_department == department)
    with sessions() as session:
        return [
            Suggestion(
                case_no=row.case_no,
                department=row.lead_department or "",
                category=row.category,
                title=row.title,
                closed_at=row.closed_at,
                state=SuggestionState.OPEN,
            )
            for row in session.scalars(query)
        ]


def no_suggestion(case_no: str) -> ArticleNotFoundError:
    """The one answer for a case that makes no suggestion and for another department's."""
    return ArticleNotFoundError(
        f"case {case_no} is not a consultation closed on a department's reply"
    )


def suggestion_for(sessions: SessionFactory, case_no: str) -> Suggestion:
    """One case's suggestion, open or decided; ArticleNotFoundError if the case makes none."""
    with sessions() as session:
        case = session.get(CaseRow, case_no)
        if case is None or not _suggests(case):
            raise no_suggestion(case_no)
        decision = session.get(SuggestionRow, case_no)
        return Suggestion(
            case_no=case.case_no,
            department=case.lead_department or "",
            category=case.category,
            title=case.title,
            closed_at=case.closed_at,
            state=SuggestionState(decision.state) if decision else SuggestionState.OPEN,
            article_id=decision.article_id if decision else None,
        )


def decide_suggestion(
    sessions: SessionFactory,
    case_no: str,
    decision: SuggestionDecision,
    now: datetime | None = None,
) -> Suggestion:
    """Accept (naming the article made or updated from the reply) or dismiss, once."""
    now = now or datetime.now(UTC)
    suggestion = suggestion_for(sessions, case_no)
    with sessions.begin() as session:
        article_id = decision.article_id if decision.accept else None
        if article_id is not None and session.get(ArticleRow, article_id) is None:
            raise ArticleNotFoundError(f"article_id: no article {article_id}")
        session.add(
            SuggestionRow(
                case_no=case_no,
                department=suggestion.department,
                state=(
                    SuggestionState.ACCEPTED if decision.accept else SuggestionState.DISMISSED
                ).value,
                decided_by=decision.by,
                decided_at=now,
                article_id=article_id,
            )
        )
        try:
            session.flush()
        except IntegrityError as err:
            raise ArticleConflictError(
                f"the suggestion of case {case_no} is already decided"
            ) from err
    return suggestion_for(sessions, case_no)


def _suggests(case: CaseRow) -> bool:
    return (
        case.case_type == CaseType.CONSULTATION.value
        and case.status == CaseStatus.CLOSED.value
        and case.closure_reason in ANSWERED
        and case.replied_at is not None
        and case.lead_department is not None
    )
