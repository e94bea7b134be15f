"""Console sessions on real databases: idle timeout and its sliding, sign-out, deactivated
users and departments, CSRF secrets; and the demo users of the dev stack."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from db.tables import ConsoleSessionRow, DepartmentRow, UserRow
from rules.permissions import Role
from services.console_auth import (
    SESSION_IDLE_TIMEOUT,
    check_csrf,
    session_for,
    set_password,
    sign_in,
    sign_out,
)
from services.demo_users import DEMO_USERS, ensure_demo_users
from services.principals import deactivate_user, get_user
from tests.console_auth.conftest import PASSWORD, T0


def signed_in(sessions, user_id: str = "op-001", at=T0):
    set_password(sessions, user_id, PASSWORD, by="admin-1", now=at)
    return sign_in(sessions, user_id, PASSWORD, now=at)


def session_rows(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(ConsoleSessionRow)) or 0


def test_a_session_expires_after_thirty_idle_minutes(sessions):
    opened = signed_in(sessions)
    assert session_for(sessions, opened.token, now=T0 + SESSION_IDLE_TIMEOUT) is None
    assert session_rows(sessions) == 0  # the expired row is gone
    assert session_for(sessions, opened.token, now=T0) is None


def test_each_use_moves_the_expiry_on(sessions):
    opened = signed_in(sessions)
    at = T0
    for _ in range(4):  # two hours in all, never thirty minutes idle
        at += timedelta(minutes=29)
        found = session_for(sessions, opened.token, now=at)
        assert found is not None
        assert found.expires_at == at + SESSION_IDLE_TIMEOUT
        assert (found.token, found.csrf_token) == (opened.token, opened.csrf_token)
        assert found.user == opened.user
    assert session_for(sessions, opened.token, now=at + SESSION_IDLE_TIMEOUT) is None


def test_uses_within_a_minute_do_not_write(sessions):
    opened = signed_in(sessions)
    found = session_for(sessions, opened.token, now=T0 + timedelta(seconds=30))
    assert found is not None and found.expires_at == opened.expires_at
    found = session_for(sessions, opened.token, now=T0 + timedelta(minutes=1))
    assert found is not None and found.expires_at == T0 + timedelta(minutes=31)


def test_unknown_and_malformed_tokens(sessions):
    signed_in(sessions)
    assert session_for(sessions, "", now=T0) is None
    assert session_for(sessions, "not-a-token", now=T0) is None
    assert session_for(sessions, "x" * 10_000, now=T0) is None


def test_sign_out_ends_that_session_only(sessions):
    first = signed_in(sessions)
    second = sign_in(sessions, "op-001", PASSWORD, now=T0)
    sign_out(sessions, first.token)
    assert session_for(sessions, first.token, now=T0) is None
    assert session_for(sessions, second.token, now=T0) is not None
    sign_out(sessions, first.token)  # again: nothing happens
    sign_out(sessions, "unknown")


def test_expired_sessions_are_cleared_at_the_next_sign_in(sessions):
    signed_in(sessions)
    signed_in(sessions, "dept-water", T0 + timedelta(minutes=5))
    sign_in(sessions, "op-001", PASSWORD, now=T0 + timedelta(hours=1))
    assert session_rows(sessions) == 1


def test_a_deactivated_user_or_department_loses_the_session(sessions):
    mine = signed_in(sessions)
    theirs = signed_in(sessions, "dept-water")
    deactivate_user(sessions, "op-001")
    assert session_for(sessions, mine.token, now=T0) is None
    assert session_for(sessions, theirs.token, now=T0) is not None
    with sessions.begin() as session:
        session.execute(
            update(DepartmentRow).where(DepartmentRow.id == "gy-water").values(active=False)
        )
    assert session_for(sessions, theirs.token, now=T0) is None


def test_the_csrf_secret_is_per_session(sessions):
    first = signed_in(sessions)
    second = sign_in(sessions, "op-001", PASSWORD, now=T0)
    assert check_csrf(first, first.csrf_token)
    assert not check_csrf(first, second.csrf_token)
    assert not check_csrf(first, None)
    assert not check_csrf(first, "")
    assert not check_csrf(first, first.csrf_token[:-1])
    assert not check_csrf(first, "密钥")
    found = session_for(sessions, first.token, now=T0)
    assert found is not None and check_csrf(found, first.csrf_token)


# ---- demo users ---------------------------------------------------------------------------------


def test_demo_users_one_per_role_each_with_a_one_time_password(sessions):
    given = ensure_demo_users(sessions, now=T0)
    assert [credential.user_id for credential in given] == [user_id for user_id, *_ in DEMO_USERS]
    assert {credential.role for credential in given} == set(Role)
    for credential in given:
        assert credential.password not in repr(credential)
        opened = sign_in(sessions, credential.user_id, credential.password, now=T0)
        assert opened.must_change_password
        assert opened.user.role is credential.role
    department = get_user(sessions, "demo-department")
    assert department is not None and department.department == "gy-market"
    # A second run adds nothing and keeps every password; a user without one gets one.
    assert ensure_demo_users(sessions, now=T0) == []
    sign_in(sessions, given[0].user_id, given[0].password, now=T0)
    with sessions.begin() as session:
        session.execute(
            update(UserRow).where(UserRow.id == "demo-auditor").values(password_hash=None)
        )
    [again] = ensure_demo_users(sessions, now=T0)
    assert again.user_id == "demo-auditor" and again.password != given[4].password
