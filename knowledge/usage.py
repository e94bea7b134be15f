"""What cases tell the knowledge base: which articles direct answers used, and how satisfied the
citizens were with those answers.

A direct answer closes its case at intake with the articles the operator used;
`on_transition_recorded`, one of the transition store's hooks, counts them in the transaction
that records that intake, so each use is counted exactly once. The citizen's rating of a direct
answer (the IVR survey after the call, or a callback) is recorded once per case; a dissatisfied
one flags every article the answer used for its owner's review and tells the owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import SessionFactory
from db.knowledge_tables import (
    AnswerEvaluationRow,
    ArticleReminderRow,
    ArticleRow,
    ArticleUseRow,
)
from db.tables import CaseRow
from knowledge.articles import (
    ArticleConflictError,
    ArticleError,
    ArticleNotFoundError,
    article_id_of,
    raise_flag,
)
from models.actions import Action
from models.enums import ClosureReason, FlagReason, IntakeOutcomeKind, Satisfaction
from models.errors import RefusedError
from models.intake import CASE_NO_PATTERN
from models.records import Transition

DISSATISFIED = frozenset({Satisfaction.DISSATISFIED, Satisfaction.VERY_DISSATISFIED})


class AnswerEvaluation(BaseModel):
    """The citizen's satisfaction with a direct answer."""

    model_config = ConfigDict(extra="forbid")

    case_no: str = Field(pattern=CASE_NO_PATTERN)
    satisfaction: Satisfaction
    source: Literal["ivr", "callback"] = Field(
        description="the IVR survey after the call, or the centre's callback"
    )
    by: str = Field(min_length=1, max_length=64)


class EvaluationOutcome(BaseModel):
    case_no: str
    satisfaction: Satisfaction
    articles_used: list[int]
    articles_flagged: list[int]


class NotADirectAnswerError(ArticleError, RefusedError):
    """Only a case closed by a direct answer can have its answer rated."""

    status_hint = 409


def record_direct_answer_uses(
    session: Session, case_no: str, references: Iterable[object], at: datetime
) -> list[int]:
    """Count the articles a direct answer used, once per (case, article), inside the caller's
    transaction. References that are not an existing article's id are ignored: the intake has
    been taken and must be recorded whatever the operator typed."""
    wanted = {aid for ref in references if (aid := article_id_of(ref)) is not None}
    if not wanted:
        return []
    existing = set(session.scalars(select(ArticleRow.id).where(ArticleRow.id.in_(wanted))))
    counted = set(
        session.scalars(
            select(ArticleUseRow.article_id).where(
                ArticleUseRow.case_no == case_no, ArticleUseRow.article_id.in_(existing)
            )
        )
    )
    new = sorted(existing - counted)
    session.add_all(ArticleUseRow(case_no=case_no, article_id=aid, used_at=at) for aid in new)
    return new


def on_transition_recorded(session: Session, transition: Transition) -> None:
    """The store's hook for a newly written log row: a direct answer's intake counts its
    articles."""
    if transition.action != Action.INTAKE:
        return
    detail = transition.detail
    if detail.get("outcome") != IntakeOutcomeKind.DIRECT_ANSWER.value:
        return
    articles = detail.get("articles")
    if isinstance(articles, list):
        record_direct_answer_uses(session, transition.case_no, articles, transition.at)


def record_answer_evaluation(
    sessions: SessionFactory, evaluation: AnswerEvaluation, now: datetime | None = None
) -> EvaluationOutcome:
    """Record the rating once; if dissatisfied, flag the articles used and remind their owners."""
    now = now or datetime.now(UTC)
    with sessions.begin() as session:
        case = session.get(CaseRow, evaluation.case_no)
        if case is None:
            raise ArticleNotFoundError(f"no case {evaluation.case_no}")
        if case.closure_reason != ClosureReason.DIRECT_ANSWER.value:
            raise NotADirectAnswerError(
                f"case {evaluation.case_no} was not closed by a direct answer "
                f"({case.closure_reason or case.status}); rate its handling in the callback"
            )
        session.add(
            AnswerEvaluationRow(
                case_no=evaluation.case_no,
                satisfaction=evaluation.satisfaction.value,
                source=evaluation.source,
                recorded_by=evaluation.by,
                recorded_at=now,
            )
        )
        try:
            session.flush()
        except IntegrityError as err:
            raise ArticleConflictError(
                f"the direct answer of case {evaluation.case_no} is already rated"
            ) from err
        used = list(
            session.scalars(
                select(ArticleUseRow.article_id)
                .where(ArticleUseRow.case_no == evaluation.case_no)
                .order_by(ArticleUseRow.article_id)
            )
        )
        flagged: list[int] = []
        if evaluation.satisfaction in DISSATISFIED:
            flagged = _flag_dissatisfied(session, evaluation, used, now)
        return EvaluationOutcome(
            case_no=evaluation.case_no,
            satisfaction=evaluation.satisfaction,
            articles_used=used,
            articles_flagged=flagged,
        )


def _flag_dissatisfied(
    session: Session, evaluation: AnswerEvaluation, used: list[int], now: datetime
) -> list[int]:
    flagged: list[int] = []
    for article in session.scalars(select(ArticleRow).where(ArticleRow.id.in_(used))):
        detail = f"{evaluation.satisfaction.value} with the direct answer ({evaluation.source})"
        if raise_flag(
            session, article.id, FlagReason.DISSATISFIED, now, evaluation.case_no, detail
        ):
            flagged.append(article.id)
            session.add(
                ArticleReminderRow(
                    event_key=f"kb-dissatisfied-{evaluation.case_no}-{article.id}",
                    recipient=article.department,
                    subject=f"知识库条目待复核：{article.title}",
                    body=(
                        f"市民对使用本条目（编号 {article.id}）的直接答复表示不满意"
                        f"（案件 {evaluation.case_no}）。请核实内容并提交更新。"
                    ),
                    articles=[article.id],
                    created_at=now,
                )
            )
    return flagged
