"""`hotline phrases` on a fresh migrated database (migration 0006 brings the starter set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrations.runner import upgrade
from tests.cli.runner import run_cli


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    return url


def phrases(database: str, *args: str) -> tuple[int, str, str]:
    result = run_cli("phrases", *args, environ={"DATABASE_URL": database})
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout, result.stderr


def test_list_set_history(database: str) -> None:
    code, out, _ = phrases(database, "list", "--situation", "closing")
    assert code == 0 and "请问还有其他需要帮助的吗？感谢您的来电，再见！" in out and "v1" in out
    code, out, _ = phrases(
        database, "set", "closing", "closing", "感谢您的来电，再见！", "--by", "adm-1"
    )
    assert (code, out.strip()) == (0, "closing/closing is now version 2")
    code, out, err = phrases(
        database, "set", "closing", "closing", "感谢您的来电，再见！", "--by", "adm-1"
    )
    assert code == 1 and "already reads so (version 2)" in err
    code, out, _ = phrases(database, "history", "closing", "closing", "--json")
    versions = json.loads(out)
    assert [(v["version"], v["changed_by"]) for v in versions] == [(1, "standard"), (2, "adm-1")]


def test_check_exits_1_on_forbidden_wording(database: str) -> None:
    code, out, _ = phrases(database, "check", "您好，您反映的问题已转交。")
    assert (code, out.strip()) == (0, "clean: no forbidden wording")
    code, out, _ = phrases(database, "check", "这个我不知道。")
    assert code == 1 and "forbidden wording '不知道' at 3-6 (dont-know)" in out


def test_bad_input_exits_2(database: str) -> None:
    code, _, err = phrases(database, "set", "weather", "x", "text", "--by", "adm-1")
    assert code == 2 and "weather" in err
    code, _, err = phrases(database, "set", "hold", "Bad_Key", "text", "--by", "adm-1")
    assert code == 2 and "key" in err
    code, _, err = phrases(database, "history", "hold", "nothing-here")
    assert code == 1 and "no phrase hold/nothing-here" in err
