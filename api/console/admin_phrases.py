"""Service phrases (服务用语): the current wording by situation, each phrase's versions, and an
edit (a new version; a new key starts at version 1).

Every edit goes through `services.phrase_edits.edit_phrase`, as the API's and the CLI's: the
forbidden-wording check refuses a phrase to be said that contains a forbidden expression, and
an edit that changes nothing is refused (409). A refused edit names the field and the reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.console.admin_common import admin_page, missing_page, pydantic_errors
from api.console.web import posted, require, signed_in
from api.context import get_context
from knowledge.phrases import (
    KEY_PATTERN,
    PhraseEdit,
    PhraseUnchangedError,
    current_phrases,
    phrase_history,
)
from models.enums import Situation
from rules.permissions import Action
from rules.phrases import MAX_PHRASE
from services.console_auth import ConsoleSession
from services.phrase_edits import PhraseWordingRefused, edit_phrase

router = APIRouter(include_in_schema=False)
Key = Annotated[str, Path(pattern=KEY_PATTERN)]
SITUATIONS: dict[str, str] = {
    Situation.GREETING.value: "开头语",
    Situation.ADDRESSING.value: "称呼",
    Situation.CONFIRM.value: "确认",
    Situation.HOLD.value: "请稍候",
    Situation.SILENT_LINE.value: "无声电话",
    Situation.DISPATCH.value: "派单告知",
    Situation.CALLBACK.value: "回访",
    Situation.CLOSING.value: "结束语",
    Situation.FORBIDDEN.value: "禁用语",
}


def _list_page(
    request: Request,
    session: ConsoleSession,
    situation: Situation | None,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return admin_page(
        request,
        session,
        "admin_phrases.html",
        status,
        section="/admin/phrases",
        phrases=current_phrases(get_context(request).sessions, situation),
        situations=SITUATIONS,
        chosen=situation.value if situation else "",
        values=values or {"situation": situation.value if situation else "greeting"},
        errors=errors or {},
        refusal="请更正标出的内容，未保存。" if errors else "",
        maximum=MAX_PHRASE,
    )


def _phrase_page(
    request: Request,
    session: ConsoleSession,
    situation: Situation,
    key: str,
    *,
    text: str | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    versions = phrase_history(get_context(request).sessions, situation, key)
    if not versions:
        return missing_page(request, session, "服务用语")
    return admin_page(
        request,
        session,
        "admin_phrase.html",
        status,
        section="/admin/phrases",
        situation=situation,
        situation_text=SITUATIONS[situation.value],
        key=key,
        versions=list(reversed(versions)),
        text=versions[-1].text if text is None else text,
        errors=errors or {},
        notice=notice,
        refusal="未保存：" + "；".join(errors.values()) if errors else "",
        maximum=MAX_PHRASE,
    )


@router.get("/admin/phrases")
async def phrases(
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    situation: Situation | None = None,
) -> HTMLResponse:
    require(session, Action.MANAGE_PHRASES)
    return await run_in_threadpool(_list_page, request, session, situation)


@router.get("/admin/phrases/{situation}/{key}")
async def phrase(
    situation: Situation,
    key: Key,
    request: Request,
    session: Annotated[ConsoleSession, Depends(signed_in)],
    done: int | None = None,
) -> HTMLResponse:
    require(session, Action.MANAGE_PHRASES)
    notice = f"已保存为第 {done} 版。" if done else ""
    return await run_in_threadpool(
        lambda: _phrase_page(request, session, situation, key, notice=notice)
    )


@router.post("/admin/phrases")
async def save_phrase(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    """A new phrase (from the list page) or the next version of one (from its page)."""
    form = await posted(request, session)
    require(session, Action.MANAGE_PHRASES)
    values = {name: form.get(name, "").strip() for name in ("situation", "key", "text")}
    existing = form.get("existing") == "1"
    sessions = get_context(request).sessions
    errors: dict[str, str] = {}
    status = 422
    try:
        edit = PhraseEdit.model_validate(values | {"by": session.user.id})
        saved = await run_in_threadpool(edit_phrase, sessions, edit)
    except ValidationError as err:
        errors = pydantic_errors(err.errors(), {})
    except PhraseWordingRefused as err:
        listed = "、".join(dict.fromkeys(f.expression for f in err.findings))
        errors = {"text": f"含有禁用语：{listed}"}
    except PhraseUnchangedError:
        errors = {"text": "新措辞与当前版本相同，未增加版本。"}
        status = 409
    if not errors:
        where = f"/admin/phrases/{saved.situation.value}/{saved.key}"
        return RedirectResponse(f"{where}?done={saved.version}", status_code=303)
    if existing and values["situation"] in SITUATIONS:
        situation = Situation(values["situation"])
        return await run_in_threadpool(
            lambda: _phrase_page(
                request,
                session,
                situation,
                values["key"],
                text=values["text"],
                errors=errors,
                status=status,
            )
        )
    chosen = Situation(values["situation"]) if values["situation"] in SITUATIONS else None
    return await run_in_threadpool(
        lambda: _list_page(request, session, chosen, values=values, errors=errors, status=status)
    )
