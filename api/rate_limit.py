"""Limits on the public endpoints: per client address in process, per case number in the database.

`RateLimiter` is a sliding window per client address, in this process: it slows one client.

`LookupGuard` protects the retrieval code of the citizen's progress lookup against guessing from
many addresses at once. Every attempt on a case number is counted in the database
(`progress_lookup_guards`), whether or not a case has that number, so nothing tells an attacker
which numbers exist. After `MAX_FAILURES` wrong codes within `FAILURE_WINDOW` of each other,
the number's lookup is locked for `LOCK_PERIOD`: until then every attempt on it, the right code
included, gets the same refusal, whoever sends it.

Locking was chosen over rotating the code: a rotation would send the citizen a new SMS each
time someone guesses (an attacker could flood a citizen's phone), and an attacker who locks a
citizen out for an hour gains nothing; the citizen can still ask for progress on 12345. With six
digits and five tries an hour, guessing one case's code takes on average over ten years.
A right code clears the count. Rows of numbers not tried for a `FAILURE_WINDOW` are deleted.
"""

from __future__ import annotations

import hmac
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from threading import Lock

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.problems import Problem
from db.engine import SessionFactory, dialect_insert
from db.tables import CaseNumberRow, ProgressLookupGuardRow

MAX_FAILURES = 5
LOCK_PERIOD = timedelta(hours=1)
FAILURE_WINDOW = timedelta(hours=24)


class RateLimiter:
    def __init__(self, limit: int, per_seconds: float) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] > self.per_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = int(self.per_seconds - (now - hits[0])) + 1
                raise Problem(429, f"too many lookups; retry in {retry} s", retry_after=retry)
            hits.append(now)
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        """Drop the windows of addresses not seen for a whole window (memory stays bounded)."""
        if len(self._hits) < 4 * self.limit:
            return
        idle = [
            key for key, hits in self._hits.items() if not hits or now - hits[-1] > self.per_seconds
        ]
        for key in idle:
            del self._hits[key]

    def __call__(self, request: Request) -> None:
        self.check(request.client.host if request.client else "unknown")


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"  # a wrong code, or no case with that number
    LOCKED = "locked"


@dataclass(frozen=True)
class Attempt:
    verdict: Verdict
    retry_after: int = 0  # seconds, when locked


@dataclass(frozen=True)
class LookupGuard:
    max_failures: int = MAX_FAILURES
    lock_period: timedelta = LOCK_PERIOD
    window: timedelta = FAILURE_WINDOW

    def attempt(self, sessions: SessionFactory, case_no: str, code: str, now: datetime) -> Attempt:
        """Check `code` for `case_no` and count the attempt, in one transaction that holds the
        number's row: concurrent attempts on one number are counted one after the other."""
        with sessions.begin() as session:
            row = self._row(session, case_no)
            if row.locked_until is not None:
                if row.locked_until > now:
                    return Attempt(Verdict.LOCKED, _seconds(row.locked_until - now))
                row.locked_until = None
                row.failures = 0
            expected = session.scalar(
                select(CaseNumberRow.retrieval_code).where(CaseNumberRow.case_no == case_no)
            )
            # Compared in constant time, also when there is no such case.
            right = hmac.compare_digest((expected or "-").encode(), code.encode())
            if right and expected is not None:
                session.delete(row)
                return Attempt(Verdict.RIGHT)
            if row.last_failure_at is not None and now - row.last_failure_at > self.window:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= self.max_failures:
                row.failures = 0
                row.locked_until = now + self.lock_period
            session.execute(
                delete(ProgressLookupGuardRow).where(
                    ProgressLookupGuardRow.last_failure_at < now - self.window
                )
            )
            return Attempt(Verdict.WRONG)

    @staticmethod
    def _row(session: Session, case_no: str) -> ProgressLookupGuardRow:
        insert = dialect_insert(session.get_bind().dialect.name, ProgressLookupGuardRow)
        # The insert takes the write lock on SQLite; FOR UPDATE holds the row on PostgreSQL.
        session.execute(
            insert.values(case_no=case_no, failures=0).on_conflict_do_nothing(
                index_elements=["case_no"]
            )
        )
        row = session.get(
            ProgressLookupGuardRow, case_no, with_for_update=True, populate_existing=True
        )
        assert row is not None
        return row


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
