"""The knowledge CSV export never starts a cell with a formula, and imports back unchanged,
including text that itself begins with an apostrophe (models.cells)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.engine import SessionFactory
from db.seed import seed_demo
from knowledge.transfer import ArticleExport
from knowledge.transfer_files import TransferFormat
from models.cells import TRIGGERS, guard_cell, unguard_cell
from tests.knowledge.test_transfer import article, fresh_sqlite, run_import, stored_fields

CSV, JSON = TransferFormat.CSV, TransferFormat.JSON
TEXTS = [
    "=1+2",
    "+86 为区号",
    "-1 表示不限",
    "@账号",
    "\t=SUM(A1)",
    "\r=SUM(A1)",
    "'=已转义",
    "''两个引号",
    "'普通引号",
    "'",
    "''",
    "",
    "普通文字",
    "中=间",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_guard_is_safe_and_reversible(text: str) -> None:
    guarded = guard_cell(text)
    assert isinstance(guarded, str)
    assert guarded[:1] not in TRIGGERS
    assert unguard_cell(guarded) == text


def test_numbers_stay_numbers() -> None:
    assert guard_cell(-3) == -3 and guard_cell(-0.25) == -0.25 and guard_cell(None) is None


@pytest.fixture
def sessions(session_factory: SessionFactory) -> Iterator[SessionFactory]:
    seed_demo(session_factory)
    yield session_factory


def test_an_export_with_formula_like_cells_re_imports_unchanged(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    source = fresh_sqlite(tmp_path / "source.db")
    tricky = [
        article(
            title="'=已转义的标题",
            content='=HYPERLINK("http://x")点击',
            issuing_unit="@贵阳市民政局",
            keywords=["-低保", "+救助"],
        ),
        article(title="''两个引号开头的标题", content="'普通引号开头的内容"),
        article(content="-1 表示不限，+86 为区号"),
    ]
    document = json.dumps(tricky, ensure_ascii=False).encode("utf-8")
    assert run_import(source, document, JSON).errors == []

    exported = "".join(ArticleExport(source, CSV))

    for row in csv.reader(io.StringIO(exported.lstrip("\ufeff"), newline="")):
        for cell in row:
            assert cell[:1] not in TRIGGERS, cell
    report = run_import(sessions, exported.encode("utf-8"), CSV)
    assert (report.errors, report.imported) == ([], 3)
    assert stored_fields(sessions) == stored_fields(source)
    assert "'=已转义的标题" in stored_fields(sessions)
