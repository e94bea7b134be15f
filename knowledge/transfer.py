"""Bulk import and export of knowledge articles (domain §8): CSV and JSON, so a city can load
its existing knowledge base and take it out again.

An import is all or nothing. Every article of the file is checked first: the field rules of
`ArticleFields`, then the rules of the batch (a known department, a title no article has, a
title given once in the file, no forbidden wording). If any article breaks any rule nothing is
written and the report lists every problem as `line N: field: reason`; otherwise one
transaction publishes them all (version 1, approved by the importer) and indexes them for
search. At most `MAX_BATCH` articles a batch. The formats are described in
docs/knowledge-import.md.

The export writes the same columns, so an export re-imports cleanly into an empty knowledge
base. Article contents are never logged: only counts and who imported.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.db import SessionFactory
from knowledge.articles import ArticleError, departments_known, publish_imported, titles_taken
from knowledge.index import index_articles
from models.enums import ArticleStatus, MaterialType, Situation
from models.knowledge import KEYWORD_SEPARATORS as ARTICLE_KEYWORD_SEPARATORS
from models.knowledge import ArticleFields
from models.knowledge_tables import ArticleRow
from rules.phrases import find_forbidden
from services.phrases import current_phrases

log = logging.getLogger(__name__)

MAX_BATCH = 1000
"""Most articles in one import."""
MAX_BY = 64
EXPORT_PAGE = 500

COLUMNS: tuple[str, ...] = tuple(ArticleFields.model_fields)
"""The columns of a CSV file and the keys of a JSON article: the fields of `ArticleFields`."""
REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    name for name, info in ArticleFields.model_fields.items() if info.is_required()
)
DATE_COLUMNS: tuple[str, ...] = ("effective_from", "review_by", "expires_on")
CHINESE_HEADERS: Mapping[str, str] = {
    "分类路径": "category_path",
    "标题": "title",
    "内容": "content",
    "发文单位": "issuing_unit",
    "材料类型": "material_type",
    "关键词": "keywords",
    "所属部门": "department",
    "生效日期": "effective_from",
    "复审日期": "review_by",
    "失效日期": "expires_on",
}
"""Chinese column names accepted for the field names."""
MATERIAL_NAMES: Mapping[str, MaterialType] = {
    "办事指南": MaterialType.SERVICE_GUIDE,
    "法律法规": MaterialType.LAW_REGULATION,
    "热点问答": MaterialType.HOT_QA,
    "日常咨询": MaterialType.DAILY_CONSULTATION,
    "通知公告": MaterialType.NOTICE,
    "业务指导": MaterialType.BUSINESS_GUIDANCE,
}
"""Chinese names accepted for the material types."""
KEYWORD_SEPARATORS = re.compile("[" + re.escape(ARTICLE_KEYWORD_SEPARATORS) + "]")
KEYWORD_SEPARATOR = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting so is exported behind a `'` (so a spreadsheet does not run it as a
formula); the import takes the `'` off again."""

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_CELL_EMPTY = "required: the cell is empty"
_VALUE_ERROR = "Value error, "


class TransferFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class LineError(BaseModel):
    """One problem of an import file: where (`line`), which field, and why."""

    line: int | None = Field(
        description="CSV: the physical line where the article's record starts (the header is "
        "line 1); JSON: the article's 1-based position in the list; null: the whole file"
    )
    field: str | None = Field(description="the field or column concerned; null: the whole row")
    reason: str

    def plain(self) -> str:
        parts = [] if self.line is None else [f"line {self.line}"]
        if self.field is not None:
            parts.append(self.field)
        parts.append(self.reason)
        return ": ".join(parts)


class ImportReport(BaseModel):
    """What an import did: everything (`imported`, `article_ids`) or nothing (`errors`)."""

    format: TransferFormat
    encoding: str | None = Field(
        description="how the file was read: utf-8, utf-8-sig (UTF-8 with a BOM) or gb18030"
    )
    articles: int = Field(description="articles read from the file")
    imported: int
    article_ids: list[int]
    dry_run: bool
    errors: list[LineError]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return (
                f"nothing imported: {len(self.errors)} problem(s) in the file "
                f"({self.articles} article(s) read)"
            )
        if self.dry_run:
            return f"dry run: all {self.articles} article(s) can be imported; nothing written"
        return f"imported {self.imported} article(s)"


@dataclass
class Record:
    """One article of the file as written, before its fields are checked."""

    line: int
    values: dict[str, Any]
    errors: list[LineError] = field(default_factory=list)
    readable: bool = True
    """False when the record is no article at all (a JSON item that is not an object)."""


@dataclass
class ParsedFile:
    format: TransferFormat
    encoding: str | None
    records: list[Record]
    errors: list[LineError]
    """Problems of the file as a whole (unreadable, empty, too many articles): no article is
    checked then. Problems of the header are in `header_errors`."""
    header_errors: list[LineError] = field(default_factory=list)
    missing_columns: frozenset[str] = frozenset()


# ---- reading the file -------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding it was read with: UTF-8 (with or without a BOM), else
    GB18030. ValueError if it is neither."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValueError(
            "the file is UTF-16 (Excel's 'Unicode text'): save it as 'CSV UTF-8' and retry"
        )
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as err:
            raise ValueError(
                f"the file starts with a UTF-8 BOM but byte {err.start + 3} is not UTF-8"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise ValueError(
            "the file is neither UTF-8 nor GB18030 text: save it as 'CSV UTF-8' and retry"
        ) from None


def format_for(name: str) -> TransferFormat | None:
    """The format a file name's extension gives (.csv, .json), None for any other."""
    lowered = name.lower()
    for candidate in TransferFormat:
        if lowered.endswith(f".{candidate.value}"):
            return candidate
    return None


def parse(data: bytes, format: TransferFormat) -> ParsedFile:
    """The articles of an import file, each with the line it starts on; never raises for bad
    content (the problems are in the result)."""
    try:
        text, encoding = decode(data)
    except ValueError as err:
        return ParsedFile(format, None, [], [LineError(line=None, field=None, reason=str(err))])
    parsed = (
        _parse_csv(text, encoding) if format is TransferFormat.CSV else _parse_json(text, encoding)
    )
    if not parsed.errors:
        if not parsed.records:
            parsed.errors.append(LineError(line=None, field=None, reason=_empty(parsed)))
        elif len(parsed.records) > MAX_BATCH:
            parsed.errors.append(
                LineError(
                    line=None,
                    field=None,
                    reason=f"the file has {len(parsed.records):,} articles; at most "
                    f"{MAX_BATCH:,} can be imported at once: split it into several files",
                )
            )
    return parsed


def _empty(parsed: ParsedFile) -> str:
    if parsed.format is TransferFormat.CSV:
        return "the file has no articles (it is empty, or has a header row alone)"
    return "the file has no articles (it is empty, or an empty list)"


def _parse_csv(text: str, encoding: str) -> ParsedFile:
    parsed = ParsedFile(TransferFormat.CSV, encoding, [], [])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str | None] | None = None
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # a blank line, or a row of empty cells a spreadsheet left
            if columns is None:
                columns = _read_header(row, line, parsed)
                continue
            parsed.records.append(_csv_record(row, line, columns))
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            reason = 'a quoted cell starting on this line is never closed (a missing ")'
        else:
            reason = f"not readable as CSV: {err}"
            start = reader.line_num
        parsed.errors.append(LineError(line=start, field=None, reason=reason))
    return parsed


def _read_header(row: list[str], line: int, parsed: ParsedFile) -> list[str | None]:
    """The field of each column (None for a column that is not imported)."""
    columns: list[str | None] = []
    seen: dict[str, str] = {}
    for cell in row:
        name = cell.strip().lstrip("\ufeff").strip()
        column = _column(name)
        if column is None:
            expected = ", ".join(COLUMNS)
            reason = "unknown column" if name else "a column has no name"
            parsed.header_errors.append(
                LineError(line=line, field=name or None, reason=f"{reason}: expected {expected}")
            )
        elif column in seen:
            parsed.header_errors.append(
                LineError(
                    line=line,
                    field=column,
                    reason=f"column given twice ({seen[column]!r} and {name!r})",
                )
            )
            column = None
        else:
            seen[column] = name
        columns.append(column)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    for name in missing:
        parsed.header_errors.append(
            LineError(line=line, field=name, reason="required column is missing")
        )
    parsed.missing_columns = frozenset(missing)
    return columns


def _column(name: str) -> str | None:
    lowered = name.lower()
    if lowered in COLUMNS:
        return lowered
    return CHINESE_HEADERS.get(name)


def _csv_record(row: list[str], line: int, columns: Sequence[str | None]) -> Record:
    record = Record(line, {})
    if len(row) > len(columns):
        extra = row[len(columns) :]
        if any(cell.strip() for cell in extra):
            record.errors.append(
                LineError(
                    line=line,
                    field=None,
                    reason=f"has {len(row)} cells but the header has {len(columns)} columns "
                    "(a comma in a cell that is not quoted?)",
                )
            )
    for column, cell in zip(columns, row, strict=False):
        if column is not None:
            record.values[column] = _unguard(cell)
    return record


def _unguard(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _parse_json(text: str, encoding: str) -> ParsedFile:
    parsed = ParsedFile(TransferFormat.JSON, encoding, [], [])
    if not text.strip():
        return parsed
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        parsed.errors.append(
            LineError(
                line=None,
                field=None,
                reason=f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})",
            )
        )
        return parsed
    if isinstance(document, dict) and set(document) == {"articles"}:
        document = document["articles"]
    if not isinstance(document, list):
        parsed.errors.append(
            LineError(
                line=None,
                field=None,
                reason='expected a list of articles, or {"articles": [...]}',
            )
        )
        return parsed
    for position, item in enumerate(document, start=1):
        parsed.records.append(_json_record(item, position))
    return parsed


def _json_record(item: Any, position: int) -> Record:
    record = Record(position, {})
    if not isinstance(item, dict):
        record.errors.append(
            LineError(line=position, field=None, reason="an article must be a JSON object")
        )
        record.readable = False
        return record
    seen: dict[str, str] = {}
    for key, value in item.items():
        column = _column(str(key).strip())
        if column is None:
            record.errors.append(
                LineError(
                    line=position,
                    field=str(key),
                    reason=f"unknown field: expected {', '.join(COLUMNS)}",
                )
            )
        elif column in seen:
            record.errors.append(
                LineError(
                    line=position,
                    field=column,
                    reason=f"given twice ({seen[column]!r} and {key!r})",
                )
            )
        else:
            seen[column] = str(key)
            record.values[column] = value
    return record


# ---- checking the articles --------------------------------------------------------------------


@dataclass
class Checked:
    """One article after its own checks: its fields if they are valid, and its problems."""

    line: int
    fields: ArticleFields | None
    errors: list[LineError]
    title: str | None
    department: str | None


def check_record(record: Record, missing_columns: frozenset[str] = frozenset()) -> Checked:
    """The field rules of `ArticleFields` for one article (no database)."""
    errors = list(record.errors)
    if not record.readable:
        return Checked(line=record.line, fields=None, errors=errors, title=None, department=None)
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for name in COLUMNS:
        if name not in record.values:
            continue
        try:
            converted = _convert(name, record.values[name])
        except ValueError as err:
            errors.append(LineError(line=record.line, field=name, reason=str(err)))
            bad.add(name)
            continue
        if converted is not None:
            values[name] = converted
    fields: ArticleFields | None = None
    try:
        fields = ArticleFields.model_validate(values)
    except ValidationError as err:
        for error in _validation_errors(err, record.line):
            if error.field in bad or error.field in missing_columns:
                continue
            errors.append(error)
    if errors:
        fields = None
    title = values.get("title")
    department = values.get("department")
    return Checked(
        line=record.line,
        fields=fields,
        errors=errors,
        title=title.strip() if isinstance(title, str) and title.strip() else None,
        department=department.strip() if isinstance(department, str) else None,
    )


def _convert(name: str, raw: Any) -> Any:
    """A cell (or JSON value) as the field takes it; None when it is empty. ValueError with the
    reason when it cannot be one."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "" or raw == []:
        if name in REQUIRED_COLUMNS:
            raise ValueError(_CELL_EMPTY)
        return [] if name == "keywords" else None
    if name == "keywords":
        if isinstance(raw, str):
            return [keyword.strip() for keyword in KEYWORD_SEPARATORS.split(raw) if keyword.strip()]
        return raw
    if name == "material_type":
        return _material_type(raw)
    if name in DATE_COLUMNS:
        return _date(raw)
    return raw


def _material_type(raw: Any) -> MaterialType:
    if isinstance(raw, str):
        lowered = raw.lower()
        for material in MaterialType:
            if lowered == material.value:
                return material
        if raw in MATERIAL_NAMES:
            return MATERIAL_NAMES[raw]
    choices = ", ".join(f"{value.value} ({name})" for name, value in MATERIAL_NAMES.items())
    raise ValueError(f"{_shown(raw)} is not a material type: one of {choices}")


def _date(raw: Any) -> date:
    if isinstance(raw, str):
        match = _DATE.match(raw)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return date(year, month, day)
            except ValueError as err:
                raise ValueError(f"{_shown(raw)} is not a date: {err}") from None
    raise ValueError(f"{_shown(raw)} is not a date: write YYYY-MM-DD, e.g. 2026-01-31")


def _shown(raw: Any) -> str:
    """A value in a message: a string quoted, a JSON value as JSON, cut at 40 characters."""
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    text = text if len(text) <= 40 else text[:40] + "…"
    return repr(text) if isinstance(raw, str) else text


def _validation_errors(err: ValidationError, line: int) -> Iterator[LineError]:
    for issue in err.errors(include_url=False, include_input=False, include_context=False):
        reason = str(issue["msg"])
        reason = reason.removeprefix(_VALUE_ERROR)
        location = issue["loc"]
        column: str | None = None
        if location:
            column = str(location[0])
            if column == "keywords" and len(location) > 1 and isinstance(location[1], int):
                reason = f"keyword {location[1] + 1}: {reason}"
        else:  # a rule across fields says which field first: "review_by: ... is before ..."
            head, separator, rest = reason.partition(": ")
            if separator and head in COLUMNS:
                column, reason = head, rest
        if reason == "Field required":
            reason = "required"
        elif column == "department" and issue["type"] == "string_pattern_mismatch":
            reason = "not a department id: 1 to 64 letters, digits, '.', '_' or '-'"
        yield LineError(line=line, field=column, reason=reason)


def check_batch(
    session: Session, checked: Sequence[Checked], forbidden: list[tuple[str, str]]
) -> list[LineError]:
    """The rules across the batch and the database: a known department, a title given once in
    the file and not taken by an article, none of the `forbidden` (key, expression) wording."""
    errors: list[LineError] = []
    titled: dict[str, int] = {}
    taken = titles_taken(session, {c.title for c in checked if c.title is not None})
    known = departments_known(session, {c.department for c in checked if c.department})
    for article in checked:
        broken = {error.field for error in article.errors}
        if article.title is not None and "title" not in broken:
            first = titled.setdefault(article.title, article.line)
            if first != article.line:
                errors.append(
                    LineError(
                        line=article.line,
                        field="title",
                        reason=f"the same title is on line {first}: titles must be unique",
                    )
                )
            elif article.title in taken:
                errors.append(
                    LineError(
                        line=article.line,
                        field="title",
                        reason="an article with this title is already in the knowledge base",
                    )
                )
        if article.department and "department" not in broken and article.department not in known:
            errors.append(
                LineError(
                    line=article.line,
                    field="department",
                    reason=f"no department {_shown(article.department)}",
                )
            )
        if article.fields is not None:
            for name in ("title", "content"):
                findings = find_forbidden(getattr(article.fields, name), forbidden)
                if findings:
                    listed = "; ".join(finding.plain() for finding in findings)
                    errors.append(LineError(line=article.line, field=name, reason=listed))
    return errors


def _ordered(errors: Iterable[LineError]) -> list[LineError]:
    order = {name: index for index, name in enumerate(COLUMNS)}

    def key(error: LineError) -> tuple[int, int]:
        return (
            -1 if error.line is None else error.line,
            -1 if error.field is None else order.get(error.field, len(order)),
        )

    return sorted(errors, key=key)


# ---- import -----------------------------------------------------------------------------------


def import_articles(
    sessions: SessionFactory,
    data: bytes,
    format: TransferFormat,
    by: str,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Import every article of `data`, or none: the report says which, and why not.

    `by` (the importer's user id) approves the imported versions. With `dry_run` every check
    runs but nothing is written. A database failure raises, with nothing written.
    """
    by = by.strip()
    if not by or len(by) > MAX_BY:
        raise ValueError(f"by: a user id of 1 to {MAX_BY} characters")
    parsed = parse(data, format)

    def report(errors: Iterable[LineError], ids: Sequence[int] = ()) -> ImportReport:
        return ImportReport(
            format=format,
            encoding=parsed.encoding,
            articles=len(parsed.records),
            imported=len(ids),
            article_ids=list(ids),
            dry_run=dry_run,
            errors=_ordered(errors),
        )

    if parsed.errors:
        return report([*parsed.header_errors, *parsed.errors])
    checked = [check_record(record, parsed.missing_columns) for record in parsed.records]
    own = [error for article in checked for error in article.errors]
    forbidden = [(p.key, p.text) for p in current_phrases(sessions, Situation.FORBIDDEN)]
    with sessions() as session:
        errors = [*parsed.header_errors, *own, *check_batch(session, checked, forbidden)]
        if errors or dry_run:
            return report(errors)
        when = now or datetime.now(UTC)
        rows: list[ArticleRow] = []
        for article in checked:
            assert article.fields is not None  # no errors: every article is valid
            try:
                rows.append(publish_imported(session, article.fields, by, when))
            except ArticleError as err:
                session.rollback()
                return report([_article_error(article.line, err)])
        index_articles(session, rows)
        ids = [row.id for row in rows]
        session.commit()
    log.info("imported %d knowledge articles (by %s)", len(ids), by)
    return report([], ids)


def _article_error(line: int, err: ArticleError) -> LineError:
    column = getattr(err, "field", None)
    reason = getattr(err, "reason", None)
    if not isinstance(column, str) or not isinstance(reason, str):
        head, separator, rest = str(err).partition(": ")
        column, reason = (head, rest) if separator and head in COLUMNS else (None, str(err))
    return LineError(line=line, field=column, reason=reason)


# ---- export -----------------------------------------------------------------------------------


def export_text(fields: Mapping[str, Any], format: TransferFormat) -> dict[str, Any]:
    """One article's fields as the export writes them (JSON values; CSV cells are strings)."""
    values: dict[str, Any] = {}
    for name in COLUMNS:
        value = fields[name]
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, StrEnum):
            value = value.value
        if format is TransferFormat.CSV:
            if value is None:
                value = ""
            elif isinstance(value, list):
                value = KEYWORD_SEPARATOR.join(value)
            value = _guard(str(value))
        values[name] = value
    return values


def _guard(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class ArticleExport:
    """The articles of the chosen statuses (default: published), in id order, as the text of a
    CSV file (UTF-8 with a BOM, the import's columns) or a JSON list, chunk by chunk.

    Read page by page, each page in a short session of its own: iterating may take long (a slow
    HTTP client) without holding a transaction. `count` is the articles written so far.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        format: TransferFormat,
        statuses: Iterable[ArticleStatus] = (ArticleStatus.PUBLISHED,),
        page: int = EXPORT_PAGE,
    ) -> None:
        self.sessions = sessions
        self.format = format
        self.statuses = sorted({status.value for status in statuses})
        self.page = page
        self.count = 0

    @property
    def media_type(self) -> str:
        if self.format is TransferFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/json"

    def __iter__(self) -> Iterator[str]:
        pages = self._pages()
        first = next(pages, None)  # read before the first chunk: a failure leaves no output
        if self.format is TransferFormat.CSV:
            yield "\ufeff" + _csv_line(list(COLUMNS))
        else:
            yield "["
        for articles in itertools.chain([first] if first else [], pages):
            if self.format is TransferFormat.CSV:
                yield "".join(
                    _csv_line([values[name] for name in COLUMNS])
                    for values in (export_text(a, self.format) for a in articles)
                )
            else:
                yield "".join(
                    ("\n" if self.count == 0 and index == 0 else ",\n")
                    + json.dumps(export_text(a, self.format), ensure_ascii=False)
                    for index, a in enumerate(articles)
                )
            self.count += len(articles)
        if self.format is TransferFormat.JSON:
            yield "\n]\n"

    def _pages(self) -> Iterator[list[dict[str, Any]]]:
        after = 0
        while True:
            query = (
                select(ArticleRow)
                .where(ArticleRow.id > after, ArticleRow.status.in_(self.statuses))
                .order_by(ArticleRow.id)
                .limit(self.page)
            )
            with self.sessions() as session:
                rows = list(session.scalars(query))
                articles = [{name: getattr(row, name) for name in COLUMNS} for row in rows]
            if not rows:
                return
            for article in articles:
                article["material_type"] = MaterialType(article["material_type"])
                article["keywords"] = list(article["keywords"] or [])
            yield articles
            after = rows[-1].id


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
