"""The supervisor's live view of today and the department ranking, with charts.

`/today` shows what `GET /evaluation/today` returns (`evaluation.indicators.today_view`): open
cases, those due today, overdue, by escalation level and by department, and, to those who
manage notices, the notices waiting, held and dead-lettered (`services.notice_delivery`); its
figures sit in a fragment (`/fragments/supervision/today`) the page polls by itself. `/ranking`
shows what `GET /evaluation/ranking` returns (`evaluation.ranking.rank_departments`) for a
month, a quarter or a year, each class as a server-drawn SVG chart (`evaluation.charts`) with a
table of the same figures. Both need `read_evaluation`; neither holds personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from api.console.periods import KINDS, PeriodError, Picked, default_pick, pick
from api.console.render import html, page
from api.console.web import now, require, signed_in
from api.context import get_context
from evaluation.charts import bar_chart, ranking_chart
from evaluation.indicators import today_view
from evaluation.labels import class_label, percent
from evaluation.ranking import rank_departments
from evaluation.report import department_names
from models.delivery import DeliveryCounts
from models.enums import CENTRE
from models.evaluation import Ranking, TodayView
from rules.permissions import Action, allowed
from services.console_auth import ConsoleSession
from services.notice_delivery import delivery_counts

router = APIRouter(include_in_schema=False)

TODAY_FRAGMENT = "/fragments/supervision/today"
LEVEL_NAMES: Mapping[int, str] = {
    0: "未督办",
    1: "1 级 中心督办",
    2: "2 级 领导督办",
    3: "3 级 政府督查",
}
FIELD_NAMES: Mapping[str, str] = {"kind": "周期", "year": "年份", "part": "月份或季度"}
Session = Annotated[ConsoleSession, Depends(signed_in)]
Field = Annotated[str | None, Query(max_length=8)]


@dataclass(frozen=True)
class ClassCharts:
    title: str
    chart: Markup
    ranking_rows: list[dict[str, str]]


def unit_name(department: str, names: Mapping[str, str]) -> str:
    return "热线中心（待派单）" if department == CENTRE else names.get(department, department)


def today_charts(view: TodayView, names: Mapping[str, str]) -> dict[str, Markup]:
    """Open and overdue cases by department, and open cases by escalation level, as bars."""
    departments = view.by_department
    most = max((float(d["open"]) for d in departments), default=0.0)
    open_bars = [
        (unit_name(str(d["department"]), names), float(d["open"]), f"{d['open']} 件")
        for d in departments
    ]
    overdue_bars = [
        (unit_name(str(d["department"]), names), float(d["overdue"]), f"{d['overdue']} 件")
        for d in departments
    ]
    levels = sorted(view.by_escalation_level.items())
    level_bars = [(LEVEL_NAMES.get(k, f"{k} 级"), float(v), f"{v} 件") for k, v in levels]
    return {
        "open": bar_chart("各单位在办件", open_bars, maximum=most or 1.0),
        "overdue": bar_chart("各单位超期件", overdue_bars, maximum=most or 1.0, color="#c92a2a"),
        "levels": bar_chart(
            "各督办级别在办件",
            level_bars,
            maximum=max((b[1] for b in level_bars), default=0.0) or 1.0,
            color="#5f3dc4",
        ),
    }


async def _today(request: Request) -> tuple[TodayView, dict[str, str]]:
    sessions = get_context(request).sessions
    view = await run_in_threadpool(today_view, sessions, now())
    names = await run_in_threadpool(department_names, sessions)
    return view, names


async def _notice_counts(request: Request, session: ConsoleSession) -> DeliveryCounts | None:
    """Pending, held and dead-lettered notices, for those who may manage notices."""
    if not allowed(session.user.role, Action.MANAGE_NOTICES):
        return None
    return await run_in_threadpool(delivery_counts, get_context(request).sessions)


@router.get("/today")
async def today(request: Request, session: Session) -> HTMLResponse:
    require(session, Action.READ_EVALUATION)
    view, names = await _today(request)
    return page(
        request,
        session,
        "today.html",
        view=view,
        names=names,
        charts=today_charts(view, names),
        levels=LEVEL_NAMES,
        fragment=TODAY_FRAGMENT,
        notice_counts=await _notice_counts(request, session),
    )


@router.get(TODAY_FRAGMENT)
async def today_fragment(request: Request, session: Session) -> HTMLResponse:
    require(session, Action.READ_EVALUATION)
    view, names = await _today(request)
    return html(
        "today_live.html",
        view=view,
        names=names,
        charts=today_charts(view, names),
        levels=LEVEL_NAMES,
        notice_counts=await _notice_counts(request, session),
    )


def _ratio(numerator: int, denominator: int, rate: float | None) -> str:
    return f"{percent(rate)}（{numerator}/{denominator}）"


def class_charts(ranking: Ranking, names: Mapping[str, str]) -> list[ClassCharts]:
    found: list[ClassCharts] = []
    for group in ranking.classes:
        rows = [
            {
                "rank": "—" if s.rank is None else str(s.rank),
                "department": names.get(s.department, s.department),
                "score": "—" if s.score is None else f"{s.score:.1f}",
                "response": _ratio(s.response.numerator, s.response.denominator, s.response.rate),
                "resolution": _ratio(
                    s.resolution.numerator, s.resolution.denominator, s.resolution.rate
                ),
                "satisfaction": _ratio(
                    s.satisfaction.numerator, s.satisfaction.denominator, s.satisfaction.rate
                ),
            }
            for s in group.scores
        ]
        found.append(
            ClassCharts(
                class_label(group.department_class),
                ranking_chart(group.department_class, group.scores, names),
                rows,
            )
        )
    return found


@router.get("/ranking")
async def ranking(
    request: Request,
    session: Session,
    kind: Field = None,
    year: Field = None,
    part: Field = None,
) -> HTMLResponse:
    require(session, Action.READ_EVALUATION)
    default_kind, default_year, default_part = default_pick(now())
    chosen = {
        "kind": default_kind if kind is None else kind,
        "year": default_year if year is None else year,
        "part": default_part if part is None else part,
    }
    values: dict[str, Any] = {"chosen": chosen, "kinds": KINDS, "field_names": FIELD_NAMES}
    try:
        picked: Picked = pick(chosen["kind"], chosen["year"], chosen["part"])
    except PeriodError as err:
        return page(
            request,
            session,
            "ranking.html",
            422,
            error=err,
            picked=None,
            classes=[],
            weights=None,
            **values,
        )
    sessions = get_context(request).sessions
    result = await run_in_threadpool(rank_departments, sessions, picked.period)
    names = await run_in_threadpool(department_names, sessions)
    return page(
        request,
        session,
        "ranking.html",
        error=None,
        picked=picked,
        classes=class_charts(result, names),
        weights=result.weights,
        **values,
    )
