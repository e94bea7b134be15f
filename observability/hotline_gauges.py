"""The hotline's own gauges, read from the database on each scrape.

A prometheus_client custom collector: cases by status and escalation level, overdue open cases,
open cases whose next deadline falls within the hour, and notices by delivery status. Every
label value is a code (status, level); nothing personal is read or exported. A scrape within
`CACHE_SECONDS` of the last one reuses its figures, so a wall screen that polls often does not
load the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from db.engine import SessionFactory
from db.tables import CaseRow, NotificationRow

CACHE_SECONDS = 5.0
CLOSED = "closed"


@dataclass(frozen=True)
class HotlineFigures:
    """One reading of the projection and the outbox."""

    cases: dict[tuple[str, int], int] = field(default_factory=dict)
    overdue: int = 0
    due_within_hour: int = 0
    notices: dict[str, int] = field(default_factory=dict)


def read_figures(sessions: SessionFactory, now: datetime) -> HotlineFigures:
    """A few aggregate queries; each reads indexed columns only."""
    with sessions() as session:
        case_rows = session.execute(
            select(CaseRow.status, CaseRow.escalation_level, func.count()).group_by(
                CaseRow.status, CaseRow.escalation_level
            )
        ).all()
        overdue = session.execute(
            select(func.count()).where(CaseRow.overdue.is_(True), CaseRow.status != CLOSED)
        ).scalar_one()
        due_soon = session.execute(
            select(func.count()).where(
                CaseRow.status != CLOSED,
                CaseRow.next_deadline.is_not(None),
                CaseRow.next_deadline >= now,
                CaseRow.next_deadline < now + timedelta(hours=1),
            )
        ).scalar_one()
        notice_rows = session.execute(
            select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
        ).all()
    return HotlineFigures(
        cases={(str(status), int(level)): int(count) for status, level, count in case_rows},
        overdue=int(overdue),
        due_within_hour=int(due_soon),
        notices={str(status): int(count) for status, count in notice_rows},
    )


class HotlineCollector(Collector):
    """Exports `HotlineFigures` as gauges, cached for `CACHE_SECONDS`."""

    def __init__(
        self,
        sessions: Callable[[], SessionFactory | None],
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, HotlineFigures] | None = None

    def figures(self) -> HotlineFigures | None:
        sessions = self._sessions()
        if sessions is None:
            return None
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            figures = read_figures(sessions, datetime.now(UTC))
            self._cached = (time.monotonic(), figures)
            return figures

    def describe(self) -> Iterator[Metric]:
        return iter(())  # no database read at registration

    def collect(self) -> Iterator[Metric]:
        try:
            figures = self.figures()
        except Exception:  # a scrape must answer even when the database does not
            figures = None
        up = GaugeMetricFamily(
            "hotline_database_up", "1 when the last scrape could read the hotline's database"
        )
        up.add_metric([], 0 if figures is None else 1)
        yield up
        if figures is None:
            return
        cases = GaugeMetricFamily(
            "hotline_cases", "Cases by status and escalation level", labels=["status", "level"]
        )
        for (status, level), count in sorted(figures.cases.items()):
            cases.add_metric([status, str(level)], count)
        yield cases
        yield GaugeMetricFamily(
            "hotline_cases_overdue", "Open cases past their deadline", value=figures.overdue
        )
        yield GaugeMetricFamily(
            "hotline_cases_due_within_hour",
            "Open cases whose next deadline falls within the next hour",
            value=figures.due_within_hour,
        )
        notices = GaugeMetricFamily(
            "hotline_notices", "Notices in the outbox by delivery status", labels=["status"]
        )
        for status, count in sorted(figures.notices.items()):
            notices.add_metric([status], count)
        yield notices
