"""What appears beside the intake form while the operator types, and the wording check of any
page: HTML fragments answered to the page's script.

Both are POSTs carrying the form's CSRF field, since what is typed may hold personal data and
must never be in a URL (or the access log of a proxy):

- `POST /fragments/intake-assist` (title, content, category, district): the best knowledge-base
  answers (`knowledge.search`, as `GET /kb/search`) and the possible duplicates among the open
  cases (`services.duplicates`), each with its button (use the article, merge into the case);
- `POST /fragments/wording` (text): the forbidden expressions found by the check the reply step
  runs (`services.phrases.check_wording`), listed under the field.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.console.render import html
from api.console.web import may, posted, require, signed_in
from api.context import get_context
from api.open311.queries import department_names
from db.engine import SessionFactory
from knowledge.search import MAX_QUERY, EmptyQueryError, SearchHit, SearchQuery, search
from rules.permissions import Action
from services.console_auth import ConsoleSession
from services.duplicates import possible_duplicates
from services.phrases import check_wording

router = APIRouter(include_in_schema=False)

KB_HITS = 5
MAX_CHECKED = 20_000
"""The wording check reads at most this much of a field (as `POST /phrases/check`)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]+")


def knowledge_query(title: str, content: str) -> str:
    """The search text of what is typed: the title, then the start of the content."""
    joined = _CONTROL.sub(" ", f"{title.strip()} {content.strip()}")
    return joined.strip()[:MAX_QUERY]


def knowledge_answers(sessions: SessionFactory, title: str, content: str) -> list[SearchHit]:
    """The best published articles for what is typed; none for nothing searchable."""
    text = knowledge_query(title, content)
    if not text:
        return []
    try:
        return search(sessions, SearchQuery(text=text, limit=KB_HITS)).hits
    except (EmptyQueryError, ValidationError):
        return []


@router.post("/fragments/intake-assist")
async def intake_assist(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    require(session, Action.INTAKE)
    form = await posted(request, session)
    context = get_context(request)
    title, content = form.get("title", ""), form.get("content", "")
    hits: list[SearchHit] = []
    if may(session, Action.READ_KNOWLEDGE):
        hits = await run_in_threadpool(knowledge_answers, context.sessions, title, content)
    duplicates = await run_in_threadpool(
        possible_duplicates,
        context.sessions,
        session.user.principal,
        form.get("category", ""),
        form.get("district", ""),
        title,
    )
    names = await run_in_threadpool(department_names, context.sessions)
    return html("intake_assist.html", hits=hits, duplicates=duplicates, names=names)


@router.post("/fragments/wording")
async def wording(
    request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> HTMLResponse:
    """The forbidden wording in a field's text, for any signed-in reader (a fragment)."""
    form = await posted(request, session)
    text = form.get("text", "")[:MAX_CHECKED]
    findings = await run_in_threadpool(check_wording, get_context(request).sessions, text)
    expressions = list(dict.fromkeys(finding.expression for finding in findings))
    return html("wording.html", expressions=expressions)
