"""Reading a knowledge-base import file: CSV (UTF-8 with or without a BOM, or GB18030; English
or Chinese headers; multi-line quoted cells, each article named by its line) or JSON (a list of
articles, or `{"articles": [...]}`), into records of raw values with the problems of the file
itself. The formats are described in docs/knowledge-import.md."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from models.cells import unguard_cell
from models.enums import MaterialType
from models.knowledge import KEYWORD_SEPARATORS as ARTICLE_KEYWORD_SEPARATORS
from models.knowledge import ArticleFields

MAX_BATCH = 1000
"""Most articles in one import."""

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
            # The export guards cells a spreadsheet would run as formulas: take the guard off.
            record.values[column] = unguard_cell(cell)
    return record


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
