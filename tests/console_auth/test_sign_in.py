"""Console passwords and sign-in on real databases: argon2id, right and wrong passwords,
lockout and its release, one-time passwords, rehashing, deactivated users and departments."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select, update

from db.engine import SessionFactory
from db.tables import ConsoleSessionRow, DepartmentRow, UserRow
from models.errors import NotFoundError, RefusedError
from rules.permissions import Principal, Role
from services.console_auth import (
    LOCKOUT,
    MAX_FAILED_SIGN_INS,
    ONE_TIME_ALPHABET,
    ONE_TIME_PASSWORD_LENGTH,
    PasswordRefused,
    SignInRefused,
    UnknownUserError,
    password_state,
    session_for,
    set_password,
    sign_in,
)
from services.principals import deactivate_user
from tests.console_auth.conftest import PASSWORD, T0


def stored_hash(sessions: SessionFactory, user_id: str) -> str | None:
    with sessions() as session:
        return session.scalars(select(UserRow.password_hash).where(UserRow.id == user_id)).one()


def refused(sessions, user_id: str, password: str, at=T0) -> str:
    with pytest.raises(SignInRefused) as caught:
        sign_in(sessions, user_id, password, now=at)
    assert str(caught.value)  # a message for the page
    return caught.value.reason


# ---- passwords ----------------------------------------------------------------------------------


def test_the_password_is_kept_as_argon2id_only(sessions):
    assert set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0) == PASSWORD
    password_hash = stored_hash(sessions, "op-001")
    assert password_hash is not None and password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    state = password_state(sessions, "op-001")
    assert (state.has_password, state.set_at, state.set_by, state.must_change) == (
        True,
        T0,
        "admin-1",
        True,
    )
    assert PASSWORD not in repr(state)


def test_right_and_wrong_passwords(sessions):
    set_password(sessions, "dept-water", PASSWORD, by="dept-water", now=T0)
    signed_in = sign_in(sessions, "dept-water", PASSWORD, now=T0)
    assert signed_in.user.id == "dept-water"
    assert signed_in.user.principal == Principal("dept-water", Role.DEPARTMENT, "gy-water")
    assert signed_in.expires_at == T0 + timedelta(minutes=30)
    assert signed_in.must_change_password is False  # set by the user themselves
    assert signed_in.token not in repr(signed_in) and signed_in.csrf_token not in repr(signed_in)
    assert signed_in.token != signed_in.csrf_token

    assert refused(sessions, "dept-water", PASSWORD + "x") == "bad_credentials"
    assert refused(sessions, "dept-water", "") == "bad_credentials"
    assert refused(sessions, "nobody", PASSWORD) == "bad_credentials"
    assert refused(sessions, "op-001", PASSWORD) == "bad_credentials"  # no password set yet
    assert refused(sessions, "dept-water", "x" * 5000) == "bad_credentials"


def test_only_the_sha256_of_the_session_token_is_stored(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    signed_in = sign_in(sessions, "op-001", PASSWORD, now=T0)
    with sessions() as session:
        [row] = session.scalars(select(ConsoleSessionRow)).all()
    assert row.token_hash == hashlib.sha256(signed_in.token.encode()).hexdigest()
    assert signed_in.token not in (row.token_hash, row.csrf_token)
    assert (row.user_id, row.created_at, row.last_seen_at) == ("op-001", T0, T0)


def test_a_one_time_password_is_generated_and_must_be_changed(sessions):
    generated = set_password(sessions, "op-001", None, by="admin-1", now=T0)
    assert len(generated) == ONE_TIME_PASSWORD_LENGTH
    assert set(generated) <= set(ONE_TIME_ALPHABET)
    assert not set("0O1lI") & set(ONE_TIME_ALPHABET)
    assert set_password(sessions, "dept-water", None, by="admin-1", now=T0) != generated
    first = sign_in(sessions, "op-001", generated, now=T0)
    assert first.must_change_password is True
    assert session_for(sessions, first.token, now=T0) is not None
    # Still set after signing in; the user's own new password clears it and keeps their session.
    assert sign_in(sessions, "op-001", generated, now=T0).must_change_password is True
    set_password(sessions, "op-001", PASSWORD, by="op-001", now=T0, keep_session=first.token)
    assert password_state(sessions, "op-001").must_change is False
    assert session_for(sessions, first.token, now=T0) is not None
    assert sign_in(sessions, "op-001", PASSWORD, now=T0).must_change_password is False
    assert refused(sessions, "op-001", generated) == "bad_credentials"


def test_set_password_refuses_unknown_users_and_short_passwords(sessions):
    with pytest.raises(UnknownUserError) as unknown:
        set_password(sessions, "nobody", PASSWORD, by="admin-1", now=T0)
    assert isinstance(unknown.value, NotFoundError)
    with pytest.raises(PasswordRefused, match="at least 10") as short:
        set_password(sessions, "op-001", "123456789", by="admin-1", now=T0)
    assert isinstance(short.value, RefusedError)
    with pytest.raises(PasswordRefused):
        set_password(sessions, "op-001", "x" * 1025, by="admin-1", now=T0)
    assert stored_hash(sessions, "op-001") is None
    set_password(sessions, "op-001", "1234567890", by="admin-1", now=T0)  # ten is enough


def test_setting_a_password_ends_the_users_sessions(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    set_password(sessions, "dept-water", PASSWORD, by="admin-1", now=T0)
    mine = sign_in(sessions, "op-001", PASSWORD, now=T0)
    theirs = sign_in(sessions, "dept-water", PASSWORD, now=T0)
    set_password(sessions, "op-001", None, by="admin-1", now=T0)
    assert session_for(sessions, mine.token, now=T0) is None
    assert session_for(sessions, theirs.token, now=T0) is not None


def test_a_hash_of_older_parameters_is_replaced_at_sign_in(sessions):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    with sessions.begin() as session:
        session.execute(
            update(UserRow).where(UserRow.id == "op-001").values(password_hash=weak.hash(PASSWORD))
        )
    old = stored_hash(sessions, "op-001")
    sign_in(sessions, "op-001", PASSWORD, now=T0)
    new = stored_hash(sessions, "op-001")
    assert new != old and new is not None
    assert not PasswordHasher().check_needs_rehash(new)
    sign_in(sessions, "op-001", PASSWORD, now=T0)
    assert stored_hash(sessions, "op-001") == new


# ---- lockout ------------------------------------------------------------------------------------


def test_five_failures_lock_the_user_for_fifteen_minutes(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    for n in range(MAX_FAILED_SIGN_INS - 1):
        assert refused(sessions, "op-001", "wrong", T0 + timedelta(seconds=n)) == "bad_credentials"
    assert refused(sessions, "op-001", "wrong", T0 + timedelta(seconds=10)) == "locked"
    locked_at = T0 + timedelta(seconds=10)
    assert password_state(sessions, "op-001").locked_until == locked_at + LOCKOUT
    # Locked: even the right password is refused, and more failures do not lengthen the lock.
    assert refused(sessions, "op-001", PASSWORD, locked_at + timedelta(minutes=1)) == "locked"
    assert refused(sessions, "op-001", "wrong", locked_at + timedelta(minutes=14)) == "locked"
    assert refused(sessions, "op-001", PASSWORD, locked_at + LOCKOUT - timedelta(seconds=1)) == (
        "locked"
    )
    assert password_state(sessions, "op-001").locked_until == locked_at + LOCKOUT
    # Released after fifteen minutes, with five tries again.
    sign_in(sessions, "op-001", PASSWORD, now=locked_at + LOCKOUT)
    state = password_state(sessions, "op-001")
    assert (state.failed_sign_ins, state.locked_until) == (0, None)


def test_a_success_resets_the_count_and_other_users_are_not_affected(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    set_password(sessions, "dept-water", PASSWORD, by="admin-1", now=T0)
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        refused(sessions, "op-001", "wrong")
        refused(sessions, "dept-water", "wrong")
    sign_in(sessions, "op-001", PASSWORD, now=T0)
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        assert refused(sessions, "op-001", "wrong") == "bad_credentials"
    assert refused(sessions, "dept-water", "wrong") == "locked"
    assert password_state(sessions, "op-001").failed_sign_ins == MAX_FAILED_SIGN_INS - 1


def test_an_administrator_setting_the_password_unlocks(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    for _ in range(MAX_FAILED_SIGN_INS):
        refused(sessions, "op-001", "wrong")
    assert refused(sessions, "op-001", PASSWORD) == "locked"
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    sign_in(sessions, "op-001", PASSWORD, now=T0)


def test_concurrent_failures_are_all_counted(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    attempts = MAX_FAILED_SIGN_INS - 1
    with ThreadPoolExecutor(attempts) as pool:
        reasons = list(pool.map(lambda _: refused(sessions, "op-001", "wrong"), range(attempts)))
    assert reasons == ["bad_credentials"] * attempts
    assert password_state(sessions, "op-001").failed_sign_ins == attempts
    assert refused(sessions, "op-001", "wrong") == "locked"


# ---- deactivated --------------------------------------------------------------------------------


def test_a_deactivated_user_or_department_cannot_sign_in(sessions):
    set_password(sessions, "op-001", PASSWORD, by="admin-1", now=T0)
    set_password(sessions, "dept-water", PASSWORD, by="admin-1", now=T0)
    deactivate_user(sessions, "op-001")
    assert refused(sessions, "op-001", PASSWORD) == "inactive"
    assert refused(sessions, "op-001", "wrong") == "bad_credentials"  # told the right password only
    with sessions.begin() as session:
        session.execute(
            update(DepartmentRow).where(DepartmentRow.id == "gy-water").values(active=False)
        )
    assert refused(sessions, "dept-water", PASSWORD) == "inactive"
