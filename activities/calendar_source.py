"""The working calendar the deadline activity uses: data files plus the administrators'
overrides in the database, re-read at most once a minute so a published schedule takes effect
without restarting workers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from db.engine import SessionFactory
from db.tables import CalendarYearRow
from rules.calendar import WorkingCalendar, YearSchedule

log = logging.getLogger(__name__)
REFRESH_SECONDS = 60.0


def load_overrides(sessions: SessionFactory) -> dict[int, YearSchedule]:
    with sessions() as session:
        rows = session.scalars(select(CalendarYearRow)).all()
    return {row.year: schedule_of(row) for row in rows}


def schedule_of(row: CalendarYearRow) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        workdays=frozenset(date.fromisoformat(d) for d in row.workdays),
    )


class CalendarSource:
    """`current()`: the base calendar with the database's years laid over it."""

    def __init__(
        self,
        base: WorkingCalendar,
        overrides: Callable[[], Mapping[int, YearSchedule]],
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base
        self._overrides = overrides
        self._refresh = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._current = base
        self._loaded_at: float | None = None

    def current(self) -> WorkingCalendar:
        with self._lock:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at >= self._refresh:
                try:
                    self._current = self._base.with_schedules(self._overrides())
                    self._loaded_at = now
                except SQLAlchemyError:
                    # Keep the last good calendar; the next call tries again.
                    log.warning("calendar overrides could not be read; using the last ones")
            return self._current
