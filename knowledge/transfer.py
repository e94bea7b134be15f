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
base. Article contents are never logged: only counts and who imported. Reading a file is
`knowledge.transfer_files`, checking its articles `knowledge.transfer_checks`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from db.engine import SessionFactory
from db.knowledge_tables import ArticleRow
from knowledge.articles import ArticleError, publish_imported
from knowledge.index import index_articles
from knowledge.phrases import forbidden_expressions
from knowledge.transfer_checks import check_batch, check_record, ordered
from knowledge.transfer_files import (
    COLUMNS,
    KEYWORD_SEPARATOR,
    LineError,
    TransferFormat,
    parse,
)
from models.cells import guard_cell
from models.enums import ArticleStatus, MaterialType

log = logging.getLogger(__name__)
MAX_BY = 64
EXPORT_PAGE = 500


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
            errors=ordered(errors),
        )

    if parsed.errors:
        return report([*parsed.header_errors, *parsed.errors])
    checked = [check_record(record, parsed.missing_columns) for record in parsed.records]
    own = [error for article in checked for error in article.errors]
    forbidden = forbidden_expressions(sessions)
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
            value = str(guard_cell(str(value)))  # never a formula in a spreadsheet
        values[name] = value
    return values


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
