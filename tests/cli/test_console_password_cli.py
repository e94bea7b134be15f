"""`hotline user set-password` as an administrator runs it: a subprocess on a migrated SQLite
database; the passwords it sets are checked by signing in; and the dev stack's table of the
demo users' one-time passwords."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli.devstack import console_users, load_config
from db.engine import make_engine, session_factory
from db.seed import seed_demo
from migrations.runner import upgrade
from rules.permissions import Role
from services.console_auth import ONE_TIME_PASSWORD_LENGTH, password_state, sign_in
from services.demo_users import DEMO_USERS, DemoCredential
from services.principals import add_user
from tests.cli.runner import ROOT

NOW = datetime.now(UTC)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    seed_demo(sessions)
    add_user(sessions, "op-001", "张三", Role.OPERATOR)
    return url


def set_password(database: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "user", "set-password", *args],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": database, "COLUMNS": "200", "NO_COLOR": "1"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr
    return result


def test_a_generated_one_time_password_is_printed_once(database):
    result = set_password(database, "op-001", "--by", "admin-1")
    assert result.returncode == 0, result.stderr
    password = result.stdout.strip()
    assert len(password) == ONE_TIME_PASSWORD_LENGTH
    assert password not in result.stderr
    assert "only once" in result.stderr
    sessions = session_factory(make_engine(database))
    assert sign_in(sessions, "op-001", password, now=NOW).must_change_password
    state = password_state(sessions, "op-001")
    assert (state.set_by, state.must_change) == ("admin-1", True)


def test_a_password_from_stdin(database):
    result = set_password(database, "op-001", "--password-stdin", stdin="a good long password\n")
    assert result.returncode == 0, result.stderr
    assert "a good long password" not in result.stdout + result.stderr
    sessions = session_factory(make_engine(database))
    sign_in(sessions, "op-001", "a good long password", now=NOW)
    assert password_state(sessions, "op-001").set_by == "cli"


def test_unknown_users_and_short_passwords_are_bad_input(database):
    unknown = set_password(database, "nobody")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert "no user 'nobody'" in unknown.stderr
    short = set_password(database, "op-001", "--password-stdin", stdin="short\n")
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr
    empty = set_password(database, "op-001", "--password-stdin")
    assert empty.returncode == 2
    assert not password_state(session_factory(make_engine(database)), "op-001").has_password


def test_the_dev_stack_prints_the_demo_users_one_time_passwords_once():
    config = load_config(ROOT / "temporal-dev.yml")
    given = [
        DemoCredential(user_id, role, department, f"password-of-{user_id}")
        for user_id, _, role, department in DEMO_USERS
    ]
    table = console_users(given, config)
    assert table.startswith("console users")
    for credential in given:
        [line] = [line for line in table.splitlines() if credential.password in line]
        assert credential.user_id in line and credential.role.value in line
    assert "gy-market" in table
    assert "have their passwords already" in console_users([], config)
