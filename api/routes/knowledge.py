"""The knowledge base over HTTP: articles and their versions, the centre's review, flags,
reminders, ratings of direct answers and suggestions from consultation replies.

Everyone reads published articles. A department submits and updates its own articles and sees
their drafts, versions, flags and reminders; the centre (supervisors, administrators) reviews,
withdraws and decides on suggestions. Search and bulk transfer have their own route modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import Problem
from knowledge import articles as kb
from knowledge.diff import VersionDiff, version_diff
from knowledge.reminders import Reminder, reminders_for
from knowledge.suggestions import (
    Suggestion,
    SuggestionDecision,
    decide_suggestion,
    no_suggestion,
    open_suggestions,
    suggestion_for,
)
from knowledge.usage import AnswerEvaluation, EvaluationOutcome, record_answer_evaluation
from models.enums import CENTRE, ArticleStatus, Satisfaction
from models.errors import CaseActionError
from models.intake import CASE_NO_PATTERN
from models.knowledge import ArticleFields, ArticleVersion, Decision
from models.text import CleanText
from rules.permissions import Action, Principal, Role, allowed
from services import cases as case_service
from services.knowledge_review import decide_review, submit_for_review

router = APIRouter(prefix="/kb", tags=["knowledge base"])
ArticleId = Annotated[int, Path(ge=1, le=2**53, description="the article's number")]
Version = Annotated[int, Path(ge=1, le=1_000_000)]
CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN)]
T = TypeVar("T")


class ArticleSubmission(ArticleFields):
    note: str | None = Field(default=None, max_length=1000, description="what changed and why")


class SubmissionReceipt(BaseModel):
    article_id: int
    version: int
    superseded_version: int | None
    status: str = "pending review"


class ReviewDecision(CleanText):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: str | None = Field(default=None, max_length=1000)


class Withdrawal(CleanText):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class EvaluationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_no: str = Field(pattern=CASE_NO_PATTERN)
    satisfaction: Satisfaction
    source: str = Field(pattern="^(ivr|callback)$")


class SuggestionDecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool
    article_id: int | None = Field(default=None, ge=1)


class SuggestionDetail(Suggestion):
    reply: str | None = Field(description="the department's last reply, read from the case")


# ---- articles -----------------------------------------------------------------------------------


@router.get("/articles", response_model=list[kb.ArticleView])
async def list_articles(
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
    status: Annotated[ArticleStatus, Query()] = ArticleStatus.PUBLISHED,
    department: Annotated[str | None, Query(max_length=64)] = None,
    flagged: Annotated[bool, Query(description="only articles with an open flag")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[kb.ArticleView]:
    if status is not ArticleStatus.PUBLISHED or flagged:
        department = _drafts_scope(principal, department)
    articles = await run_in_threadpool(
        kb.list_articles, context.sessions, status, department, flagged, limit, offset
    )
    return [kb.flags_visible(a, _sees_flags(principal, a.department)) for a in articles]


@router.get("/articles/{article_id}", response_model=kb.ArticleView)
async def show_article(
    article_id: ArticleId,
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> kb.ArticleView:
    article = await _call(kb.get_article, context, article_id)
    if article.status is not ArticleStatus.PUBLISHED and not _sees_drafts(
        principal, article.department
    ):
        raise _hidden(article_id)
    return kb.flags_visible(article, _sees_flags(principal, article.department))


@router.post("/articles", status_code=202, response_model=SubmissionReceipt)
async def submit_article(
    body: ArticleSubmission,
    response: Response,
    principal: Annotated[Principal, Depends(require(Action.SUBMIT_ARTICLE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> SubmissionReceipt:
    """A new article, pending the centre's review."""
    _own_department(principal, body.department)
    receipt = await _submit(context, principal, body, None)
    response.headers["Location"] = f"/kb/articles/{receipt.article_id}"
    return receipt


@router.put("/articles/{article_id}", status_code=202, response_model=SubmissionReceipt)
async def update_article(
    article_id: ArticleId,
    body: ArticleSubmission,
    principal: Annotated[Principal, Depends(require(Action.SUBMIT_ARTICLE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> SubmissionReceipt:
    """The next version of an article, pending review; the published one stays until approved."""
    current = await _call(kb.get_article, context, article_id)
    if principal.role is Role.DEPARTMENT and principal.department != current.department:
        raise _hidden(article_id)
    _own_department(principal, body.department)
    return await _submit(context, principal, body, article_id)


@router.get("/articles/{article_id}/versions", response_model=list[ArticleVersion])
async def list_versions(
    article_id: ArticleId,
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[ArticleVersion]:
    await _require_history_reader(context, principal, article_id)
    return await _call(kb.article_versions, context, article_id)


@router.get("/articles/{article_id}/diff", response_model=VersionDiff)
async def diff(
    article_id: ArticleId,
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> VersionDiff:
    await _require_history_reader(context, principal, article_id)
    return await _call(version_diff, context, article_id, from_version, to_version)


# ---- the centre's review ------------------------------------------------------------------------


@router.get("/reviews", response_model=list[ArticleVersion])
async def pending_reviews(
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[ArticleVersion]:
    """Versions awaiting review: all of them for the centre, its own for a department."""
    department = _drafts_scope(principal, None)
    return await run_in_threadpool(kb.pending_versions, context.sessions, department)


@router.post("/articles/{article_id}/versions/{version}/decision", response_model=ArticleVersion)
async def decide(
    article_id: ArticleId,
    version: Version,
    body: ReviewDecision,
    principal: Annotated[Principal, Depends(require(Action.REVIEW_ARTICLE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> ArticleVersion:
    """Approve (publish) or reject (with a reason the department can act on) a pending version."""
    try:
        decision = Decision(approve=body.approve, reason=body.reason, by=principal.user_id)
    except ValueError as err:
        raise Problem(422, "reason: a rejection needs a reason the department can act on") from err
    try:
        return await decide_review(context.client, article_id, version, decision)
    except kb.ArticleError as err:
        raise Problem(err.status_hint, str(err)) from err


@router.post("/articles/{article_id}/withdrawal", response_model=kb.ArticleView)
async def withdraw_article(
    article_id: ArticleId,
    body: Withdrawal,
    principal: Annotated[Principal, Depends(require(Action.REVIEW_ARTICLE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> kb.ArticleView:
    """Take a published article out of search (its versions stay)."""
    return await _call(kb.withdraw, context, article_id, principal.user_id, body.reason)


@router.get("/reminders", response_model=list[Reminder])
async def list_reminders(
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Reminder]:
    """Reminders about articles: a department's own, or the centre's."""
    if principal.role is Role.DEPARTMENT and principal.department:
        recipient = principal.department
    elif allowed(principal.role, Action.REVIEW_ARTICLE):
        recipient = CENTRE
    else:
        raise Problem(403, "only departments and the centre's reviewers receive reminders")
    return await run_in_threadpool(reminders_for, context.sessions, recipient, limit)


# ---- what cases tell the knowledge base ---------------------------------------------------------


@router.post("/evaluations", status_code=201, response_model=EvaluationOutcome)
async def rate_direct_answer(
    body: EvaluationBody,
    principal: Annotated[Principal, Depends(require(Action.RECORD_CALLBACK))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> EvaluationOutcome:
    """The citizen's satisfaction with a direct answer; dissatisfied flags the articles used."""
    evaluation = AnswerEvaluation(
        case_no=body.case_no,
        satisfaction=body.satisfaction,
        source="ivr" if body.source == "ivr" else "callback",
        by=principal.user_id,
    )
    return await _call(record_answer_evaluation, context, evaluation)


@router.get("/suggestions", response_model=list[Suggestion])
async def list_suggestions(
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Suggestion]:
    """Consultations closed on a department's reply, not yet turned into knowledge."""
    department = _drafts_scope(principal, None)
    return await run_in_threadpool(open_suggestions, context.sessions, department, limit)


@router.get("/suggestions/{case_no}", response_model=SuggestionDetail)
async def show_suggestion(
    case_no: CaseNo,
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> SuggestionDetail:
    suggestion = await _call(suggestion_for, context, case_no)
    if not _sees_drafts(principal, suggestion.department):
        raise Problem(404, str(no_suggestion(case_no)))
    try:
        state = await case_service.show(context.client, case_no)
        reply = state.replies[-1].content if state.replies else None
    except CaseActionError:
        reply = None  # past the engine's retention: the case's archive still has it
    return SuggestionDetail(**suggestion.model_dump(), reply=reply)


@router.post("/suggestions/{case_no}/decision", response_model=Suggestion)
async def decide_on_suggestion(
    case_no: CaseNo,
    body: SuggestionDecisionBody,
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> Suggestion:
    suggestion = await _call(suggestion_for, context, case_no)
    if principal.role is Role.DEPARTMENT and principal.department != suggestion.department:
        raise Problem(404, str(no_suggestion(case_no)))
    if not _sees_drafts(principal, suggestion.department) or principal.role is Role.AUDITOR:
        raise Problem(403, "only the centre's reviewers and the replying department decide")
    decision = SuggestionDecision(
        accept=body.accept, article_id=body.article_id, by=principal.user_id
    )
    return await _call(decide_suggestion, context, case_no, decision)


# ---- private ------------------------------------------------------------------------------------


async def _submit(
    context: ApiContext, principal: Principal, body: ArticleSubmission, article_id: int | None
) -> SubmissionReceipt:
    fields = ArticleFields.model_validate(body.model_dump(exclude={"note"}))
    try:
        submission = await submit_for_review(
            context.client,
            context.sessions,
            context.task_queue,
            fields,
            principal.user_id,
            note=body.note,
            article_id=article_id,
        )
    except kb.ArticleRefusedError as err:
        raise Problem(
            422, str(err), errors=[{"field": err.field, "rule": "refused", "message": err.reason}]
        ) from err
    except kb.ArticleError as err:
        raise Problem(err.status_hint, str(err)) from err
    return SubmissionReceipt(
        article_id=submission.article_id,
        version=submission.version,
        superseded_version=submission.superseded_version,
    )


async def _call(function: Callable[..., T], context: ApiContext, *args: Any) -> T:
    """Run a knowledge-base function with the database in a worker thread; refusals as problems."""
    try:
        return await run_in_threadpool(function, context.sessions, *args)
    except kb.ArticleError as err:
        raise Problem(err.status_hint, str(err)) from err


def _sees_drafts(principal: Principal, department: str) -> bool:
    """Reviewers and auditors see every draft; a department its own."""
    if principal.role is Role.DEPARTMENT:
        return principal.department == department
    return allowed(principal.role, Action.REVIEW_ARTICLE) or principal.role is Role.AUDITOR


def _sees_flags(principal: Principal, department: str) -> bool:
    """The centre sees every article's open flags; a department those of its own articles."""
    return principal.role is not Role.DEPARTMENT or principal.department == department


def _drafts_scope(principal: Principal, department: str | None) -> str | None:
    """The department filter for reading unpublished things; 403 for roles that may not."""
    if principal.role is Role.DEPARTMENT:
        if department is not None and department != principal.department:
            raise Problem(403, "a department sees the drafts and flags of its own articles only")
        return principal.department
    if allowed(principal.role, Action.REVIEW_ARTICLE) or principal.role is Role.AUDITOR:
        return department
    raise Problem(403, "only the centre's reviewers and the owning department see this")


def _own_department(principal: Principal, department: str) -> None:
    if principal.role is Role.DEPARTMENT and principal.department != department:
        raise Problem(403, f"department: a department edits its own articles, not {department}")


async def _require_history_reader(
    context: ApiContext, principal: Principal, article_id: int
) -> None:
    article = await _call(kb.get_article, context, article_id)
    if principal.role is Role.DEPARTMENT and principal.department != article.department:
        raise _hidden(article_id)
    if not _sees_drafts(principal, article.department):
        raise Problem(403, "only the centre's reviewers and the owning department see versions")


def _hidden(article_id: int) -> Problem:
    """Another department's article where only the owner may look: the answer for no article."""
    return Problem(404, str(kb.no_article(article_id)))
