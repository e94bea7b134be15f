"""The Temporal activities of CaseWorkflow: thin wrappers over the calendar and the store.

The database activities leave through `activities.failures.safe_activity`: bad data fails at
once (non-retryable), anything else is retried, and no failure message quotes a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import store
from activities.calendar_source import CalendarSource
from activities.failures import guard_worker_logs, safe_activity
from activities.notifications import NotificationRenderer
from db.engine import SessionFactory
from db.tables import DepartmentRow
from models.errors import NO_ROUTE
from models.records import DeadlineRequest, Route, RouteRequest, TransitionRecord
from models.state import Deadline
from rules.deadlines import compute_deadline
from rules.dispatch import NoRouteError

RECORD_TRANSITION = "record_transition"
ARCHIVE_CASE = "archive_case"
"""The registered names of the two database activities a case fault can name."""


class CaseActivities:
    """Holds the database session factory, the calendar, the template renderer and the hooks
    a recorded transition runs (`workers.composition.transition_hooks`)."""

    def __init__(
        self,
        sessions: SessionFactory,
        calendar: CalendarSource,
        renderer: NotificationRenderer | None = None,
        *,
        hooks: Sequence[store.TransitionHook],
    ) -> None:
        self._sessions = sessions
        self._calendar = calendar
        self._renderer = renderer or NotificationRenderer()
        self._hooks = tuple(hooks)
        guard_worker_logs()  # the worker running these never logs a failure's raw text

    @activity.defn(name="compute_deadlines")
    def compute_deadlines(self, requests: list[DeadlineRequest]) -> list[Deadline]:
        calendar = self._calendar.current()
        return [compute_deadline(calendar, request) for request in requests]

    @activity.defn(name="route_case")
    @safe_activity
    def route_case(self, request: RouteRequest) -> Route:
        if request.lead_department is None:
            try:
                return store.route_case(self._sessions, request)
            except NoRouteError as err:
                raise ApplicationError(str(err), type=NO_ROUTE, non_retryable=True) from err
        named = [request.lead_department, *request.assisting_departments]
        if len(set(named)) != len(named):
            raise ApplicationError(
                "a department cannot be both lead and assisting, or named twice",
                type=NO_ROUTE,
                non_retryable=True,
            )
        with self._sessions() as session:
            known = set(
                session.scalars(
                    select(DepartmentRow.id).where(
                        DepartmentRow.id.in_(named), DepartmentRow.active.is_(True)
                    )
                )
            )
        unknown = [d for d in named if d not in known]
        if unknown:
            raise ApplicationError(
                f"unknown or inactive department: {', '.join(unknown)}",
                type=NO_ROUTE,
                non_retryable=True,
            )
        return Route(
            lead_department=request.lead_department,
            assisting_departments=list(request.assisting_departments),
        )

    @activity.defn(name=RECORD_TRANSITION)
    @safe_activity
    def record_transition(self, record: TransitionRecord) -> None:
        store.record_transition(self._sessions, record, self._renderer, hooks=self._hooks)

    @activity.defn(name=ARCHIVE_CASE)
    @safe_activity
    def archive_case(self, case_no: str, at: datetime) -> None:
        store.mark_archived(self._sessions, case_no, at)

    def all(self) -> list[Callable[..., Any]]:
        return [self.compute_deadlines, self.route_case, self.record_transition, self.archive_case]
