"""Options shared by the commands: case numbers, actors, databases, and the parsers of every
datetime option (each carries its UTC offset, or the command stops with exit code 2)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from audit.sources import Source
from cli.actors import check_actor
from cli.runtime import InvalidOptionsError
from models.intake import CASE_NO_PATTERN
from models.timestamps import BEIJING, offset_datetime, offset_refusal

_CASE_NO = re.compile(CASE_NO_PATTERN)


def check_case_no(value: str) -> str:
    if not _CASE_NO.match(value):
        raise typer.BadParameter(f"{value!r} is not a case number (like GY20261128-000123)")
    return value


CaseNo = Annotated[
    str,
    typer.Argument(
        metavar="NO", help="case number, e.g. GY20261128-000123", callback=check_case_no
    ),
]
By = Annotated[
    str,
    typer.Option(
        "--by",
        help="who acts (user id; refused if that user or their department is deactivated)",
        show_default=False,
        callback=check_actor,
    ),
]
Note = Annotated[str | None, typer.Option("--note", help="a note kept on the case's timeline")]
RequestId = Annotated[
    str | None,
    typer.Option(
        "--request-id",
        help="id of this request: repeating it (a retried click) runs the step once",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
Dept = Annotated[str, typer.Option("--dept", help="department id, e.g. gy-market")]
Decision = Annotated[
    bool, typer.Option("--approve/--reject", help="the decision", show_default=False)
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--url",
        "--database-url",
        help="database URL (default: $DATABASE_URL or .hotline/hotline.db)",
        is_eager=True,  # before `--by`, which checks the acting user in this database
    ),
]


def check_source(source: Source | None, file: Path | None) -> Source | None:
    """The history source the options name: file with --file; None means engine, then archive."""
    if file is not None:
        if source not in (None, Source.FILE):
            raise InvalidOptionsError("--file reads a history file; it takes no other --source")
        return Source.FILE
    if source is Source.FILE:
        raise InvalidOptionsError("--source file needs --file PATH")
    return source


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOT_A_MOMENT = "not an ISO 8601 datetime such as 2026-12-01T10:00:00+08:00"


def parse_moment(value: str) -> datetime:
    """A datetime option's value: ISO 8601 with its UTC offset (`+08:00`, `Z`), never naive.

    typer names the option in the refusal: `Invalid value for '--deadline': needs a UTC offset`.
    """
    try:
        return offset_datetime(value.strip())
    except ValueError as err:
        raise typer.BadParameter(offset_refusal(err) or NOT_A_MOMENT) from None


def parse_day_or_moment(value: str) -> datetime:
    """A window's bound: a Beijing day (`2026-11-01`, from its start) or a datetime with offset."""
    text = value.strip()
    if _DAY.match(text):
        try:
            return datetime.combine(date.fromisoformat(text), time(), BEIJING)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a day (YYYY-MM-DD)") from None
    return parse_moment(text)
