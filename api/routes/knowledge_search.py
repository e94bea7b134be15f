"""Searching the knowledge base (知识库检索): operators type a few Chinese fragments and get the
published articles that answer them, best first, with the matches highlighted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import Problem
from knowledge.search import (
    MAX_LIMIT,
    MAX_QUERY,
    EmptyQueryError,
    SearchQuery,
    SearchResults,
    search,
)
from models.enums import MaterialType
from models.text import PRINTABLE
from rules.permissions import Action, Principal

router = APIRouter(prefix="/kb", tags=["knowledge base"])


@router.get("/search", response_model=SearchResults)
async def search_articles(
    principal: Annotated[Principal, Depends(require(Action.READ_KNOWLEDGE))],
    context: Annotated[ApiContext, Depends(get_context)],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY,
            pattern=PRINTABLE,
            description="what the caller asks, e.g. 低保 申请 材料",
        ),
    ],
    category: Annotated[
        str | None,
        Query(max_length=200, pattern=PRINTABLE, description="category path prefix"),
    ] = None,
    department: Annotated[
        str | None, Query(max_length=64, pattern=PRINTABLE, description="owning department")
    ] = None,
    material_type: Annotated[MaterialType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> SearchResults:
    try:
        query = SearchQuery(
            text=q,
            category=category or None,
            department=department or None,
            material_type=material_type,
            limit=limit,
        )
    except ValidationError as err:  # the Query rules above already catch what a caller can
        raise Problem(422, str(err.errors()[0]["msg"])) from err
    try:
        return await run_in_threadpool(search, context.sessions, query)
    except EmptyQueryError as err:
        raise Problem(
            422,
            f"query.q: {err}",
            errors=[{"field": "query.q", "rule": "no_search_terms", "message": str(err)}],
        ) from err
