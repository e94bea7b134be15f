"""Options shared by the case commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from audit.sources import Source
from cli.runtime import InvalidOptionsError
from models.intake import CASE_NO_PATTERN

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
By = Annotated[str, typer.Option("--by", help="who acts (user id)", show_default=False)]
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
