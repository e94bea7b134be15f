"""Bearer tokens of the users of `services.principals`: issue, list, revoke, and authenticate.

A token reads `hl_<token_id>_<secret>`. The token id is a short random public id (the primary key
of `api_tokens`, safe to show and log); the secret comes from `secrets.token_urlsafe(32)`, is
shown once when the token is issued, and is stored only as an argon2id hash.

argon2 is deliberately slow, so `authenticate` remembers each successful verification in-process
for `CACHE_TTL_SECONDS` (60 s), keyed by the SHA-256 of the full token; a failed verification is
never remembered. The token row, its user and the user's department are still read on every
call: a revocation, a deactivated user or a deactivated department (`DepartmentRow.active`),
made by this process or any other, refuses the token on its very next use, well within the
cache's TTL. `revoke_token` also drops the local cache entries of the token.
`last_used_at` is written when the secret is verified, so it is accurate to about the TTL.

Neither secrets nor hashes are ever logged or returned by the listing functions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update

from db.engine import SessionFactory
from db.tables import ApiTokenRow, DepartmentRow, UserRow
from rules.permissions import Principal, Role
from services.principals import may_act

TOKEN_PREFIX = "hl"
TOKEN_ID_BYTES = 8
SECRET_BYTES = 32
CACHE_TTL_SECONDS = 60.0
CACHE_MAX_ENTRIES = 1024

_TOKEN = re.compile(r"hl_(?P<token_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{32,128})")

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


# ---- models -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued token: `token` is the only copy of the secret, show it once."""

    token_id: str
    token: str = field(repr=False)


class TokenInfo(BaseModel):
    """A token as listed: its public id and dates, never its secret or hash."""

    model_config = ConfigDict(frozen=True)

    token_id: str
    user_id: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# ---- the verification cache ---------------------------------------------------------------------


class VerificationCache:
    """Successful token verifications of this process: SHA-256 of the token → token id, expiry.

    Thread-safe (the API verifies tokens in a thread pool) and bounded: beyond `max_entries` the
    oldest entry goes. Only successes are stored.
    """

    def __init__(
        self,
        ttl_seconds: float = CACHE_TTL_SECONDS,
        max_entries: int = CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def hit(self, digest: str, token_id: str) -> bool:
        """Whether this token was verified, as `token_id`, less than the TTL ago."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return False
            cached_id, expires = entry
            if cached_id != token_id or self._clock() >= expires:
                del self._entries[digest]
                return False
            return True

    def store(self, digest: str, token_id: str) -> None:
        with self._lock:
            self._entries[digest] = (token_id, self._clock() + self.ttl_seconds)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_token(self, token_id: str) -> None:
        """Drop every entry of `token_id` (on revocation, or a refused token)."""
        with self._lock:
            for digest in [d for d, (t, _) in self._entries.items() if t == token_id]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = VerificationCache()


def verification_cache() -> VerificationCache:
    """The process-wide cache `authenticate` and `revoke_token` use by default."""
    return _cache


# ---- tokens -------------------------------------------------------------------------------------


def parse_token(token: str) -> tuple[str, str] | None:
    """(token id, secret) of a well-formed token string, else None."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    return match["token_id"], match["secret"]


def issue_token(sessions: SessionFactory, user_id: str) -> IssuedToken:
    """A new token for an active user. The returned `token` is the only copy of the secret."""
    token_id = secrets.token_hex(TOKEN_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    secret_hash = _hasher.hash(secret)  # slow: before the transaction, not inside it
    with sessions.begin() as session:
        user = session.get(UserRow, user_id)
        if user is None:
            raise ValueError(f"no user {user_id!r}")
        if not user.active:
            raise ValueError(f"user {user_id!r} is deactivated")
        department = session.get(DepartmentRow, user.department) if user.department else None
        if not may_act(user, None if department is None else department.active):
            raise ValueError(
                f"user {user_id!r} belongs to deactivated department {user.department!r}"
            )
        session.add(
            ApiTokenRow(
                id=token_id,
                user_id=user_id,
                secret_hash=secret_hash,
                created_at=datetime.now(UTC),
            )
        )
    return IssuedToken(token_id=token_id, token=f"{TOKEN_PREFIX}_{token_id}_{secret}")


def revoke_token(
    sessions: SessionFactory, token_id: str, *, cache: VerificationCache | None = None
) -> bool:
    """Revoke a token: True if it was active, False if unknown or already revoked."""
    with sessions.begin() as session:
        revoked = session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
            .returning(ApiTokenRow.id)
        ).first()
    (_cache if cache is None else cache).forget_token(token_id)
    return revoked is not None


def get_token(sessions: SessionFactory, token_id: str) -> TokenInfo | None:
    """One token's public information, or None if there is no such token."""
    with sessions() as session:
        row = session.get(ApiTokenRow, token_id)
        return None if row is None else _token_info(row)


def list_tokens(sessions: SessionFactory, user_id: str | None = None) -> list[TokenInfo]:
    """Every token (of `user_id` if given), oldest first; revoked ones included."""
    query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
    if user_id is not None:
        query = query.where(ApiTokenRow.user_id == user_id)
    with sessions() as session:
        return [_token_info(row) for row in session.scalars(query)]


def authenticate(
    sessions: SessionFactory, token: str, *, cache: VerificationCache | None = None
) -> Principal | None:
    """The principal a token stands for; None if malformed, unknown, revoked, of a deactivated
    user or of a user whose department is deactivated, or if its secret does not match.
    Blocking (database, argon2): call it in a thread."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    token_id, secret = parsed
    cache = _cache if cache is None else cache
    digest = hashlib.sha256(token.encode()).hexdigest()
    with sessions() as session:
        found = session.execute(
            select(ApiTokenRow, UserRow, DepartmentRow.active)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .outerjoin(DepartmentRow, DepartmentRow.id == UserRow.department)
            .where(ApiTokenRow.id == token_id)
        ).one_or_none()
        if found is None:
            cache.forget_token(token_id)
            return None
        row, user, department_active = found
        if row.revoked_at is not None or not may_act(user, department_active):
            cache.forget_token(token_id)
            return None
        if not cache.hit(digest, token_id):
            if not _verify(row.secret_hash, secret):
                return None
            cache.store(digest, token_id)
            values: dict[str, Any] = {"last_used_at": datetime.now(UTC)}
            if _hasher.check_needs_rehash(row.secret_hash):
                values["secret_hash"] = _hasher.hash(secret)
            session.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(values))
            session.commit()
        return Principal(user_id=user.id, role=Role(user.role), department=user.department)


def _verify(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def _token_info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        token_id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
