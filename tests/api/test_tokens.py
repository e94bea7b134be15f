"""API users and tokens on real databases: issue, verify, revoke, deactivate, the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from db.seed import seed_demo
from db.tables import ApiTokenRow, UserRow
from rules.permissions import Principal, Role
from services.principals import add_user, deactivate_user, get_user, list_users
from services.tokens import (
    CACHE_TTL_SECONDS,
    VerificationCache,
    authenticate,
    get_token,
    issue_token,
    list_tokens,
    parse_token,
    revoke_token,
    verification_cache,
)

TOKEN_FORMAT = re.compile(r"hl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sessions(session_factory):
    seed_demo(session_factory)
    add_user(session_factory, "op-001", "张三", Role.OPERATOR)
    add_user(session_factory, "dept-water", "李四", "department", "gy-water")
    return session_factory


@pytest.fixture
def cache() -> VerificationCache:
    return VerificationCache(clock=FakeClock())


def secret_of(token: str) -> str:
    parsed = parse_token(token)
    assert parsed is not None
    return parsed[1]


def stored_hash(sessions, token_id: str):
    with sessions() as session:
        return session.scalars(
            select(ApiTokenRow.secret_hash).where(ApiTokenRow.id == token_id)
        ).one()


# ---- issue and verify ---------------------------------------------------------------------------


def test_an_issued_token_authenticates_as_its_user(sessions, cache):
    issued = issue_token(sessions, "op-001")
    assert TOKEN_FORMAT.fullmatch(issued.token)
    assert issued.token.startswith(f"hl_{issued.token_id}_")
    assert issued.token not in repr(issued)
    assert authenticate(sessions, issued.token, cache=cache) == Principal("op-001", Role.OPERATOR)

    department = issue_token(sessions, "dept-water")
    assert authenticate(sessions, department.token, cache=cache) == Principal(
        "dept-water", Role.DEPARTMENT, "gy-water"
    )


def test_each_token_is_distinct(sessions):
    first, second = issue_token(sessions, "op-001"), issue_token(sessions, "op-001")
    assert first.token_id != second.token_id
    assert secret_of(first.token) != secret_of(second.token)


def test_the_secret_is_stored_only_as_an_argon2id_hash(sessions):
    issued = issue_token(sessions, "op-001")
    secret = secret_of(issued.token)
    secret_hash = stored_hash(sessions, issued.token_id)
    assert secret_hash.startswith("$argon2id$")
    assert secret not in secret_hash
    assert issued.token not in secret_hash
    assert PasswordHasher().verify(secret_hash, secret)
    listed = get_token(sessions, issued.token_id).model_dump_json()
    assert secret not in listed
    assert "argon2" not in listed


def test_a_wrong_secret_or_a_malformed_token_is_refused(sessions, cache):
    issued = issue_token(sessions, "op-001")
    secret = secret_of(issued.token)
    wrong = f"hl_{issued.token_id}_{'A' * len(secret)}"
    for token in [
        wrong,
        "",
        "garbage",
        issued.token + "x" * 200,
        issued.token.replace("hl_", "xx_", 1),
        f"hl_{'0' * 16}_{secret}",  # the right secret under another (unknown) id
    ]:
        assert authenticate(sessions, token, cache=cache) is None
    assert len(cache) == 0  # failures are never cached


def test_a_failure_is_never_cached_as_a_success(sessions, cache):
    issued = issue_token(sessions, "op-001")
    secret = secret_of(issued.token)
    wrong = f"hl_{issued.token_id}_{'B' * len(secret)}"
    assert authenticate(sessions, wrong, cache=cache) is None
    assert authenticate(sessions, issued.token, cache=cache) is not None
    assert len(cache) == 1
    assert authenticate(sessions, wrong, cache=cache) is None  # the right token's entry: no help


def test_authentication_records_last_use(sessions, cache):
    issued = issue_token(sessions, "op-001")
    assert get_token(sessions, issued.token_id).last_used_at is None
    before = datetime.now(UTC)
    authenticate(sessions, issued.token, cache=cache)
    last_used = get_token(sessions, issued.token_id).last_used_at
    assert last_used is not None
    assert last_used >= before.replace(microsecond=0)


# ---- the verification cache ---------------------------------------------------------------------


def test_the_cache_skips_argon2_within_its_ttl_only(sessions, cache):
    issued = issue_token(sessions, "op-001")
    assert authenticate(sessions, issued.token, cache=cache) is not None
    # Replace the stored hash: only a cached verification still lets the token in.
    with sessions.begin() as session:
        session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == issued.token_id)
            .values(secret_hash=PasswordHasher().hash("another secret"))
        )
    assert authenticate(sessions, issued.token, cache=cache) is not None
    cache._clock.now += CACHE_TTL_SECONDS + 1
    assert authenticate(sessions, issued.token, cache=cache) is None
    assert authenticate(sessions, issued.token, cache=cache) is None


def test_a_revocation_elsewhere_is_not_bypassed_by_the_cache(sessions, cache):
    issued = issue_token(sessions, "op-001")
    assert authenticate(sessions, issued.token, cache=cache) is not None
    assert len(cache) == 1
    # Another process revokes the token: this process's cache still holds the verification.
    with sessions.begin() as session:
        session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == issued.token_id)
            .values(revoked_at=datetime.now(UTC))
        )
    assert authenticate(sessions, issued.token, cache=cache) is None
    assert len(cache) == 0


def test_revoking_refuses_the_token_and_clears_its_cache_entry(sessions, cache):
    issued = issue_token(sessions, "op-001")
    other = issue_token(sessions, "op-001")
    assert authenticate(sessions, issued.token, cache=cache) is not None
    assert authenticate(sessions, other.token, cache=cache) is not None
    assert len(cache) == 2
    assert revoke_token(sessions, issued.token_id, cache=cache) is True
    assert len(cache) == 1
    assert authenticate(sessions, issued.token, cache=cache) is None
    assert authenticate(sessions, other.token, cache=cache) is not None
    assert revoke_token(sessions, issued.token_id, cache=cache) is False  # already revoked
    assert revoke_token(sessions, "0" * 16, cache=cache) is False  # unknown
    assert get_token(sessions, issued.token_id).revoked_at is not None
    assert get_token(sessions, issued.token_id).active is False


def test_revoke_token_clears_the_process_cache_by_default(sessions):
    issued = issue_token(sessions, "op-001")
    shared = verification_cache()
    try:
        assert authenticate(sessions, issued.token) is not None
        assert shared.hit(_digest(issued.token), issued.token_id)
        revoke_token(sessions, issued.token_id)
        assert not shared.hit(_digest(issued.token), issued.token_id)
        assert authenticate(sessions, issued.token) is None
    finally:
        shared.clear()


def test_a_deactivated_users_tokens_are_refused_at_once(sessions, cache):
    issued = issue_token(sessions, "op-001")
    assert authenticate(sessions, issued.token, cache=cache) is not None
    assert deactivate_user(sessions, "op-001") is True
    assert authenticate(sessions, issued.token, cache=cache) is None
    assert deactivate_user(sessions, "op-001") is False
    assert get_user(sessions, "op-001").active is False
    with pytest.raises(ValueError, match="is deactivated"):
        issue_token(sessions, "op-001")
    with pytest.raises(ValueError, match="no user 'nobody'"):
        deactivate_user(sessions, "nobody")


def test_the_cache_is_bounded(cache):
    small = VerificationCache(max_entries=2, clock=FakeClock())
    for n in range(3):
        small.store(f"digest-{n}", f"token-{n}")
    assert len(small) == 2
    assert not small.hit("digest-0", "token-0")
    assert small.hit("digest-2", "token-2")
    assert not small.hit("digest-2", "token-1")  # bound to its token id


# ---- users --------------------------------------------------------------------------------------


def test_a_token_needs_an_existing_user(sessions):
    with pytest.raises(ValueError, match="no user 'ghost'"):
        issue_token(sessions, "ghost")


@pytest.mark.parametrize(
    ("user_id", "name", "role", "department", "error"),
    [
        ("dept-x", "王五", "department", "gy-nowhere", "unknown department 'gy-nowhere'"),
        ("dept-x", "王五", "department", None, "role department needs a department"),
        ("op-002", "王五", "operator", "gy-water", "only users of role department"),
        ("op-001", "王五", "operator", None, "user 'op-001' already exists"),
        ("boss", "王五", "mayor", None, "unknown role 'mayor'"),
        ("bad id", "王五", "operator", None, "invalid user id"),
        ("op-003", "   ", "operator", None, "name must have"),
    ],
)
def test_add_user_refuses_with_a_clear_reason(sessions, user_id, name, role, department, error):
    with pytest.raises(ValueError, match=error):
        add_user(sessions, user_id, name, role, department)


def test_users_and_tokens_are_listed_without_secrets(sessions):
    add_user(sessions, "aud-1", "赵六", Role.AUDITOR)
    assert [(u.id, u.role, u.department) for u in list_users(sessions)] == [
        ("aud-1", Role.AUDITOR, None),
        ("dept-water", Role.DEPARTMENT, "gy-water"),
        ("op-001", Role.OPERATOR, None),
    ]
    first = issue_token(sessions, "op-001")
    second = issue_token(sessions, "aud-1")
    assert {t.token_id for t in list_tokens(sessions)} == {first.token_id, second.token_id}
    assert [t.token_id for t in list_tokens(sessions, "aud-1")] == [second.token_id]
    assert list_tokens(sessions, "dept-water") == []
    assert set(type(list_tokens(sessions)[0]).model_fields) == {
        "token_id",
        "user_id",
        "created_at",
        "revoked_at",
        "last_used_at",
    }


def test_the_database_enforces_the_department_rule(sessions):
    for role, department in [("department", None), ("operator", "gy-water"), ("mayor", None)]:
        with pytest.raises(IntegrityError), sessions.begin() as session:
            session.add(
                UserRow(
                    id="x-1",
                    name="x",
                    role=role,
                    department=department,
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )


def _digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()
