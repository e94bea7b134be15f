"""Limits on the public endpoints: per client address and per case number, both in the database.

`RateLimiter` is a sliding window of time buckets per client address, shared by every API
process through the `rate_windows` table: it slows one client however many processes serve it.
The address is stored only as an HMAC-SHA256 keyed by `HOTLINE_RATE_LIMIT_KEY`.

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

import hashlib
import hmac
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.context import ApiContext, get_context
from api.problems import Problem
from db.engine import SessionFactory, dialect_insert
from db.tables import CaseNumberRow, ProgressLookupGuardRow, RateWindowRow

MAX_FAILURES = 5
LOCK_PERIOD = timedelta(hours=1)
FAILURE_WINDOW = timedelta(hours=24)
RATE_LIMIT_KEY_ENV = "HOTLINE_RATE_LIMIT_KEY"
DEFAULT_RATE_LIMIT_KEY = "hotline-rate-limit"  # set HOTLINE_RATE_LIMIT_KEY in production


class RateLimiter:
    """At most `limit` requests per client address in any `per_seconds`, counted in the
    database so that every API process shares one budget per client.

    The period is cut into `BUCKETS` buckets; one upsert adds the request to the current bucket
    and returns its new count, so concurrent requests from any process are counted one after
    the other (PostgreSQL holds the row, SQLite the write lock). A request over the limit is
    taken back out of the count and refused with a Retry-After. Buckets older than the period
    are deleted as requests come in.
    """

    BUCKETS = 6

    def __init__(
        self,
        scope: str,
        limit: int,
        per_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.scope = scope
        self.limit = limit
        self.per_seconds = per_seconds
        self.bucket_seconds = max(1, per_seconds // self.BUCKETS)
        self.clock = clock

    def check(self, sessions: SessionFactory, client: str) -> None:
        now = self.clock()
        current = int(now) // self.bucket_seconds * self.bucket_seconds
        oldest = current - self.per_seconds + self.bucket_seconds
        key_hash = client_hash(client)
        with sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            table = RateWindowRow.__table__
            upsert = dialect_insert(dialect, RateWindowRow).values(
                scope=self.scope, key_hash=key_hash, window_start=current, hits=1
            )
            hits_now = session.execute(
                upsert.on_conflict_do_update(
                    index_elements=["scope", "key_hash", "window_start"],
                    set_={"hits": table.c.hits + 1},
                ).returning(table.c.hits)
            ).scalar_one()
            earlier = session.execute(
                select(RateWindowRow.window_start, RateWindowRow.hits)
                .where(
                    RateWindowRow.scope == self.scope,
                    RateWindowRow.key_hash == key_hash,
                    RateWindowRow.window_start >= oldest,
                    RateWindowRow.window_start < current,
                )
                .order_by(RateWindowRow.window_start)
            ).all()
            session.execute(
                delete(RateWindowRow).where(
                    RateWindowRow.scope == self.scope, RateWindowRow.window_start < oldest
                )
            )
            before = [(start, hits) for start, hits in earlier]
            if sum(hits for _, hits in before) + hits_now <= self.limit:
                return
            session.execute(
                update(RateWindowRow)
                .where(
                    RateWindowRow.scope == self.scope,
                    RateWindowRow.key_hash == key_hash,
                    RateWindowRow.window_start == current,
                )
                .values(hits=table.c.hits - 1)
            )
        retry = self._retry_after([*before, (current, hits_now - 1)], now)
        raise Problem(429, f"too many lookups; retry in {retry} s", retry_after=retry)

    def _retry_after(self, buckets: list[tuple[int, int]], now: float) -> int:
        """Seconds until enough of the oldest buckets have left the period for one more request."""
        remaining = sum(hits for _, hits in buckets)
        for start, hits in buckets:
            remaining -= hits
            if remaining < self.limit:
                return max(1, math.ceil(start + self.per_seconds - now))
        return self.bucket_seconds

    def forget(self, sessions: SessionFactory) -> None:
        """Clear this scope's counts (for tests and for an operator lifting a block)."""
        with sessions.begin() as session:
            session.execute(delete(RateWindowRow).where(RateWindowRow.scope == self.scope))

    def __call__(
        self, request: Request, context: Annotated[ApiContext, Depends(get_context)]
    ) -> None:
        self.check(context.sessions, request.client.host if request.client else "unknown")


def client_hash(client: str) -> str:
    """The keyed sha256 of a client address: the address itself is never stored."""
    return hmac.new(_hash_key(), client.encode(), hashlib.sha256).hexdigest()


def _hash_key() -> bytes:
    return os.environ.get(RATE_LIMIT_KEY_ENV, DEFAULT_RATE_LIMIT_KEY).encode()


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
