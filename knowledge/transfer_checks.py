"""Checking the articles of an import file: each record against the field rules of
`ArticleFields` (values converted from what people write: Chinese material names, Excel dates,
separated keywords), then the batch against the database (known departments, titles no article
has, titles given once, no forbidden wording). Every problem is a `LineError`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from knowledge.articles import departments_known, titles_taken
from knowledge.transfer_files import (
    COLUMNS,
    DATE_COLUMNS,
    KEYWORD_SEPARATORS,
    MATERIAL_NAMES,
    REQUIRED_COLUMNS,
    LineError,
    Record,
)
from models.enums import MaterialType
from models.knowledge import ArticleFields
from rules.phrases import find_forbidden

DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
CELL_EMPTY = "required: the cell is empty"
VALUE_ERROR = "Value error, "


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
            raise ValueError(CELL_EMPTY)
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
        match = DATE.match(raw)
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
        reason = reason.removeprefix(VALUE_ERROR)
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


def ordered(errors: Iterable[LineError]) -> list[LineError]:
    order = {name: index for index, name in enumerate(COLUMNS)}

    def key(error: LineError) -> tuple[int, int]:
        return (
            -1 if error.line is None else error.line,
            -1 if error.field is None else order.get(error.field, len(order)),
        )

    return sorted(errors, key=key)
