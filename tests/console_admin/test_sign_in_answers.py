"""The sign-in answers tell nothing about which user ids exist: an unknown id is refused, counted
and locked exactly as a known one, every refusal costs one argon2 verification, and only the
sha256 of an unknown id typed is stored."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

import services.console_auth as console_auth
from db.engine import SessionFactory
from db.tables import SignInGuardRow
from services.console_auth import (
    LOCKOUT,
    MAX_FAILED_SIGN_INS,
    SignInRefused,
    set_password,
    sign_in,
)
from tests.console_admin.conftest import PASSWORD, T0

UNKNOWN = "no-such-user"


def answer(sessions: SessionFactory, user_id: str, password: str, at=T0) -> tuple[str, str]:
    """(reason, message) of a refused sign-in."""
    with pytest.raises(SignInRefused) as caught:
        sign_in(sessions, user_id, password, now=at)
    return caught.value.reason, str(caught.value)


def answers(sessions: SessionFactory, user_id: str, tries: int, at=T0) -> list[tuple[str, str]]:
    return [
        answer(sessions, user_id, f"wrong-{n}", at + timedelta(seconds=n)) for n in range(tries)
    ]


def test_an_unknown_id_gets_the_answers_of_a_known_one(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    tries = MAX_FAILED_SIGN_INS + 2
    known = answers(sessions, "op-001", tries)
    unknown = answers(sessions, UNKNOWN, tries)
    assert known == unknown
    assert [reason for reason, _ in known] == ["bad_credentials"] * (MAX_FAILED_SIGN_INS - 1) + [
        "locked"
    ] * 3
    # The right password of the known user is refused as the lock of the unknown id is.
    assert answer(sessions, "op-001", PASSWORD, T0 + timedelta(minutes=1)) == answer(
        sessions, UNKNOWN, PASSWORD, T0 + timedelta(minutes=1)
    )
    # Both locks end together, and both ids have five tries again.
    after = T0 + timedelta(seconds=MAX_FAILED_SIGN_INS - 1) + LOCKOUT
    assert answers(sessions, "op-001", 1, after) == answers(sessions, UNKNOWN, 1, after)
    assert answers(sessions, UNKNOWN, 1, after)[0][0] == "bad_credentials"


def test_a_known_user_without_a_password_is_counted_too(sessions):
    """`dept-water` has no console password yet: refused and locked like anyone else."""
    reasons = [reason for reason, _ in answers(sessions, "dept-water", MAX_FAILED_SIGN_INS)]
    assert reasons[-1] == "locked" and set(reasons[:-1]) == {"bad_credentials"}


def test_only_the_sha256_of_an_unknown_id_is_kept(sessions):
    typed = "maybe-a-password-typed-in-the-wrong-field"
    answer(sessions, typed, "x")
    with sessions() as session:
        rows = session.scalars(select(SignInGuardRow)).all()
    assert [(row.key_hash, row.failures) for row in rows] == [
        (hashlib.sha256(typed.encode()).hexdigest(), 1)
    ]


def test_concurrent_failures_of_an_unknown_id_are_all_counted(sessions):
    from concurrent.futures import ThreadPoolExecutor

    attempts = MAX_FAILED_SIGN_INS - 1
    with ThreadPoolExecutor(attempts) as pool:
        reasons = list(pool.map(lambda _: answer(sessions, UNKNOWN, "wrong")[0], range(attempts)))
    assert reasons == ["bad_credentials"] * attempts
    assert answer(sessions, UNKNOWN, "wrong")[0] == "locked"


def counting_verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the argon2 verifications `sign_in` runs (each still runs for real)."""
    calls: list[int] = []
    real: Callable[[str, str], bool] = console_auth._verify

    def counted(password_hash: str, password: str) -> bool:
        calls.append(1)
        return real(password_hash, password)

    monkeypatch.setattr(console_auth, "_verify", counted)
    return calls


def test_every_refusal_costs_one_argon2_verification(sessions, monkeypatch):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    calls = counting_verifications(monkeypatch)
    for user_id in ("op-001", UNKNOWN):
        for n in range(MAX_FAILED_SIGN_INS + 2):  # wrong, then locking, then locked
            before = len(calls)
            answer(sessions, user_id, "wrong", T0 + timedelta(seconds=n))
            assert len(calls) - before == 1, (user_id, n)
        before = len(calls)
        answer(sessions, user_id, PASSWORD, T0 + timedelta(minutes=1))  # right, but locked
        assert len(calls) - before == 1


def test_a_locked_answer_takes_as_long_as_a_wrong_one(sessions):
    """The timing class: the quickest locked refusal, of a known or an unknown id, is no
    quicker than half the quickest argon2 verification (before, a lock answered at once)."""
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    for user_id in ("op-001", UNKNOWN):
        answers(sessions, user_id, MAX_FAILED_SIGN_INS)
    verify = min(
        _timed(lambda: console_auth._verify(console_auth._DUMMY_HASH, "x")) for _ in range(3)
    )
    for user_id in ("op-001", UNKNOWN):
        locked = min(_timed(partial(answer, sessions, user_id, "wrong")) for _ in range(3))
        assert locked >= verify / 2, (user_id, locked, verify)


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started
