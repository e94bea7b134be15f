"""The public wording of a case: what Open311 shows as its description (dispatchers, supervisors).

PUT /cases/{case_no}/publication     {"public_text": "..."}: set or replace it
DELETE /cases/{case_no}/publication  clear it: Open311 then shows the service name

Only a case `rules.publication` publishes takes a public wording (409 otherwise, with why);
the wording is checked against `rules.publication.public_text_problems` and the forbidden
wording of the service phrases (422 naming `body.public_text` and the rule it breaks).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import Problem
from models.intake import CASE_NO_PATTERN
from models.text import CleanText
from rules.permissions import Action, Principal
from rules.publication import MAX_PUBLIC_TEXT
from services.publication import (
    NotPublishableError,
    Publication,
    PublicTextError,
    UnknownCaseError,
    clear_public,
    mark_public,
)

router = APIRouter(prefix="/cases", tags=["publication"])
CaseNo = Annotated[str, Path(pattern=CASE_NO_PATTERN, description="e.g. GY20261128-000123")]
Publisher = Annotated[Principal, Depends(require(Action.PUBLISH_CASE))]
Context = Annotated[ApiContext, Depends(get_context)]
FIELD = "body.public_text"


class PublicWording(CleanText):
    model_config = ConfigDict(extra="forbid")

    public_text: str = Field(
        min_length=1,
        max_length=MAX_PUBLIC_TEXT,
        description="the centre's own wording of the case, shown on Open311 as its description",
    )


@router.put("/{case_no}/publication", response_model=Publication, summary="Set public wording")
async def set_publication(
    case_no: CaseNo, body: PublicWording, principal: Publisher, context: Context
) -> Publication:
    try:
        return await run_in_threadpool(
            mark_public, context.sessions, case_no, body.public_text, principal.user_id
        )
    except UnknownCaseError as err:
        raise Problem(404, str(err)) from err
    except NotPublishableError as err:
        raise Problem(409, str(err), reasons=err.reasons) from err
    except PublicTextError as err:
        errors = [{"field": FIELD, "rule": p.rule, "message": p.message} for p in err.problems]
        detail = "; ".join(f"{FIELD}: {p.message}" for p in err.problems)
        raise Problem(422, detail, errors=errors) from err


@router.delete(
    "/{case_no}/publication", status_code=204, response_class=Response, summary="Clear it"
)
async def clear_publication(case_no: CaseNo, principal: Publisher, context: Context) -> Response:
    try:
        await run_in_threadpool(clear_public, context.sessions, case_no, principal.user_id)
    except UnknownCaseError as err:
        raise Problem(404, str(err)) from err
    return Response(status_code=204)
