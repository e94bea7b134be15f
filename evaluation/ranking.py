"""The department ranking (考核, domain §9): each department's score from its three rates, ranked
within its class so that unlike units are not ranked together.

The formula, the default weights, the classes and how a component without data is treated are
in `rules.evaluation`; the figures come from the same query as the department breakdown of the
indicators (`evaluation.indicators.closure_figures`), so the two always agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from db.engine import SessionFactory
from db.tables import DepartmentRow
from evaluation.indicators import closure_figures, indicator
from models.evaluation import (
    ClassRanking,
    DepartmentScore,
    Dimension,
    Period,
    Ranking,
    Weights,
)
from rules import evaluation as rules


def rank_departments(
    sessions: SessionFactory,
    period: Period,
    weights: Weights | None = None,
    classes: Mapping[str, str] | None = None,
) -> Ranking:
    """Score every department (those in the departments table that are active, and any other
    that led a case closed in the period) and rank them within their class.

    `weights` must be non-negative and sum to 1 (`rules.evaluation.WeightsError` otherwise);
    `classes` maps a department id to its class and overrides the default (its kind).
    Ties share a rank (1, 1, 3); a department without any scored case has score None, no rank,
    and is listed last in its class.
    """
    weights = rules.check_weights(weights or rules.DEFAULT_WEIGHTS)
    overrides = classes or {}
    with sessions() as session:
        figures = closure_figures(session, period, Dimension.DEPARTMENT)
        kinds = {
            department: (kind, active)
            for department, kind, active in session.execute(
                select(DepartmentRow.id, DepartmentRow.kind, DepartmentRow.active)
            )
        }
    departments = {d for d, (_, active) in kinds.items() if active}
    departments |= {d for d in figures if d is not None}
    by_class: dict[str, list[DepartmentScore]] = {}
    for department in departments:
        kind = kinds.get(department, (None, False))[0]
        department_class = overrides.get(department) or rules.DEFAULT_CLASSES.get(
            kind or "", rules.UNCLASSIFIED
        )
        own = figures.get(department, {})
        components = {
            name: indicator(component.key, own) for name, component in rules.SCORE_COMPONENTS
        }
        by_class.setdefault(department_class, []).append(
            DepartmentScore(
                department=department,
                department_class=department_class,
                response=components["response"],
                resolution=components["resolution"],
                satisfaction=components["satisfaction"],
                score=rules.score({n: v.rate for n, v in components.items()}, weights),
                rank=None,
            )
        )
    return Ranking(
        period=period,
        weights=weights,
        classes=[
            ClassRanking(department_class=name, scores=_ranked(by_class[name]))
            for name in _class_order(by_class)
        ],
    )


def _ranked(scores: list[DepartmentScore]) -> list[DepartmentScore]:
    """Best first, ties by department id; competition ranks (1, 1, 3); unscored last, no rank."""
    ordered = sorted(scores, key=lambda s: (s.score is None, -(s.score or 0.0), s.department))
    ranked: list[DepartmentScore] = []
    for position, item in enumerate(ordered, start=1):
        rank = None
        if item.score is not None:
            previous = ranked[-1] if ranked else None
            tied = previous is not None and previous.score == item.score
            rank = previous.rank if tied and previous is not None else position
        ranked.append(item.model_copy(update={"rank": rank}))
    return ranked


def _class_order(by_class: Mapping[str, object]) -> list[str]:
    known = [name for name in rules.DEFAULT_CLASSES.values() if name in by_class]
    return known + sorted(name for name in by_class if name not in known)
