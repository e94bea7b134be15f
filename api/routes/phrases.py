"""Service phrases (服务用语): everyone reads the current wording; administrators edit it, and
every edit is a new version; anyone can check a text for forbidden wording."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, require
from api.context import ApiContext, get_context
from api.problems import Problem
from knowledge.phrases import (
    KEY_PATTERN,
    Phrase,
    PhraseEdit,
    PhraseUnchangedError,
    current_phrases,
    phrase_history,
)
from models.enums import Situation
from models.text import CleanText
from rules.permissions import Action, Principal
from rules.phrases import MAX_PHRASE
from services import phrase_edits
from services.phrase_edits import PhraseWordingRefused
from services.phrases import check_wording

router = APIRouter(prefix="/phrases", tags=["service phrases"])
Key = Annotated[str, Path(pattern=KEY_PATTERN, description="lower-case id, e.g. greeting")]
MAX_CHECKED = 20_000


class PhraseText(CleanText):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_PHRASE)


class WordingCheck(CleanText):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CHECKED, description="a reply, note or article to check")


class Finding(BaseModel):
    expression: str
    key: str
    start: int
    end: int


class WordingReport(BaseModel):
    clean: bool
    findings: list[Finding]


@router.get("", response_model=list[Phrase])
async def list_phrases(
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
    situation: Annotated[Situation | None, Query()] = None,
) -> list[Phrase]:
    return await run_in_threadpool(current_phrases, context.sessions, situation)


@router.get("/{situation}/{key}/versions", response_model=list[Phrase])
async def list_versions(
    situation: Situation,
    key: Key,
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> list[Phrase]:
    versions = await run_in_threadpool(phrase_history, context.sessions, situation, key)
    if not versions:
        raise Problem(404, f"no phrase {situation.value}/{key}")
    return versions


@router.put("/{situation}/{key}", response_model=Phrase)
async def edit_phrase(
    situation: Situation,
    key: Key,
    body: PhraseText,
    principal: Annotated[Principal, Depends(require(Action.MANAGE_PHRASES))],
    context: Annotated[ApiContext, Depends(get_context)],
) -> Phrase:
    edit = PhraseEdit(situation=situation, key=key, text=body.text, by=principal.user_id)
    try:
        return await run_in_threadpool(phrase_edits.edit_phrase, context.sessions, edit)
    except PhraseWordingRefused as err:
        raise Problem(422, str(err)) from err
    except PhraseUnchangedError as err:
        raise Problem(409, str(err)) from err


@router.post("/check", response_model=WordingReport)
async def check(
    body: WordingCheck,
    principal: Annotated[Principal, Depends(current_principal)],
    context: Annotated[ApiContext, Depends(get_context)],
) -> WordingReport:
    found = await run_in_threadpool(check_wording, context.sessions, body.text)
    findings = [
        Finding(expression=f.expression, key=f.key, start=f.start, end=f.end) for f in found
    ]
    return WordingReport(clean=not findings, findings=findings)
