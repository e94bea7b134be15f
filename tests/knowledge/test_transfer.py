"""Bulk import and export of articles: reading CSV and JSON (encodings, Chinese headers, line
numbers), the all-or-nothing import with its line-by-line report, export and the round trip;
on SQLite and PostgreSQL (`session_factory`: an empty database of its own per test)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.engine import SessionFactory, make_engine
from db.engine import session_factory as make_sessions
from db.knowledge_tables import ArticleRow, ArticleVersionRow
from db.seed import seed_demo
from knowledge import transfer, transfer_checks
from knowledge.articles import submit_article
from knowledge.phrases import PhraseEdit, PhraseUnchangedError, set_phrase
from knowledge.search import SearchQuery, search
from knowledge.transfer import ArticleExport, ImportReport, import_articles
from knowledge.transfer_files import COLUMNS, MAX_BATCH, TransferFormat, parse
from migrations.runner import upgrade
from models.enums import ArticleStatus, MaterialType, Situation, VersionState
from models.knowledge import ArticleFields

FIXTURES = Path(__file__).parent / "transfer_fixtures"
CSV, JSON = TransferFormat.CSV, TransferFormat.JSON
IMPORTER = "admin-import"


# ---- helpers ----------------------------------------------------------------------------------


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def article(**changes: Any) -> dict[str, str]:
    """One CSV record's cells: a valid article with a unique title unless changed."""
    values = {
        "category_path": "民政/社会救助/低保",
        "title": f"低保申请材料清单 {uuid.uuid4().hex[:8]}",
        "content": "申请低保需提交户口簿、身份证、家庭收入证明。",
        "issuing_unit": "贵阳市民政局",
        "material_type": "service_guide",
        "keywords": "低保;社会救助",
        "department": "gy-civil",
        "effective_from": "2026-01-01",
        "review_by": "2026-12-31",
        "expires_on": "",
    }
    values.update(changes)
    return values


def csv_file(
    records: list[dict[str, str]],
    columns: tuple[str, ...] | list[str] = COLUMNS,
    encoding: str = "utf-8",
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([record.get(column, "") for column in columns])
    return buffer.getvalue().encode(encoding)


def json_file(records: list[dict[str, Any]], wrapped: bool = False) -> bytes:
    items = [
        {
            **record,
            "keywords": [k for k in str(record.get("keywords", "")).split(";") if k],
            "expires_on": record.get("expires_on") or None,
        }
        for record in records
    ]
    document: Any = {"articles": items} if wrapped else items
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def problems(report: ImportReport) -> list[tuple[int | None, str | None]]:
    return [(error.line, error.field) for error in report.errors]


def count_articles(sessions: SessionFactory) -> int:
    with sessions() as session:
        articles = session.scalar(select(func.count()).select_from(ArticleRow))
        versions = session.scalar(select(func.count()).select_from(ArticleVersionRow))
    assert articles == versions
    return int(articles or 0)


def stored_fields(sessions: SessionFactory) -> dict[str, dict[str, Any]]:
    with sessions() as session:
        rows = session.scalars(select(ArticleRow)).all()
        return {row.title: {name: getattr(row, name) for name in COLUMNS} for row in rows}


def run_import(
    sessions: SessionFactory, data: bytes, format: TransferFormat = CSV, **options: Any
) -> ImportReport:
    return import_articles(sessions, data, format, IMPORTER, **options)


def fresh_sqlite(path: Path) -> SessionFactory:
    url = f"sqlite:///{path}"
    upgrade(url)
    sessions = make_sessions(make_engine(url))
    seed_demo(sessions)
    return sessions


@pytest.fixture
def sessions(session_factory: SessionFactory) -> Iterator[SessionFactory]:
    """An empty knowledge base on a migrated database with the demo departments."""
    seed_demo(session_factory)
    yield session_factory


# ---- reading files (no database) --------------------------------------------------------------


def test_a_bom_or_gb18030_file_is_read_and_the_encoding_reported() -> None:
    with_bom = parse(fixture("articles.csv"), CSV)
    assert (with_bom.encoding, with_bom.errors, with_bom.header_errors) == ("utf-8-sig", [], [])
    assert len(with_bom.records) == 3
    chinese = parse(fixture("articles_zh_gb18030.csv"), CSV)
    assert (chinese.encoding, chinese.errors) == ("gb18030", [])
    assert chinese.records[0].values["title"] == "食品安全投诉的受理范围"
    plain = parse(csv_file([article()]), CSV)
    assert plain.encoding == "utf-8"
    gbk_json = parse(json_file([article(title="停水通知")]).decode().encode("gb18030"), JSON)
    assert (gbk_json.encoding, gbk_json.records[0].values["title"]) == ("gb18030", "停水通知")


def test_chinese_headers_material_names_keywords_and_dates_are_understood() -> None:
    parsed = parse(fixture("articles_zh_gb18030.csv"), CSV)
    fields = [transfer_checks.check_record(record).fields for record in parsed.records]
    assert fields[0] == ArticleFields(
        category_path="市场监管/食品安全/投诉",
        title="食品安全投诉的受理范围",
        content="购买的食品过期、变质或无证经营，可向市场监管部门投诉。",
        issuing_unit="贵阳市市场监督管理局",
        material_type=MaterialType.DAILY_CONSULTATION,
        keywords=["食品安全", "投诉举报"],
        department="gy-market",
        effective_from=date(2026, 2, 1),
        review_by=date(2026, 8, 1),
    )
    assert fields[1] is not None
    assert fields[1].material_type is MaterialType.BUSINESS_GUIDANCE
    assert fields[1].keywords == ["出租车", "拒载"]
    assert fields[1].expires_on == date(2028, 1, 31)
    english = parse(fixture("articles.csv"), CSV)
    first, second, third = (transfer_checks.check_record(r).fields for r in english.records)
    assert first is not None and first.keywords == ["低保", "最低生活保障", "社会救助"]
    assert second is not None and second.keywords == ["养老保险", "缴费档次"]
    assert third is not None and (third.effective_from, third.review_by) == (
        date(2026, 3, 1),
        date(2026, 9, 1),
    )  # 2026/3/1, as a spreadsheet writes dates back


def test_line_numbers_are_physical_lines_across_quoted_multi_line_cells() -> None:
    english = parse(fixture("articles.csv"), CSV)
    assert [record.line for record in english.records] == [2, 4, 5]
    assert english.records[0].values["content"].count("\n") == 1
    mixed = parse(fixture("mixed.csv"), CSV)
    assert [record.line for record in mixed.records] == [2, 3, 5, 6, 7, 8, 11]
    blank_lines = b"title,content\r\n\r\n\r\n" + b'"a","b\r\nc"\r\n,\r\n"d",e\r\n'
    assert [r.line for r in parse(blank_lines, CSV).records] == [4, 7]


def test_json_lists_wrapped_lists_chinese_keys_and_keyword_strings() -> None:
    plain = parse(json_file([article(), article()]), JSON)
    wrapped = parse(json_file([article()], wrapped=True), JSON)
    assert ([r.line for r in plain.records], len(wrapped.records)) == ([1, 2], 1)
    assert all(transfer_checks.check_record(r).fields for r in [*plain.records, *wrapped.records])
    document = parse(fixture("articles.json"), JSON)
    assert (document.encoding, document.errors) == ("utf-8", [])
    second = transfer_checks.check_record(document.records[1]).fields
    assert second is not None
    assert (second.title, second.material_type) == ("夜间施工噪声的投诉处理", "law_regulation")
    assert second.keywords == ["噪声", "夜间施工"]


@pytest.mark.parametrize(
    ("data", "format", "reason"),
    [
        (b"", CSV, "no articles (it is empty, or has a header row alone)"),
        (b"\xef\xbb\xbf", CSV, "no articles"),
        (",".join(COLUMNS).encode() + b"\r\n", CSV, "no articles"),
        (",".join(COLUMNS).encode() + b"\r\n,,,\r\n", CSV, "no articles"),
        (b"", JSON, "no articles (it is empty, or an empty list)"),
        (b"[]", JSON, "no articles"),
        (b'{"articles": []}', JSON, "no articles"),
        (b'[{"title": "a"},', JSON, "not valid JSON: Expecting value (line 1, column 17)"),
        (b'"articles"', JSON, 'expected a list of articles, or {"articles": [...]}'),
        (b'{"items": []}', JSON, "expected a list of articles"),
        ("标题\n".encode("utf-16"), CSV, "UTF-16 (Excel's 'Unicode text'): save it as 'CSV UTF-8'"),
        (b"title\n\xff\xff\n", CSV, "neither UTF-8 nor GB18030"),
        (b"\xef\xbb\xbftitle\n\xff\n", CSV, "starts with a UTF-8 BOM but byte 9 is not UTF-8"),
    ],
)
def test_a_file_without_articles_or_unreadable_says_so(
    data: bytes, format: TransferFormat, reason: str
) -> None:
    parsed = parse(data, format)
    assert len(parsed.errors) == 1 and parsed.errors[0].line is None
    assert reason in parsed.errors[0].reason


def test_an_unclosed_quote_names_the_line_it_opens_on() -> None:
    data = csv_file([article()]) + b'x,"never closed,\r\nmore\r\n'
    parsed = parse(data, CSV)
    assert [(e.line, e.reason) for e in parsed.errors] == [
        (3, 'a quoted cell starting on this line is never closed (a missing ")')
    ]


def test_header_problems_name_the_columns_and_do_not_hide_the_rows() -> None:
    columns = [c for c in COLUMNS if c != "issuing_unit"] + ["备注", "标题"]
    good, bad = article(), article(department="gy-nowhere!")
    parsed = parse(csv_file([good, bad], columns), CSV)
    assert [(e.line, e.field) for e in parsed.header_errors] == [
        (1, "备注"),
        (1, "title"),
        (1, "issuing_unit"),
    ]
    unknown, twice, missing = (e.reason for e in parsed.header_errors)
    assert unknown.startswith("unknown column: expected category_path, title, content")
    assert twice == "column given twice ('title' and '标题')"
    assert missing == "required column is missing"
    checked = [transfer_checks.check_record(r, parsed.missing_columns) for r in parsed.records]
    # The missing column is reported once, in the header, not on every row.
    assert [[(e.line, e.field) for e in c.errors] for c in checked] == [[], [(3, "department")]]


def test_a_row_with_more_cells_than_columns_is_named() -> None:
    data = csv_file([article()]) + ",".join(article().values()).encode() + b",extra\r\n"
    parsed = parse(data, CSV)
    checked = transfer_checks.check_record(parsed.records[1])
    assert [(e.line, e.field) for e in checked.errors] == [(3, None)]
    assert "has 11 cells but the header has 10 columns" in checked.errors[0].reason


def test_json_items_that_are_not_articles() -> None:
    data = json.dumps(
        [
            "a string",
            {**article(), "colour": "red"},
            {**article(), "标题": "又一个标题"},
            {**article(), "keywords": [1, "有效"], "effective_from": 20260101},
            {**article(), "expires_on": None, "keywords": None},
        ],
        ensure_ascii=False,
    ).encode()
    parsed = parse(data, JSON)
    checked = [transfer_checks.check_record(record) for record in parsed.records]
    assert [[(e.line, e.field) for e in c.errors] for c in checked] == [
        [(1, None)],
        [(2, "colour")],
        [(3, "title")],
        [(4, "effective_from"), (4, "keywords")],
        [],
    ]
    assert "unknown field" in checked[1].errors[0].reason
    assert "keyword 1: Input should be a valid string" in checked[3].errors[1].reason
    assert "20260101 is not a date: write YYYY-MM-DD" in checked[3].errors[0].reason


# ---- import -----------------------------------------------------------------------------------


def test_mixed_good_and_bad_rows_import_nothing_and_name_every_bad_row(
    sessions: SessionFactory,
) -> None:
    report = run_import(sessions, fixture("mixed.csv"))
    assert (report.imported, report.article_ids, report.articles) == (0, [], 7)
    assert problems(report) == [
        (5, "title"),
        (5, "material_type"),
        (7, "department"),
        (7, "review_by"),
        (8, "keywords"),
        (8, "effective_from"),
        (11, "title"),
    ]
    reasons = [error.reason for error in report.errors]
    assert reasons[0] == "required: the cell is empty"
    assert reasons[1].startswith("'指南' is not a material type: one of service_guide (办事指南)")
    assert reasons[2] == "no department 'gy-nowhere'"
    assert reasons[3] == "2026-01-01 is before effective_from 2026-06-01"
    assert reasons[4] == "keyword 2: String should have at most 20 characters"
    assert reasons[5] == "'2026-02-30' is not a date: day is out of range for month"
    assert reasons[6] == "the same title is on line 2: titles must be unique"
    assert report.errors[6].plain() == (
        "line 11: title: the same title is on line 2: titles must be unique"
    )
    assert report.summary() == "nothing imported: 7 problem(s) in the file (7 article(s) read)"
    assert count_articles(sessions) == 0


def test_a_good_batch_is_published_approved_by_the_importer_and_searchable(
    sessions: SessionFactory,
) -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    report = run_import(sessions, fixture("articles.csv"), now=now)
    assert (report.errors, report.imported, report.encoding) == ([], 3, "utf-8-sig")
    assert len(set(report.article_ids)) == 3
    assert report.summary() == "imported 3 article(s)"
    with sessions() as session:
        articles = session.scalars(select(ArticleRow).order_by(ArticleRow.id)).all()
        versions = session.scalars(select(ArticleVersionRow)).all()
        assert [a.id for a in articles] == report.article_ids
        assert {(a.status, a.published_version, a.latest_version) for a in articles} == {
            (ArticleStatus.PUBLISHED.value, 1, 1)
        }
        assert {(v.version, v.state, v.submitted_by, v.decided_by, v.note) for v in versions} == {
            (1, VersionState.APPROVED.value, IMPORTER, IMPORTER, "imported")
        }
    hits = search(sessions, SearchQuery(text="最低生活保障 申请")).hits
    assert hits and hits[0].title == "城乡居民最低生活保障申请指南"
    water = search(sessions, SearchQuery(text="停水")).hits
    assert [hit.title for hit in water] == ["计划停水通知的查询方式"]


def test_gb18030_chinese_headers_and_json_files_import(sessions: SessionFactory) -> None:
    chinese = run_import(sessions, fixture("articles_zh_gb18030.csv"))
    document = run_import(sessions, fixture("articles.json"), JSON)
    assert (chinese.errors, chinese.imported, chinese.encoding) == ([], 2, "gb18030")
    assert (document.errors, document.imported) == ([], 2)
    stored = stored_fields(sessions)
    assert stored["出租车拒载的投诉方式"]["material_type"] == "business_guidance"
    assert stored["夜间施工噪声的投诉处理"]["keywords"] == ["噪声", "夜间施工"]
    assert [hit.title for hit in search(sessions, SearchQuery(text="拒载")).hits] == [
        "出租车拒载的投诉方式"
    ]


def test_more_than_1000_articles_are_refused_and_1000_are_accepted(
    sessions: SessionFactory,
) -> None:
    too_many = run_import(sessions, csv_file([article() for _ in range(MAX_BATCH + 1)]))
    assert problems(too_many) == [(None, None)] and too_many.articles == 1001
    assert "the file has 1,001 articles; at most 1,000" in too_many.errors[0].reason
    as_json = run_import(sessions, json_file([article() for _ in range(MAX_BATCH + 1)]), JSON)
    assert "at most 1,000" in as_json.errors[0].reason
    assert count_articles(sessions) == 0
    limit = run_import(sessions, csv_file([article() for _ in range(MAX_BATCH)]), dry_run=True)
    assert (limit.errors, limit.articles, limit.dry_run) == ([], 1000, True)
    assert limit.summary() == "dry run: all 1000 article(s) can be imported; nothing written"
    assert count_articles(sessions) == 0


def test_duplicate_titles_in_the_file_and_in_the_knowledge_base(sessions: SessionFactory) -> None:
    existing = article()
    assert run_import(sessions, csv_file([existing])).imported == 1
    twice = article()
    report = run_import(
        sessions, csv_file([article(), twice, article(title=existing["title"]), twice, twice])
    )
    assert problems(report) == [(4, "title"), (5, "title"), (6, "title")]
    assert [error.reason for error in report.errors] == [
        "an article with this title is already in the knowledge base",
        "the same title is on line 3: titles must be unique",
        "the same title is on line 3: titles must be unique",
    ]
    pending = article()
    submit_article(sessions, ArticleFields.model_validate(parse_record(pending)), "dept-user")
    again = run_import(sessions, csv_file([pending]))
    assert problems(again) == [(2, "title")]  # a pending article's title is taken too
    assert count_articles(sessions) == 2


def parse_record(values: dict[str, str]) -> dict[str, Any]:
    [record] = parse(csv_file([values]), CSV).records
    checked = transfer_checks.check_record(record)
    assert checked.fields is not None, checked.errors
    return checked.fields.model_dump()


def test_forbidden_wording_is_refused_like_a_submission(sessions: SessionFactory) -> None:
    edit = PhraseEdit(situation=Situation.FORBIDDEN, key="not-ours", text="不归我们管", by="t")
    with contextlib.suppress(PhraseUnchangedError):  # a database migrated with it already
        set_phrase(sessions, edit)
    report = run_import(sessions, csv_file([article(content="这个不归我们管，请找别人。")]))
    assert problems(report) == [(2, "content")]
    assert "forbidden wording '不归我们管'" in report.errors[0].reason


def test_a_dry_run_checks_everything_and_writes_nothing(sessions: SessionFactory) -> None:
    good = run_import(sessions, fixture("articles.csv"), dry_run=True)
    assert (good.errors, good.imported, good.article_ids, good.dry_run) == ([], 0, [], True)
    bad = run_import(sessions, fixture("mixed.csv"), dry_run=True)
    assert len(bad.errors) == 7
    assert count_articles(sessions) == 0


def test_a_database_failure_rolls_the_whole_batch_back(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_index(*_: Any) -> None:
        raise RuntimeError("the index is unavailable")

    monkeypatch.setattr(transfer, "index_articles", broken_index)
    with pytest.raises(RuntimeError, match="the index is unavailable"):
        run_import(sessions, fixture("articles.csv"))
    assert count_articles(sessions) == 0


def test_a_title_taken_between_the_check_and_the_write_refuses_the_batch(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = article()
    assert run_import(sessions, csv_file([taken])).imported == 1
    monkeypatch.setattr(transfer_checks, "titles_taken", lambda *_: set())  # the check saw it free
    report = run_import(sessions, csv_file([article(), taken]))
    assert problems(report) == [(3, "title")]
    assert "another article is titled" in report.errors[0].reason
    assert count_articles(sessions) == 1


def test_the_importer_must_be_named(sessions: SessionFactory) -> None:
    with pytest.raises(ValueError, match="by: a user id of 1 to 64 characters"):
        import_articles(sessions, fixture("articles.csv"), CSV, "  ")


# ---- export -----------------------------------------------------------------------------------


def test_export_is_published_articles_by_default_in_the_import_columns(
    sessions: SessionFactory,
) -> None:
    imported = run_import(sessions, fixture("articles.csv"))
    pending = article()
    submit_article(sessions, ArticleFields.model_validate(parse_record(pending)), "dept-user")
    export = ArticleExport(sessions, CSV)
    text = "".join(export)
    assert export.count == 3 and export.media_type == "text/csv; charset=utf-8"
    assert text.startswith("\ufeff" + ",".join(COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [row["title"] for row in rows] == [
        "城乡居民最低生活保障申请指南",
        "城乡居民养老保险缴费档次",
        "计划停水通知的查询方式",
    ]
    assert rows[0]["keywords"] == "低保;最低生活保障;社会救助"
    assert (rows[0]["expires_on"], rows[1]["expires_on"]) == ("", "2027-01-01")
    assert rows[2]["effective_from"] == "2026-03-01"
    both = ArticleExport(sessions, JSON, [ArticleStatus.PENDING, ArticleStatus.PUBLISHED], page=2)
    listed = json.loads("".join(both))
    assert both.count == 4 and [a["title"] for a in listed][-1] == pending["title"]
    assert list(listed[0]) == list(COLUMNS) and listed[0]["expires_on"] is None
    only_pending = json.loads("".join(ArticleExport(sessions, JSON, [ArticleStatus.PENDING])))
    assert [a["title"] for a in only_pending] == [pending["title"]]
    assert len(imported.article_ids) == 3


def test_an_empty_export_is_a_header_or_an_empty_list(sessions: SessionFactory) -> None:
    assert "".join(ArticleExport(sessions, CSV)) == "\ufeff" + ",".join(COLUMNS) + "\r\n"
    assert json.loads("".join(ArticleExport(sessions, JSON))) == []


@pytest.mark.parametrize("format", [CSV, JSON])
def test_an_export_re_imports_into_a_fresh_database_with_the_same_fields(
    sessions: SessionFactory, tmp_path: Path, format: TransferFormat
) -> None:
    source = fresh_sqlite(tmp_path / "source.db")
    for name, kind in [
        ("articles.csv", CSV),
        ("articles_zh_gb18030.csv", CSV),
        ("articles.json", JSON),
    ]:
        assert run_import(source, fixture(name), kind).errors == []
    tricky = [
        article(title='=HYPERLINK("x")', content="-1 表示不限，+86 为区号，@ 为账号"),
        article(
            content='他说："按规定办理"，然后\r\n换行,逗号', keywords="", expires_on="2027-06-30"
        ),
    ]
    assert run_import(source, csv_file(tricky)).errors == []
    exported = "".join(ArticleExport(source, format)).encode("utf-8")
    if format is CSV:
        assert b"'=HYPERLINK" in exported and b"'-1 " in exported  # not run as formulas
    report = run_import(sessions, exported, format)
    assert (report.errors, report.imported) == ([], 9)
    assert stored_fields(sessions) == stored_fields(source)
    assert stored_fields(sessions)['=HYPERLINK("x")']["content"].startswith("-1 表示不限")
