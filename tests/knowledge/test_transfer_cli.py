"""`hotline kb import` and `hotline kb export` (as `register` adds them to the `kb` group) with
their output and exit codes: 0 done, 1 refused (nothing imported), 2 bad input, 3 the database
cannot be used. The commands run on a fresh SQLite file; the export and its re-import also on
PostgreSQL (`store_database_url`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from cli.knowledge_transfer import register
from db.engine import SessionFactory, make_engine
from db.engine import session_factory as make_sessions
from db.seed import seed_demo
from tests.cli.runner import run_cli
from tests.knowledge.test_transfer import (
    FIXTURES,
    article,
    count_articles,
    csv_file,
    fresh_sqlite,
    stored_fields,
)

kb_app = typer.Typer(no_args_is_help=True)
register(kb_app)
runner = CliRunner()


def kb(database: str, *args: str) -> Result:
    result = runner.invoke(kb_app, [*args, "--url", database])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A fresh migrated SQLite file with the demo departments."""
    fresh_sqlite(tmp_path / "hotline.db")
    return f"sqlite:///{tmp_path / 'hotline.db'}"


@pytest.fixture
def sessions(database: str) -> SessionFactory:
    return _sessions(database)


def test_import_prints_a_summary_and_exits_0(database: str, sessions: SessionFactory) -> None:
    done = kb(database, "import", str(FIXTURES / "articles.csv"), "--by", "adm-1")
    assert (done.exit_code, done.stdout.strip()) == (
        0,
        "imported 3 article(s) (read as utf-8-sig)",
    )
    chinese = kb(database, "import", str(FIXTURES / "articles_zh_gb18030.csv"), "--by", "adm-1")
    assert chinese.exit_code == 0 and "(read as gb18030)" in chinese.stdout
    document = kb(database, "import", str(FIXTURES / "articles.json"), "--by", "adm-1", "--json")
    assert document.exit_code == 0, document.stderr
    report = json.loads(document.stdout)
    assert (report["imported"], report["format"], report["errors"]) == (2, "json", [])
    assert count_articles(sessions) == 7


def test_a_refused_file_lists_every_problem_and_exits_1(
    database: str, sessions: SessionFactory
) -> None:
    refused = kb(database, "import", str(FIXTURES / "mixed.csv"), "--by", "adm-1")
    assert refused.exit_code == 1 and refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[0] == (
        "refused: nothing imported: 7 problem(s) in the file (7 article(s) read) (read as utf-8)"
    )
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in lines[1:]] == [
        "line 5: title",
        "line 5: material_type",
        "line 7: department",
        "line 7: review_by",
        "line 8: keywords",
        "line 8: effective_from",
        "line 11: title",
    ]
    assert lines[-1] == "line 11: title: the same title is on line 2: titles must be unique"
    as_json = kb(database, "import", str(FIXTURES / "mixed.csv"), "--by", "adm-1", "--json")
    assert as_json.exit_code == 1
    assert len(json.loads(as_json.stdout)["errors"]) == 7
    assert count_articles(sessions) == 0


def test_a_dry_run_writes_nothing(database: str, sessions: SessionFactory) -> None:
    checked = kb(database, "import", str(FIXTURES / "articles.csv"), "--by", "a", "--dry-run")
    assert checked.exit_code == 0
    assert checked.stdout.startswith("dry run: all 3 article(s) can be imported; nothing written")
    assert count_articles(sessions) == 0


def test_bad_input_exits_2(database: str, tmp_path: Path) -> None:
    missing = kb(database, "import", str(tmp_path / "nowhere.csv"), "--by", "adm-1")
    assert missing.exit_code == 2 and "no file" in missing.stderr
    assert "nowhere.csv" in missing.stderr
    text = tmp_path / "articles.txt"
    text.write_bytes(csv_file([article()]))
    unknown = kb(database, "import", str(text), "--by", "adm-1")
    assert unknown.exit_code == 2
    assert "cannot tell the format of 'articles.txt'" in unknown.stderr
    given = kb(database, "import", str(text), "--by", "adm-1", "--format", "csv")
    assert given.exit_code == 0, given.stderr
    no_by = kb(database, "import", str(text))
    assert no_by.exit_code == 2 and "--by" in no_by.stderr


def test_an_unmigrated_database_exits_3(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    failed = kb(url, "import", str(FIXTURES / "articles.csv"), "--by", "adm-1")
    assert failed.exit_code == 3 and "is it migrated?" in failed.stderr
    exported = kb(url, "export")
    assert (exported.exit_code, exported.stdout) == (3, "")  # no header without the articles


def test_export_to_stdout_or_a_file_and_back_into_a_fresh_database(
    store_database_url: str, session_factory: SessionFactory, tmp_path: Path
) -> None:
    database = store_database_url
    seed_demo(session_factory)
    assert kb(database, "import", str(FIXTURES / "articles.csv"), "--by", "a").exit_code == 0
    assert kb(database, "import", str(FIXTURES / "articles.json"), "--by", "a").exit_code == 0
    shown = kb(database, "export")
    assert shown.exit_code == 0
    assert shown.stdout_bytes.startswith(b"\xef\xbb\xbfcategory_path,title,")
    assert shown.stderr.strip() == "exported 5 article(s) to stdout"
    target = tmp_path / "export.csv"
    written = kb(database, "export", "--output", str(target))
    assert (written.exit_code, written.stderr.strip()) == (0, f"exported 5 article(s) to {target}")
    fresh = tmp_path / "fresh.db"
    fresh_sqlite(fresh)
    url = f"sqlite:///{fresh}"
    loaded = kb(url, "import", str(target), "--by", "adm-2")
    assert (loaded.exit_code, loaded.stdout.split(" (")[0]) == (0, "imported 5 article(s)")
    assert stored_fields(_sessions(url)) == stored_fields(session_factory)


def test_export_as_json_by_status_and_into_a_missing_directory(
    database: str, tmp_path: Path
) -> None:
    assert kb(database, "import", str(FIXTURES / "articles.json"), "--by", "a").exit_code == 0
    target = tmp_path / "export.json"
    assert kb(database, "export", "-o", str(target)).exit_code == 0
    assert [a["keywords"] for a in json.loads(target.read_text("utf-8"))] == [
        ["维修资金", "物业"],
        ["噪声", "夜间施工"],
    ]
    pending = kb(database, "export", "--status", "pending", "--format", "json")
    assert (pending.exit_code, json.loads(pending.stdout)) == (0, [])
    nowhere = kb(database, "export", "--output", str(tmp_path / "no" / "such" / "dir.csv"))
    assert nowhere.exit_code == 2 and "no directory" in nowhere.stderr


def _sessions(url: str) -> SessionFactory:
    return make_sessions(make_engine(url))


def test_hotline_kb_import_is_a_command_of_the_cli(database: str) -> None:
    environ = {"DATABASE_URL": database}
    done = run_cli("kb", "import", str(FIXTURES / "articles.csv"), "--by", "adm-1", environ=environ)
    assert (done.returncode, done.stdout.strip()) == (
        0,
        "imported 3 article(s) (read as utf-8-sig)",
    )
    refused = run_cli("kb", "import", str(FIXTURES / "mixed.csv"), "--by", "adm-1", environ=environ)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "line 11: title: the same title is on line 2" in refused.stderr
