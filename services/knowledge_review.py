"""The knowledge review as a service: submitting a version starts its review workflow, and the
centre's decision goes to it. Used by the API and the CLI; the worker's weekly sweep restarts
lost reviews through `start_review` too (wired in `workers.worker`).

`submit_for_review` records a submission and starts its `ArticleReviewWorkflow` (and ends the
review of the version it superseded); `decide_review` sends the centre's decision to the review
and turns the engine's answers into the knowledge base's errors: an unknown review is
`ArticleNotFoundError`, a refused decision (already decided, superseded) `ArticleConflictError`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from db.engine import SessionFactory
from knowledge.articles import (
    ArticleConflictError,
    ArticleError,
    ArticleNotFoundError,
    Submission,
    submit_article,
)
from models.errors import ARTICLE_NOT_FOUND
from models.knowledge import ArticleFields, ArticleVersion, Decision, ReviewRequest
from workflows.article_review import ArticleReviewWorkflow, review_workflow_id

ReviewHandle = WorkflowHandle[ArticleReviewWorkflow, Any]


async def submit_for_review(
    client: Client,
    sessions: SessionFactory,
    task_queue: str,
    fields: ArticleFields,
    by: str,
    note: str | None = None,
    article_id: int | None = None,
) -> Submission:
    """Submit a new article (`article_id` None) or the next version of one, and start its
    review; the review of a version this one supersedes ends."""
    submission = await asyncio.to_thread(submit_article, sessions, fields, by, note, article_id)
    await start_review(client, task_queue, submission)
    if submission.superseded_version is not None:
        await _end_superseded(client, submission.article_id, submission.superseded_version)
    return submission


async def start_review(client: Client, task_queue: str, submission: Submission) -> ReviewHandle:
    """Start the review of a submission.

    A version's review id is derived from database ids, so a completed review of the same id
    (an application database rebuilt under a kept Temporal history) does not block a new one;
    a review that finds its version already decided or superseded ends at once."""
    return await client.start_workflow(
        ArticleReviewWorkflow.run,
        ReviewRequest(
            article_id=submission.article_id,
            version=submission.version,
            department=submission.department,
            title=submission.title,
            submitted_at=submission.submitted_at,
        ),
        id=review_workflow_id(submission.article_id, submission.version),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )


async def decide_review(
    client: Client, article_id: int, version: int, decision: Decision
) -> ArticleVersion:
    """The centre's decision on a version under review: approving publishes it."""
    handle = review_handle(client, article_id, version)
    name = f"article {article_id} version {version}"
    try:
        return await handle.execute_update(ArticleReviewWorkflow.decide, decision)
    except WorkflowUpdateFailedError as err:
        raise _refusal(name, err.cause) from err
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        raise await _not_running(handle, name) from err


def review_handle(client: Client, article_id: int, version: int) -> ReviewHandle:
    return client.get_workflow_handle_for(
        ArticleReviewWorkflow.run, review_workflow_id(article_id, version)
    )


# ---- private ----------------------------------------------------------------------------------


async def _end_superseded(client: Client, article_id: int, version: int) -> None:
    try:
        await review_handle(client, article_id, version).signal(ArticleReviewWorkflow.superseded)
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:  # never started, or already ended
            raise


def _refusal(name: str, cause: BaseException) -> ArticleError:
    """A failed decision Update as the knowledge base's error."""
    while not isinstance(cause, ApplicationError) and cause.__cause__ is not None:
        cause = cause.__cause__
    if not isinstance(cause, ApplicationError):
        return ArticleConflictError(f"{name}: the decision was refused: {cause}")
    if cause.type == ARTICLE_NOT_FOUND:
        return ArticleNotFoundError(cause.message)
    return ArticleConflictError(cause.message)


async def _not_running(handle: ReviewHandle, name: str) -> ArticleError:
    """No running review: it never existed, or it ended (decided or superseded)."""
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return ArticleNotFoundError(f"no review of {name}")
        raise
    if description.status is WorkflowExecutionStatus.COMPLETED:
        status = await handle.result()
        if status.decided_by:
            return ArticleConflictError(
                f"{name} was already {status.state.value} by {status.decided_by}"
            )
        return ArticleConflictError(f"{name} is {status.state.value}: its review has ended")
    state = description.status.name.lower() if description.status else "ended"
    return ArticleConflictError(f"the review of {name} is {state}: it takes no decision")
