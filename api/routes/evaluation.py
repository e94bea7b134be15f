"""Service evaluation (domain §9): the report of a period as JSON, HTML, CSV or XLSX, the
indicators by dimension, the department ranking, and the supervisors' live view of today.

Every route needs `read_evaluation` (supervisors, dispatchers, auditors, administrators). The
figures are about departments and the hotline as a whole: no personal data in any of them. A
period is `month=2026-11`, or `start=2026-11-01&end=2026-11-15` (both days included); a bad one
is a 422 naming the parameter. The JSON of `/evaluation/report` and the files of
`/evaluation/report.html|.csv|.xlsx` come from the same `build_report`, so they show the same
numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import require
from api.context import ApiContext, get_context
from api.problems import PROBLEM_JSON, Problem
from evaluation.exports import XLSX_MEDIA_TYPE, render_csv, render_xlsx
from evaluation.indicators import case_indicators, today_view
from evaluation.ranking import rank_departments
from evaluation.render import render_html
from evaluation.report import (
    ReportInputError,
    build_report,
    choose_period,
    department_names,
    overall_indicators,
    parse_weights,
)
from models.evaluation import (
    Dimension,
    EvaluationReport,
    IndicatorSet,
    Period,
    Ranking,
    TodayView,
    Weights,
)
from rules.permissions import Action, Principal

router = APIRouter(prefix="/evaluation", tags=["evaluation"])

Reader = Annotated[Principal, Depends(require(Action.READ_EVALUATION))]
Context = Annotated[ApiContext, Depends(get_context)]
MonthQuery = Annotated[
    str | None, Query(description="a calendar month, e.g. 2026-11 (or start and end)")
]
StartQuery = Annotated[date | None, Query(description="first day, e.g. 2026-11-01")]
EndQuery = Annotated[date | None, Query(description="last day, included, e.g. 2026-11-15")]
WeightsQuery = Annotated[
    str | None,
    Query(
        description="ranking weights of response, resolution and satisfaction, summing to 1 "
        "(default 0.3,0.35,0.35)"
    ),
]
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "a bad period or weights", "content": {PROBLEM_JSON: {}}}
}


def _invalid(err: ReportInputError) -> Problem:
    return Problem(
        422,
        str(err),
        errors=[{"field": f"query.{err.parameter}", "rule": "value_error", "message": err.reason}],
    )


def chosen_period(
    month: MonthQuery = None, start: StartQuery = None, end: EndQuery = None
) -> Period:
    """The period of `month`, or of `start` and `end`; 422 naming the parameter if bad."""
    try:
        return choose_period(month, start, end)
    except ReportInputError as err:
        raise _invalid(err) from None


def chosen_weights(weights: WeightsQuery = None) -> Weights | None:
    """The ranking weights asked for (None: the defaults); 422 if they do not sum to 1."""
    if weights is None:
        return None
    try:
        return parse_weights(weights)
    except ReportInputError as err:
        raise _invalid(err) from None


ChosenPeriod = Annotated[Period, Depends(chosen_period)]
ChosenWeights = Annotated[Weights | None, Depends(chosen_weights)]


async def _report(context: ApiContext, period: Period, weights: Weights | None) -> EvaluationReport:
    return await run_in_threadpool(build_report, context.sessions, period, weights)


@router.get("/report", response_model=EvaluationReport, responses=_INVALID)
async def report(
    principal: Reader,
    context: Context,
    period: ChosenPeriod,
    weights: ChosenWeights,
) -> EvaluationReport:
    """Every figure of the period: indicators, breakdowns, calls, ranking, trend, type mix."""
    return await _report(context, period, weights)


@router.get("/indicators", response_model=list[IndicatorSet], responses=_INVALID)
async def indicators(
    principal: Reader,
    context: Context,
    period: ChosenPeriod,
    dimension: Annotated[
        Dimension | None,
        Query(description="break down by this; without it, the whole hotline (one set)"),
    ] = None,
) -> list[IndicatorSet]:
    """The indicators of the period, one set per group of `dimension` (the report's
    `breakdowns`), or the whole hotline's with the call indicators (the report's `overall`)."""
    if dimension is None:
        return [await run_in_threadpool(overall_indicators, context.sessions, period)]
    return await run_in_threadpool(case_indicators, context.sessions, period, dimension)


@router.get("/ranking", response_model=Ranking, responses=_INVALID)
async def ranking(
    principal: Reader,
    context: Context,
    period: ChosenPeriod,
    weights: ChosenWeights,
) -> Ranking:
    """The departments' scores and ranks, per department class."""
    return await run_in_threadpool(rank_departments, context.sessions, period, weights)


@router.get("/today", response_model=TodayView)
async def today(principal: Reader, context: Context) -> TodayView:
    """The live view: open cases, due today, overdue, by escalation level and department."""
    return await run_in_threadpool(today_view, context.sessions, datetime.now(UTC))


def _attachment(period: Period, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="report-{period.label}.{suffix}"'}


@router.get(
    "/report.html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **_INVALID},
)
async def report_html(
    principal: Reader,
    context: Context,
    period: ChosenPeriod,
    weights: ChosenWeights,
) -> HTMLResponse:
    """The report as one self-contained HTML page (charts inline, no script)."""
    built = await _report(context, period, weights)
    names = await run_in_threadpool(department_names, context.sessions)
    page = await run_in_threadpool(render_html, built, names)
    return HTMLResponse(
        page,
        headers={"Content-Disposition": f'inline; filename="report-{period.label}.html"'},
    )


@router.get(
    "/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **_INVALID},
)
async def report_csv(
    principal: Reader,
    context: Context,
    period: ChosenPeriod,
    weights: ChosenWeights,
) -> Response:
    """Every figure as one long-format CSV (UTF-8 with a BOM, for Excel)."""
    built = await _report(context, period, weights)
    return Response(
        render_csv(built),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(period, "csv"),
    )


@router.get(
    "/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, **_INVALID},
)
async def report_xlsx(
    principal: Reader,
    context: Context,
    period: ChosenPeriod,
    weights: ChosenWeights,
) -> Response:
    """The report's tables as an Excel workbook, one sheet per table."""
    built = await _report(context, period, weights)
    names = await run_in_threadpool(department_names, context.sessions)
    data = await run_in_threadpool(render_xlsx, built, names)
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers=_attachment(period, "xlsx"))
