"""The knowledge base for the centre: the review queue (supervisors, administrators) and the
import of a file of articles (administrators).

The queue lists every pending version, oldest submission first, each with what it changes
against the published version (`knowledge.diff`; every field of a new article), and takes the
centre's decision through `services.knowledge_review.decide_review`, as the API's decision
route: approving publishes the version, a rejection needs a reason. The import takes the file
the API's `POST /kb/import` takes (CSV or JSON, `docs/knowledge-import.md`) as a file upload
and shows the import's report, each refused line with its field and reason; nothing is imported
unless every article may be (`knowledge.transfer.import_articles`).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.console.admin_common import admin_page
from api.console.web import CsrfRefused, require, signed_in
from api.console.web import posted as posted_form
from api.context import ApiContext, get_context
from api.routes.knowledge_transfer import MAX_IMPORT_BYTES
from knowledge import articles as kb
from knowledge.diff import VersionDiff, diff_versions
from knowledge.transfer import ImportReport, import_articles
from knowledge.transfer_files import TransferFormat, format_for
from models.errors import RefusedError
from models.knowledge import ArticleVersion, Decision
from rules.permissions import Action
from services.console_auth import ConsoleSession, check_csrf
from services.knowledge_review import decide_review

router = APIRouter(include_in_schema=False)
ArticleId = Annotated[int, Path(ge=1, le=2**53)]
Version = Annotated[int, Path(ge=1, le=1_000_000)]
FIELD_LABELS: dict[str, str] = {
    "title": "标题",
    "category_path": "分类",
    "content": "正文",
    "issuing_unit": "发布单位",
    "material_type": "资料类型",
    "keywords": "关键词",
    "department": "所属单位",
    "effective_from": "生效日期",
    "review_by": "复核日期",
    "expires_on": "失效日期",
    "reason": "理由",
    "file": "文件",
}
DONE = {"approved": "已通过并发布。", "rejected": "已驳回，提交单位会看到理由。"}


@dataclass(frozen=True)
class Pending:
    """A version awaiting review, and what it changes against the published one."""

    version: ArticleVersion
    published_version: int | None
    diff: VersionDiff | None


# ---- the review queue ---------------------------------------------------------------------------


def _pending(context: ApiContext) -> list[Pending]:
    found: list[Pending] = []
    for version in kb.pending_versions(context.sessions, None):
        article = kb.get_article(context.sessions, version.article_id)
        published = article.published_version
        diff = None
        if published is not None and published != version.version:
            old = kb.article_version(context.sessions, version.article_id, published)
            diff = diff_versions(old, version)
        found.append(Pending(version, published, diff))
    return found


def _queue_page(
    request: Request,
    session: ConsoleSession,
    *,
    notice: str = "",
    refusal: str = "",
    errors: dict[str, str] | None = None,
    failed: str = "",
    submitted: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        session,
        "knowledge_review.html",
        status,
        section="/knowledge/review",
        pending=_pending(get_context(request)),
        labels=FIELD_LABELS,
        notice=notice,
        refusal=refusal,
        errors=errors or {},
        failed=failed,
        submitted=submitted or {},
    )


@router.get("/knowledge/review")
async def review_queue(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)], done: str = ""
) -> HTMLResponse:
    require(session, Action.REVIEW_ARTICLE)
    return await run_in_threadpool(lambda: _queue_page(request, session, notice=DONE.get(done, "")))


@router.post("/knowledge/review/{article_id}/{version}")
async def decide(
    article_id: ArticleId,
    version: Version,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
) -> Response:
    form = await posted_form(request, session)
    require(session, Action.REVIEW_ARTICLE)
    failed = f"{article_id}-{version}"
    approve = form.get("decision", "")
    if approve not in ("approve", "reject"):
        return await _refused(request, session, failed, form, {"decision": "请选择通过或驳回。"})
    try:
        decision = Decision(
            approve=approve == "approve",
            reason=form.get("reason", "").strip() or None,
            by=session.user.id,
        )
    except ValidationError:
        reason = "驳回须写明理由，让提交单位知道如何修改。"
        return await _refused(request, session, failed, form, {"reason": reason})
    context = get_context(request)
    try:
        await decide_review(context.client, article_id, version, decision)
    except kb.ArticleNotFoundError as err:
        return await _refused(request, session, failed, form, {"decision": str(err)}, 404)
    except kb.ArticleError as err:
        return await _refused(request, session, failed, form, {"decision": str(err)}, 409)
    done = "approved" if decision.approve else "rejected"
    return RedirectResponse(f"/knowledge/review?done={done}", status_code=303)


async def _refused(
    request: Request,
    session: ConsoleSession,
    failed: str,
    submitted: dict[str, str],
    errors: dict[str, str],
    status: int = 422,
) -> HTMLResponse:
    refusal = "未提交决定：" + "；".join(errors.values())
    return await run_in_threadpool(
        lambda: _queue_page(
            request,
            session,
            refusal=refusal,
            errors=errors,
            failed=failed,
            submitted=submitted,
            status=status,
        )
    )


# ---- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A multipart form: its text fields and its one file (name and bytes)."""

    fields: dict[str, str]
    filename: str
    data: bytes


class UploadTooLarge(RefusedError):
    """The body is larger than the import allows."""


async def read_upload(request: Request) -> Upload:
    """The fields and the file of a `multipart/form-data` body (read with the standard
    library's MIME parser); UploadTooLarge past `MAX_IMPORT_BYTES`."""
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES + 64 * 1024:
        raise UploadTooLarge
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > MAX_IMPORT_BYTES + 64 * 1024:
            raise UploadTooLarge
    if not content_type.startswith("multipart/form-data"):
        return Upload({}, "", b"")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + bytes(received))
    fields: dict[str, str] = {}
    filename, data = "", b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            filename, data = str(part.get_filename()), raw
        elif isinstance(name, str):
            fields[name] = raw.decode("utf-8", "replace")
    return Upload(fields, filename, data)


def _import_page(
    request: Request,
    session: ConsoleSession,
    *,
    report: ImportReport | None = None,
    errors: dict[str, str] | None = None,
    filename: str = "",
    status: int = 200,
) -> HTMLResponse:
    refusal = ""
    if errors:
        refusal = "未导入：" + "；".join(errors.values())
    elif report is not None and not report.ok:
        refusal = (
            f"未导入任何文章：文件中有 {len(report.errors)} 处问题（共读到 {report.articles} 篇）。"
        )
    notice = ""
    if report is not None and report.ok:
        notice = (
            f"检查通过：{report.articles} 篇文章都可以导入，本次未写入。"
            if report.dry_run
            else f"已导入并发布 {report.imported} 篇文章。"
        )
    return admin_page(
        request,
        session,
        "knowledge_import.html",
        status,
        section="/knowledge/import",
        report=report,
        errors=errors or {},
        filename=filename,
        labels=FIELD_LABELS,
        refusal=refusal,
        notice=notice,
        maximum_mib=MAX_IMPORT_BYTES // (1024 * 1024),
    )


@router.get("/knowledge/import")
async def import_form(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.TRANSFER_ARTICLES)
    return _import_page(request, session)


@router.post("/knowledge/import")
async def import_file(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    require(session, Action.TRANSFER_ARTICLES)
    try:
        upload = await read_upload(request)
    except UploadTooLarge:  # nothing read, nothing done: no form to check
        limit = f"文件超过 {MAX_IMPORT_BYTES // (1024 * 1024)} MiB。"
        return _import_page(request, session, errors={"file": limit}, status=413)
    if not check_csrf(session, upload.fields.get("csrf")):
        raise CsrfRefused
    format: TransferFormat | None = format_for(upload.filename)
    if not upload.filename or not upload.data:
        reason = "请选择要导入的文件。"
        return _import_page(request, session, errors={"file": reason}, status=422)
    if format is None:
        reason = f"“{upload.filename[:80]}”不是 .csv 或 .json 文件。"
        return _import_page(request, session, errors={"file": reason}, status=415)
    dry_run = upload.fields.get("dry_run") == "on"
    sessions = get_context(request).sessions
    chosen: TransferFormat = format

    def run() -> ImportReport:
        return import_articles(sessions, upload.data, chosen, session.user.id, dry_run=dry_run)

    report = await run_in_threadpool(run)
    return _import_page(
        request,
        session,
        report=report,
        filename=upload.filename,
        status=200 if report.ok else 422,
    )
