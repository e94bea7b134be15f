"""Expired console sessions are purged: a bounded batch at each sign-in, everything with
`purge_expired` (the CLI's `hotline user purge-sessions`); live sessions stay."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from db.engine import SessionFactory, make_engine, session_factory
from db.seed import seed_demo
from db.tables import ConsoleSessionRow, SignInGuardRow
from migrations.runner import upgrade
from rules.permissions import Role
from services.console_auth import (
    LOCKOUT,
    MAX_FAILED_SIGN_INS,
    PURGE_AT_SIGN_IN,
    SESSION_IDLE_TIMEOUT,
    SignInRefused,
    purge_expired,
    session_for,
    set_password,
    sign_in,
)
from services.principals import add_user, deactivate_user, get_user
from tests.cli.runner import ROOT
from tests.console_admin.conftest import PASSWORD, T0


def session_count(sessions: SessionFactory) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(ConsoleSessionRow)) or 0


def sign_ins(sessions: SessionFactory, count: int, at) -> list[str]:
    return [sign_in(sessions, "op-001", PASSWORD, now=at).token for _ in range(count)]


def expired_rows(sessions: SessionFactory, count: int) -> None:
    """`count` sessions of op-001 that expired at T0 (as many sign-ins would have left)."""
    with sessions.begin() as session:
        for n in range(count):
            opened = T0 - SESSION_IDLE_TIMEOUT - timedelta(seconds=n)
            session.add(
                ConsoleSessionRow(
                    token_hash=f"{n:064x}",
                    user_id="op-001",
                    csrf_token="x",
                    created_at=opened,
                    last_seen_at=opened,
                    expires_at=opened + SESSION_IDLE_TIMEOUT,
                )
            )


def test_a_sign_in_purges_a_bounded_batch_of_expired_sessions(sessions):
    set_password(sessions, "op-001", PASSWORD, by="op-001", now=T0)
    expired_rows(sessions, PURGE_AT_SIGN_IN + 20)
    later = T0 + SESSION_IDLE_TIMEOUT + timedelta(seconds=1)
    live = sign_in(sessions, "op-001", PASSWORD, now=later)
    assert session_count(sessions) == 20 + 1  # 100 of the 120 expired ones went
    sign_in(sessions, "op-001", PASSWORD, now=later)
    assert session_count(sessions) == 2  # the other 20, and the two live ones stay
    assert session_for(sessions, live.token, now=later) is not None


def test_purge_expired_deletes_every_expired_session_and_released_counters(sessions):
    set_password(sessions, "op-001", PASSWORD, by="op-001", now=T0)
    expired = sign_ins(sessions, 3, T0)
    live = sign_ins(sessions, 2, T0 + timedelta(minutes=10))
    later = T0 + SESSION_IDLE_TIMEOUT
    for n in range(MAX_FAILED_SIGN_INS):  # locks the unknown id: its count back to 0
        with contextlib.suppress(SignInRefused):
            sign_in(sessions, "ghost", "wrong", now=T0 + timedelta(seconds=n))
    with contextlib.suppress(SignInRefused):
        sign_in(sessions, "ghost-2", "wrong", now=T0)  # one failure: kept, it still counts
    assert T0 + timedelta(seconds=MAX_FAILED_SIGN_INS) + LOCKOUT < later
    report = purge_expired(sessions, now=later)  # the lock of "ghost" has ended
    assert (report.sessions, report.guards) == (3, 1)
    assert session_count(sessions) == 2
    assert all(session_for(sessions, token, now=later) is not None for token in live)
    assert all(session_for(sessions, token, now=later) is None for token in expired)
    with sessions() as session:
        assert [row.failures for row in session.scalars(select(SignInGuardRow))] == [1]
    assert purge_expired(sessions, now=later) == type(report)(0, 0)


def test_the_cli_purges_expired_sessions_and_enables_a_user(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    seed_demo(sessions)
    add_user(sessions, "op-001", "张三", Role.OPERATOR)
    set_password(sessions, "op-001", PASSWORD, by="op-001", now=T0)
    sign_ins(sessions, 4, datetime.now(UTC) - 2 * SESSION_IDLE_TIMEOUT)  # expired by now
    result = hotline(url, "user", "purge-sessions")
    assert result.returncode == 0, result.stderr
    assert "4 expired console sessions deleted" in result.stdout
    assert session_count(sessions) == 0
    deactivate_user(sessions, "op-001")
    enabled = hotline(url, "user", "activate", "op-001")
    assert (enabled.returncode, enabled.stdout.strip()) == (0, "user op-001 activated")
    enabled_user = get_user(sessions, "op-001")
    assert enabled_user is not None and enabled_user.active
    assert hotline(url, "user", "activate", "nobody").returncode == 2


def hotline(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
