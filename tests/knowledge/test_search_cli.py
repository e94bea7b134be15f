"""`hotline kb search` and `hotline kb reindex` on a migrated SQLite file: output, JSON, exit
codes (0 found, 1 nothing found, 2 bad input, 3 database unreachable)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.knowledge_search import register
from db.engine import make_engine, session_factory
from migrations.runner import upgrade
from tests.knowledge.kb_fixture import load_articles

kb_app = typer.Typer()
register(kb_app)
runner = CliRunner()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb-cli') / 'hotline.db'}"
    upgrade(url)
    load_articles(session_factory(make_engine(url)))
    return url


def kb(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(kb_app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_search_shows_the_matches_in_brackets(database: str) -> None:
    code, out, _ = kb("search", "低保 申请 材料", "--limit", "2", "--url", database)
    assert code == 0, out
    first = out.splitlines()[0]
    assert first.startswith(" 1. 城乡居民最低生活保障【申请】条件及所需【材料】")
    assert "民政/社会救助/低保 · gy-civil · service_guide" in out
    assert "【低保】" in out and "<mark>" not in out
    assert out.count("\n") == 6


def test_search_as_json_with_filters(database: str) -> None:
    code, out, _ = kb(
        "search",
        "申请",
        "--category",
        "民政",
        "--department",
        "gy-civil",
        "--material-type",
        "service_guide",
        "--json",
        "--url",
        database,
    )
    assert code == 0
    hits = json.loads(out)
    assert hits and {h["department"] for h in hits} == {"gy-civil"}
    assert all(h["category_path"].startswith("民政/") for h in hits)


def test_exit_codes(database: str, tmp_path: Path) -> None:
    code, _, err = kb("search", "量子纠缠", "--url", database)
    assert code == 1 and "no published article matches" in err
    code, _, err = kb("search", "，。", "--url", database)
    assert code == 2 and "no searchable text" in err
    code, _, _ = kb("search", "低保", "--limit", "0", "--url", database)
    assert code == 2
    code, _, _ = kb("search", "低保", "--material-type", "poem", "--url", database)
    assert code == 2
    missing = f"sqlite:///{tmp_path / 'not-migrated.db'}"
    code, _, err = kb("search", "低保", "--url", missing)
    assert code == 3 and "is it migrated" in err


def test_reindex(database: str) -> None:
    code, out, _ = kb("reindex", "--url", database)
    assert (code, out.strip()) == (0, "indexed 60 published articles")
    code, out, _ = kb("search", "公积金提取", "--limit", "1", "--url", database)
    assert code == 0 and "住房【公积金提取】条件及办理材料" in out
