"""`hotline audit verify`: exit codes and messages, on a migrated SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.audit_verify import verify
from db.engine import SessionFactory, make_engine, session_factory
from migrations.runner import upgrade
from tests.audit.conftest import archive_case, case_no, execute, record_case
from tests.cli.runner import run_cli

A, B = case_no(1), case_no(2)

app = typer.Typer()
app.command()(verify)
runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    record_case(sessions, A, 3)
    record_case(sessions, B, 2)
    archive_case(sessions, A)
    return url


def sessions_of(url: str) -> SessionFactory:
    return session_factory(make_engine(url))


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_an_intact_database_exits_0(database):
    assert run("--url", database) == (
        0,
        "verified: 5 transitions of 2 cases, 1 archives: intact\n",
        "",
    )
    assert run("--all", "--database-url", database)[0] == 0
    assert run(A, "--url", database)[:2] == (
        0,
        "verified: 3 transitions of 1 cases, 1 archives: intact\n",
    )


def test_findings_exit_1_one_line_each(database):
    execute(sessions_of(database), "DELETE FROM case_transitions WHERE case_no = :c", c=A)
    execute(sessions_of(database), "UPDATE case_transitions SET actor = 'x' WHERE seq = 2")

    code, out, err = run("--url", database)

    assert code == 1
    assert out.splitlines() == [
        f"altered: case {B}, transition seq 2 (dispatch): its content no longer matches its hash",
        f"removed: transitions removed after archiving: case {A} was archived with 3 "
        "transitions, its log now ends at seq 0",
    ]
    assert err == "verified: 2 transitions of 1 cases, 1 archives: 2 findings\n"
    code, out, _ = run(B, "--url", database)
    assert code == 1 and len(out.splitlines()) == 1


def test_json_report(database):
    execute(sessions_of(database), "UPDATE case_archives SET history_json = '{}'")

    code, out, _ = run("--json", "--url", database)

    assert code == 1
    document = json.loads(out)
    assert (document["intact"], document["archives"], document["transitions"]) == (False, 1, 5)
    assert [
        (f["kind"], f["chain"], f["case_no"], f["chain_seq"]) for f in document["findings"]
    ] == [("altered", "archive", A, 1)]
    code, out, _ = run(B, "--json", "--url", database)
    assert code == 0 and json.loads(out)["intact"] is True


def test_bad_input_exits_2(database):
    code, _, err = run("not-a-case", "--url", database)
    assert code == 2 and "is not a case number" in err
    code, _, err = run(A, "--all", "--url", database)
    assert code == 2 and "not both" in err
    code, _, err = run(case_no(99), "--url", database)
    assert code == 2 and f"no transitions and no archive of case {case_no(99)}" in err


def test_an_unmigrated_database_exits_3(tmp_path):
    code, _, err = run("--url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 3 and "hotline db upgrade" in err


def test_the_hotline_command(database):
    result = run_cli("audit", "verify", environ={"DATABASE_URL": database})
    assert (result.returncode, result.stdout) == (
        0,
        "verified: 5 transitions of 2 cases, 1 archives: intact\n",
    ), result.stderr
