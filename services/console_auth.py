"""Signing in to the web console: passwords, sessions, lockout and CSRF secrets, all in SQL.

A user's console password is kept as an argon2id hash (argon2-cffi's `PasswordHasher` defaults,
rehashed at the next sign-in when those change). An administrator sets it (`set_password`), or
has a one-time password generated, which the user is asked to change (`must_change_password`
stays set until the user sets one themselves). `MAX_FAILED_SIGN_INS` consecutive wrong
passwords lock the user for `LOCKOUT`; while locked even the right password is refused, and a
success resets the count. The count and the lock live on the user's row and are changed by
single UPDATE statements, so every API process sees and counts the same failures.

A session is a random cookie token, of which only the sha256 is stored (`console_sessions`),
with a per-session CSRF secret that every console form carries back (`check_csrf`). It ends
after `SESSION_IDLE_TIMEOUT` without use (each use moves the expiry on), at sign-out, when the
user or their department is deactivated, or when the user's password is set again.

Expired sessions are deleted at each sign-in (at most `PURGE_AT_SIGN_IN`, the longest expired
first) and all at once by `purge_expired` (`hotline user purge-sessions`).

The sign-in answers do not tell which user ids exist: an id without a user has its failures
counted and locked exactly as a user's (`sign_in_guards`, keyed by the sha256 of the id), and
every refusal (unknown id, wrong password, lock) costs one argon2 verification.

Passwords, tokens and hashes are never logged nor returned by any listing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, or_, select, update

from db.engine import SessionFactory, dialect_insert
from db.tables import ConsoleSessionRow, DepartmentRow, SignInGuardRow, UserRow
from models.errors import NotFoundError, RefusedError
from services.principals import UserInfo, may_act, user_info

SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Longer input is refused before it reaches argon2 (it would only cost time)."""
ONE_TIME_PASSWORD_LENGTH = 16
ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
"""Letters and digits without the ones read alike (0/O/o, 1/l/I)."""
TOKEN_BYTES = 32
PURGE_AT_SIGN_IN = 100
"""Each sign-in deletes at most this many expired sessions (`hotline user purge-sessions` all)."""
SLIDE_EVERY = timedelta(minutes=1)
"""A session's expiry is written at most this often: a page view is not always a write."""

_hasher = PasswordHasher(type=Type.ID)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_log = logging.getLogger(__name__)

Reason = Literal["bad_credentials", "locked", "inactive"]
_MESSAGES: dict[str, str] = {
    "bad_credentials": "用户名或密码错误。",
    "locked": "密码错误次数过多，账户已临时锁定，请 15 分钟后再试或联系管理员。",
    "inactive": "该账户已停用，请联系管理员。",
}


# ---- models -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in console session. `token` (the cookie) is the only copy: just its sha256 is
    stored. `must_change_password`: the user signed in with a password set by someone else."""

    token: str = field(repr=False)
    csrf_token: str = field(repr=False)
    user: UserInfo
    expires_at: datetime
    must_change_password: bool = False


class SignInRefused(RefusedError):
    """A refused sign-in; the message, in Chinese, is for the sign-in page."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason: Reason = reason


class UnknownUserError(NotFoundError, LookupError):
    """No user with that id."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"no user {user_id!r}")
        self.user_id = user_id


class PasswordRefused(RefusedError, ValueError):
    """A password that may not be set (too short or too long); the message says why."""


@dataclass(frozen=True)
class PurgeReport:
    """What `purge_expired` deleted: expired sessions, released counters of unknown ids."""

    sessions: int
    guards: int


@dataclass(frozen=True)
class PasswordState:
    """What an administrator may see of a user's console password: never the password."""

    user_id: str
    has_password: bool
    set_at: datetime | None
    set_by: str | None
    must_change: bool
    failed_sign_ins: int
    locked_until: datetime | None


# ---- passwords ----------------------------------------------------------------------------------


def one_time_password() -> str:
    """A random password of `ONE_TIME_PASSWORD_LENGTH` unambiguous letters and digits."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_PASSWORD_LENGTH))


def check_password_rules(password: str) -> None:
    """PasswordRefused unless `password` may be set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRefused(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRefused(f"a password has at most {MAX_PASSWORD_LENGTH} characters")


def set_password(
    sessions: SessionFactory,
    user_id: str,
    password: str | None,
    *,
    by: str,
    now: datetime,
    keep_session: str | None = None,
) -> str:
    """Set `user_id`'s console password, or generate a one-time one when `password` is None;
    returns the password. It must be changed at the next sign-in unless the user set it
    themselves (`by == user_id`). Clears the failure count and any lock, and ends the user's
    console sessions (all but the one of token `keep_session`, when the user changes their own).
    UnknownUserError for an unknown user, PasswordRefused for a password too short or long."""
    stored = _store_password(
        sessions, user_id, password, by=by, now=now, only_if_unset=False, keep=keep_session
    )
    assert stored is not None  # only_if_unset=False always stores
    return stored


def set_initial_password(
    sessions: SessionFactory, user_id: str, *, by: str, now: datetime
) -> str | None:
    """A one-time password for `user_id` if they have none yet (returned), else None; of two
    processes doing this at once only one stores its password."""
    return _store_password(sessions, user_id, None, by=by, now=now, only_if_unset=True, keep=None)


def _store_password(
    sessions: SessionFactory,
    user_id: str,
    password: str | None,
    *,
    by: str,
    now: datetime,
    only_if_unset: bool,
    keep: str | None,
) -> str | None:
    chosen = one_time_password() if password is None else password
    check_password_rules(chosen)
    password_hash = _hasher.hash(chosen)  # slow: before the transaction, not inside it
    with sessions.begin() as session:
        if session.get(UserRow, user_id) is None:
            raise UnknownUserError(user_id)
        query = update(UserRow).where(UserRow.id == user_id)
        if only_if_unset:
            query = query.where(UserRow.password_hash.is_(None))
        stored = session.execute(
            query.values(
                password_hash=password_hash,
                password_set_at=now,
                password_set_by=by,
                must_change_password=password is None or by != user_id,
                failed_sign_ins=0,
                locked_until=None,
            ).returning(UserRow.id)
        ).first()
        if stored is None:
            return None
        ended = delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user_id)
        if keep is not None:
            ended = ended.where(ConsoleSessionRow.token_hash != _digest(keep))
        session.execute(ended)
    _log.info("console password of user %s set by %s", user_id, by)
    return chosen


def password_state(sessions: SessionFactory, user_id: str) -> PasswordState:
    """The console password state of `user_id`; UnknownUserError if there is no such user."""
    with sessions() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise UnknownUserError(user_id)
        return PasswordState(
            user_id=row.id,
            has_password=row.password_hash is not None,
            set_at=row.password_set_at,
            set_by=row.password_set_by,
            must_change=row.must_change_password,
            failed_sign_ins=row.failed_sign_ins,
            locked_until=row.locked_until,
        )


# ---- sign-in and sessions -----------------------------------------------------------------------


def sign_in(
    sessions: SessionFactory, user_id: str, password: str, *, now: datetime
) -> ConsoleSession:
    """A new session for `user_id` if `password` is theirs; SignInRefused otherwise: an unknown
    user, no password set or a wrong one (`bad_credentials`), a lock (`locked`, also on the
    failure that sets it), a deactivated user or department (`inactive`, told only to whoever
    gave the right password).

    An id without a user is counted and locked as a user is (`sign_in_guards`), and every
    refusal costs one argon2 verification, so neither the answer nor its time tells whether
    the id exists."""
    with sessions() as session:
        found = session.execute(
            select(UserRow, DepartmentRow.active)
            .outerjoin(DepartmentRow, DepartmentRow.id == UserRow.department)
            .where(UserRow.id == user_id)
        ).one_or_none()
        if found is not None:
            session.expunge(found[0])
    if len(password) > MAX_PASSWORD_LENGTH:
        _verify(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])  # the same time as any refusal
        raise SignInRefused("bad_credentials")
    if found is None:
        _refuse_unknown(sessions, user_id, password, now)
    user, department_active = found
    if user.locked_until is not None and user.locked_until > now:
        _verify(_DUMMY_HASH, password)
        raise SignInRefused("locked")
    right = _verify(user.password_hash or _DUMMY_HASH, password) and user.password_hash is not None
    if not right:
        if _count_failure(sessions, user_id, now):
            raise SignInRefused("locked")
        raise SignInRefused("bad_credentials")
    if not may_act(user, department_active):
        raise SignInRefused("inactive")
    return _open_session(sessions, user, password, now)


def _failure_values(failures: Any, locked_until: Any, now: datetime) -> dict[str, Any]:
    """One more failure, as SQL over the stored count and lock: the count goes up, or at
    `MAX_FAILED_SIGN_INS` back to 0 with a lock of `LOCKOUT` from `now`."""
    locks = failures + 1 >= MAX_FAILED_SIGN_INS
    return {
        "failed": case((locks, 0), else_=failures + 1),
        "locked_until": case((locks, now + LOCKOUT), else_=locked_until),
    }


def _count_failure(sessions: SessionFactory, user_id: str, now: datetime) -> bool:
    """Count a failed sign-in in one statement; True if it locked the user (count back to 0)."""
    values = _failure_values(UserRow.failed_sign_ins, UserRow.locked_until, now)
    with sessions.begin() as session:
        locked_until = session.execute(
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(failed_sign_ins=values["failed"], locked_until=values["locked_until"])
            .returning(UserRow.locked_until)
        ).scalar_one_or_none()
    locked = locked_until is not None and locked_until > now
    if locked:
        _log.warning("user %s locked out of the console until %s", user_id, locked_until)
    return locked


def _refuse_unknown(
    sessions: SessionFactory, user_id: str, password: str, now: datetime
) -> NoReturn:
    """The refusal of an id without a user: counted and locked under the id's sha256 exactly
    as a user's failures are, after the same argon2 verification."""
    key = _digest(user_id)
    with sessions() as session:
        guard = session.get(SignInGuardRow, key)
        locked = guard is not None and guard.locked_until is not None and guard.locked_until > now
    _verify(_DUMMY_HASH, password)
    if locked:
        raise SignInRefused("locked")
    values = _failure_values(SignInGuardRow.failures, SignInGuardRow.locked_until, now)
    with sessions.begin() as session:
        insert = dialect_insert(session.get_bind().dialect.name, SignInGuardRow)
        locked_until = session.execute(
            insert.values(key_hash=key, failures=1, locked_until=None)
            .on_conflict_do_update(
                index_elements=[SignInGuardRow.key_hash],
                set_={"failures": values["failed"], "locked_until": values["locked_until"]},
            )
            .returning(SignInGuardRow.locked_until)
        ).scalar_one()
    if locked_until is not None and locked_until > now:
        _log.warning("an unknown user id locked out of the console until %s", locked_until)
        raise SignInRefused("locked")
    raise SignInRefused("bad_credentials")


def purge_expired(
    sessions: SessionFactory, *, now: datetime, limit: int | None = None
) -> PurgeReport:
    """Delete expired console sessions (at most `limit`, the longest expired first) and the
    counters of unknown ids whose lock has passed with no failure since (such a row answers
    as no row would)."""
    expired = select(ConsoleSessionRow.token_hash).where(ConsoleSessionRow.expires_at <= now)
    if limit is not None:
        expired = expired.order_by(ConsoleSessionRow.expires_at).limit(limit)
    with sessions.begin() as session:
        ended = session.execute(
            delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash.in_(expired))
        )
        released = session.execute(
            delete(SignInGuardRow).where(
                SignInGuardRow.failures == 0,
                or_(SignInGuardRow.locked_until.is_(None), SignInGuardRow.locked_until <= now),
            )
        )
    return PurgeReport(sessions=_count(ended), guards=_count(released))


def _open_session(
    sessions: SessionFactory, user: UserRow, password: str, now: datetime
) -> ConsoleSession:
    values: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None}
    assert user.password_hash is not None
    if _hasher.check_needs_rehash(user.password_hash):
        values["password_hash"] = _hasher.hash(password)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf_token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + SESSION_IDLE_TIMEOUT
    with sessions.begin() as session:
        session.execute(update(UserRow).where(UserRow.id == user.id).values(values))
        session.add(
            ConsoleSessionRow(
                token_hash=_digest(token),
                user_id=user.id,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )
    purge_expired(sessions, now=now, limit=PURGE_AT_SIGN_IN)
    return ConsoleSession(token, csrf_token, user_info(user), expires_at, user.must_change_password)


def session_for(sessions: SessionFactory, token: str, *, now: datetime) -> ConsoleSession | None:
    """The session of cookie `token`, its idle expiry moved on; None if unknown, expired, or of
    a user who may no longer act (deactivated, or of a deactivated department)."""
    if not token or len(token) > 2 * TOKEN_BYTES:
        return None
    digest = _digest(token)
    with sessions() as session:
        found = session.execute(
            select(ConsoleSessionRow, UserRow, DepartmentRow.active)
            .join(UserRow, UserRow.id == ConsoleSessionRow.user_id)
            .outerjoin(DepartmentRow, DepartmentRow.id == UserRow.department)
            .where(ConsoleSessionRow.token_hash == digest)
        ).one_or_none()
        if found is None:
            return None
        row, user, department_active = found
        if row.expires_at <= now:
            session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == digest))
            session.commit()
            return None
        if not may_act(user, department_active):
            return None
        expires_at = row.expires_at
        if now - row.last_seen_at >= SLIDE_EVERY:
            expires_at = now + SESSION_IDLE_TIMEOUT
            session.execute(
                update(ConsoleSessionRow)
                .where(ConsoleSessionRow.token_hash == digest)
                .values(last_seen_at=now, expires_at=expires_at)
            )
            session.commit()
        return ConsoleSession(
            token, row.csrf_token, user_info(user), expires_at, user.must_change_password
        )


def sign_out(sessions: SessionFactory, token: str) -> None:
    """End the session of cookie `token` (nothing happens for an unknown one)."""
    with sessions.begin() as session:
        session.execute(
            delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == _digest(token))
        )


def check_csrf(session: ConsoleSession, submitted: str | None) -> bool:
    """Whether a form carried the session's CSRF secret (compared in constant time)."""
    if not submitted:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), submitted.encode())


def _count(result: object) -> int:
    """The rows a DELETE removed."""
    return int(getattr(result, "rowcount", 0) or 0)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
