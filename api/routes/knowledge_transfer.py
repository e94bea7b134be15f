"""Bulk import and export of knowledge articles (administrators only): a city's existing
knowledge base in, the whole knowledge base out. The formats: docs/knowledge-import.md."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import PROBLEM_JSON, Problem
from knowledge.transfer import ArticleExport, ImportReport, import_articles
from knowledge.transfer_files import TransferFormat
from models.enums import ArticleStatus
from rules.permissions import Action, Principal

router = APIRouter(prefix="/kb", tags=["knowledge base"])

MAX_IMPORT_BYTES = 64 * 1024 * 1024
"""Largest import body: 1,000 articles of the longest content, in UTF-8, with room to spare."""
MEDIA_TYPES: dict[str, TransferFormat] = {
    "text/csv": TransferFormat.CSV,
    "application/csv": TransferFormat.CSV,
    "application/vnd.ms-excel": TransferFormat.CSV,  # what Windows browsers call a .csv
    "application/json": TransferFormat.JSON,
}
_ARTICLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "an article: the fields of the knowledge base's article form",
}
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the import file's bytes as they are",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "array", "items": _ARTICLE_SCHEMA},
                        {
                            "type": "object",
                            "properties": {"articles": {"type": "array", "items": _ARTICLE_SCHEMA}},
                            "required": ["articles"],
                        },
                    ]
                }
            },
        },
    }
}
_REFUSED = {
    "description": "refused, nothing imported: `errors` lists every problem as "
    "{line, field, reason} (also for more than 1,000 articles)",
    "content": {PROBLEM_JSON: {}},
}


@router.post(
    "/import",
    response_model=ImportReport,
    openapi_extra=_IMPORT_BODY,
    responses={
        413: {"description": "the body is larger than 64 MiB", "content": {PROBLEM_JSON: {}}},
        415: {"description": "neither CSV nor JSON", "content": {PROBLEM_JSON: {}}},
        422: _REFUSED,
    },
)
async def import_file(
    request: Request,
    principal: Annotated[Principal, Depends(require(Action.TRANSFER_ARTICLES))],
    context: Annotated[ApiContext, Depends(get_context)],
    dry_run: Annotated[bool, Query(description="check every article, write nothing")] = False,
) -> ImportReport:
    """Import a file of articles: all of them are published (approved by the caller), or none.

    The body is the file itself, sent as it is: `Content-Type: text/csv` for a CSV file (UTF-8,
    with or without a BOM, or GB18030: the encoding is detected, a `charset` parameter is not
    needed) or `application/json` for a JSON list of articles (or `{"articles": [...]}`). At
    most 1,000 articles. 200 with the report when every article was imported (or, with
    `dry_run`, could be); 422 when any article breaks a rule, nothing written, with every
    problem in the problem document's `errors` (`line`, `field`, `reason`).
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    format = MEDIA_TYPES.get(media_type)
    if format is None:
        raise Problem(415, "send the file as text/csv or application/json")
    data = await _body(request)
    report = await run_in_threadpool(
        lambda: import_articles(context.sessions, data, format, principal.user_id, dry_run=dry_run)
    )
    if not report.ok:
        raise Problem(
            422,
            report.summary(),
            errors=[error.model_dump() for error in report.errors],
            format=report.format.value,
            encoding=report.encoding,
            articles=report.articles,
        )
    return report


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise Problem(413, f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > MAX_IMPORT_BYTES:
            raise Problem(413, f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB")
    return bytes(received)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "CSV (UTF-8 with a BOM, the import's columns) or a JSON list",
            "content": {"text/csv": {}, "application/json": {}},
        }
    },
)
async def export(
    principal: Annotated[Principal, Depends(require(Action.TRANSFER_ARTICLES))],
    context: Annotated[ApiContext, Depends(get_context)],
    format: Annotated[TransferFormat, Query(description="csv or json")] = TransferFormat.CSV,
    status: Annotated[
        list[ArticleStatus] | None,
        Query(description="articles of these statuses (repeatable); default published"),
    ] = None,
) -> StreamingResponse:
    """The knowledge base as a file, in the columns the import reads (an export re-imports into
    an empty knowledge base), streamed in id order."""
    articles = ArticleExport(context.sessions, format, status or [ArticleStatus.PUBLISHED])
    chunks = iter(articles)
    # The first page is read before answering, so a database failure is an error status
    # rather than a cut-off file.
    first = await run_in_threadpool(lambda: list(itertools.islice(chunks, 2)))

    async def body() -> AsyncIterator[str]:
        for chunk in first:
            yield chunk
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk

    name = f"knowledge-base-{datetime.now(UTC):%Y%m%d}.{format.value}"
    return StreamingResponse(
        body(),
        media_type=articles.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
