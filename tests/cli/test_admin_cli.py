"""`hotline user ...` and `hotline token ...` as an administrator runs them: a subprocess on a
migrated SQLite database; the tokens it prints are checked against the database directly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from db.engine import make_engine, session_factory
from db.seed import seed_demo
from db.tables import ApiTokenRow
from migrations.runner import upgrade
from rules.permissions import Principal, Role
from services.tokens import VerificationCache, authenticate
from tests.cli.runner import run_cli


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    seed_demo(session_factory(make_engine(url)))
    return url


def hotline(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args, environ={"DATABASE_URL": database})
    assert "Traceback" not in result.stderr
    return result


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    return result


def test_issue_authenticate_list_revoke(database):
    sessions = session_factory(make_engine(database))
    water = ["--role", "department", "--department", "gy-water"]
    ok(hotline(database, "user", "add", "dept-001", "--name", "李四", *water))
    added = ok(hotline(database, "user", "add", "op-001", "--name", "张三", "--role", "operator"))
    assert "op-001" in added.stdout

    users = json.loads(ok(hotline(database, "user", "list", "--json")).stdout)
    assert [(u["id"], u["role"], u["department"], u["active"]) for u in users] == [
        ("dept-001", "department", "gy-water", True),
        ("op-001", "operator", None, True),
    ]

    issued = ok(hotline(database, "token", "issue", "dept-001"))
    token = issued.stdout.strip()
    assert "only once" in issued.stderr
    assert token not in issued.stderr
    assert authenticate(sessions, token, cache=VerificationCache()) == Principal(
        "dept-001", Role.DEPARTMENT, "gy-water"
    )
    token_id = token.split("_")[1]
    assert token_id in issued.stderr

    listed = ok(hotline(database, "token", "list", "--user", "dept-001", "--json"))
    assert token.split("_", 2)[2] not in listed.stdout  # never the secret
    [entry] = json.loads(listed.stdout)
    assert (entry["token_id"], entry["user_id"], entry["revoked_at"]) == (
        token_id,
        "dept-001",
        None,
    )
    assert entry["last_used_at"] is not None
    assert (
        json.loads(ok(hotline(database, "token", "list", "--user", "op-001", "--json")).stdout)
        == []
    )
    assert token_id in ok(hotline(database, "token", "list")).stdout

    revoked = ok(hotline(database, "token", "revoke", token_id))
    assert "revoked" in revoked.stdout
    assert authenticate(sessions, token, cache=VerificationCache()) is None
    with sessions() as session:
        assert session.get(ApiTokenRow, token_id).revoked_at is not None
    again = ok(hotline(database, "token", "revoke", token_id))
    assert "already revoked" in again.stdout


def test_deactivating_a_user_stops_their_tokens(database):
    sessions = session_factory(make_engine(database))
    ok(hotline(database, "user", "add", "aud-001", "--name", "赵六", "--role", "auditor"))
    token = ok(hotline(database, "token", "issue", "aud-001")).stdout.strip()
    assert authenticate(sessions, token, cache=VerificationCache()) is not None
    assert "deactivated" in ok(hotline(database, "user", "deactivate", "aud-001")).stdout
    assert authenticate(sessions, token, cache=VerificationCache()) is None
    assert "inactive" in ok(hotline(database, "user", "list")).stdout
    refused = hotline(database, "token", "issue", "aud-001")
    assert refused.returncode == 2
    assert "deactivated" in refused.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["user", "add", "d-1", "--name", "x", "--role", "department"], 2, "needs a department"),
        (
            ["user", "add", "d-1", "--name", "x", "--role", "department", "--department", "nope"],
            2,
            "unknown department 'nope'",
        ),
        (
            ["user", "add", "o-1", "--name", "x", "--role", "operator", "--department", "gy-water"],
            2,
            "only users of role department",
        ),
        (["user", "add", "o-1", "--name", "x", "--role", "mayor"], 2, "is not a role"),
        (["user", "deactivate", "ghost"], 2, "no user 'ghost'"),
        (["token", "issue", "ghost"], 2, "no user 'ghost'"),
        (["token", "revoke", "0123456789abcdef"], 2, "no token '0123456789abcdef'"),
    ],
)
def test_bad_input_is_a_clear_error(database, args, code, message):
    result = hotline(database, *args)
    assert result.returncode == code
    assert message in " ".join(result.stderr.split())


def test_a_duplicate_user_is_refused(database):
    ok(hotline(database, "user", "add", "op-001", "--name", "张三", "--role", "operator"))
    again = hotline(database, "user", "add", "op-001", "--name", "王五", "--role", "operator")
    assert again.returncode == 2
    assert "user 'op-001' already exists" in again.stderr


def test_an_unmigrated_database_is_exit_3(tmp_path):
    result = hotline(f"sqlite:///{tmp_path / 'empty.db'}", "user", "list")
    assert result.returncode == 3
    assert "hotline db upgrade" in result.stderr
