"""CSV export of a console list as filtered: every page of the same query, streamed.

The columns are the list row's (`rules.disclosure.LISTED_FIELDS`: never a caller's name, phone
or address), in Chinese, times in Beijing; the file starts with a BOM so Excel reads it as UTF-8,
and a cell that a spreadsheet would run as a formula is written as text. Whoever may see the
list may export it (the section's own permission), a department only its own cases.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from api.console.labels import label
from api.console.list_query import ListQueryError, parse_query
from api.console.list_specs import LISTS
from api.console.render import beijing, page
from api.console.stages import list_stage
from api.console.web import PageNotFound, now, require, signed_in
from api.context import get_context
from services.case_list import CaseSummary, all_cases
from services.console_auth import ConsoleSession

router = APIRouter(include_in_schema=False)

CSV_HEADER = (
    "案件编号",
    "标题",
    "类型",
    "紧急程度",
    "分类",
    "区县",
    "状态",
    "承办单位",
    "督办级别",
    "时限状态",
    "下一时限（北京时间）",
    "受理时间（北京时间）",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_rows(cases: Iterator[CaseSummary]) -> Iterator[str]:
    """The CSV of a list: a BOM (so Excel reads it as UTF-8), the header, a line per case."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: tuple[str, ...] | list[str]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(CSV_HEADER)
    for case in cases:
        yield line(
            [
                case.case_no,
                _cell(case.title),
                label(case.case_type, "case_type"),
                label(case.urgency, "urgency"),
                _cell(case.category),
                _cell(case.district),
                label(case.status, "status"),
                case.lead_department or "",
                str(case.escalation_level),
                label(list_stage(case), "stage"),
                beijing(case.next_deadline),
                beijing(case.received_at),
            ]
        )


@router.get("/export/{key}.csv")
async def export(
    key: str, request: Request, session: Annotated[ConsoleSession, Depends(signed_in)]
) -> Response:
    """Every case of the list as filtered (all pages, streamed), for whoever may see the list."""
    spec = LISTS.get(key)
    if spec is None:
        raise PageNotFound
    require(session, spec.action)
    try:
        query = parse_query(dict(request.query_params))
    except ListQueryError as err:
        return page(request, session, "error.html", 422, heading="筛选条件有误", message=str(err))
    cases = all_cases(
        get_context(request).sessions,
        query.narrowed(spec.wanted(now())),
        reader=session.user.principal,
        order=query.sort or spec.order,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        (text.encode("utf-8") for text in csv_rows(cases)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="cases-{key}-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
