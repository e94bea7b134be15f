"""`hotline kb import` and `hotline kb export`: a city's knowledge base in and out, in bulk.

hotline kb import FILE --by USER [--format csv|json] [--dry-run] [--json]
    every article of FILE published, or none (exit 1, one `line N: field: reason` per problem)
hotline kb export [--format csv|json] [--status S ...] [--output FILE]
    the published articles (or those of the statuses given), stdout by default

The formats: docs/knowledge-import.md. Exit codes as in `cli.runtime`: 1 the file was refused
(nothing imported), 2 bad input (no such file, unknown format), 3 the database cannot be used.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cli.admin import admin_errors, resolve_url, sessions_for
from cli.options import AsJson, By, DatabaseUrl
from cli.runtime import EXIT_REFUSED, EXIT_USAGE, fail, read_file_bytes
from knowledge.transfer import ArticleExport, ImportReport, import_articles
from knowledge.transfer_files import TransferFormat, format_for
from models.enums import ArticleStatus

FormatOption = Annotated[
    TransferFormat | None,
    typer.Option("--format", help="csv or json (default: from the file name's extension)"),
]


def register(app: typer.Typer) -> None:
    """Add the `import` and `export` commands to `app` (the `hotline kb` group)."""
    app.command("import")(kb_import)
    app.command("export")(kb_export)


def kb_import(
    file: Annotated[Path, typer.Argument(help="a .csv or .json file of articles", metavar="FILE")],
    by: By,
    format: FormatOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every article, write nothing")
    ] = False,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Import a knowledge base: every article of FILE is published, or none is.

    At most 1,000 articles a file. When any article breaks a rule nothing is imported,
    and every problem is listed as `line N: field: reason` (exit 1).
    """
    chosen = format or format_for(file.name)
    if chosen is None:
        raise fail(
            f"cannot tell the format of {file.name!r}: name it .csv or .json, or give --format",
            EXIT_USAGE,
        )
    data = read_file_bytes(file)
    resolved = resolve_url(url)
    with admin_errors(resolved):
        report = import_articles(sessions_for(resolved), data, chosen, by, dry_run=dry_run)
    _show(report, as_json)
    if not report.ok:
        raise typer.Exit(EXIT_REFUSED)


def _show(report: ImportReport, as_json: bool) -> None:
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    read = f" (read as {report.encoding})" if report.encoding else ""
    if report.ok:
        typer.echo(f"{report.summary()}{read}")
        return
    typer.echo(f"refused: {report.summary()}{read}", err=True)
    for error in report.errors:
        typer.echo(error.plain(), err=True)


def kb_export(
    format: FormatOption = None,
    status: Annotated[
        list[ArticleStatus] | None,
        typer.Option("--status", help="articles of this status (repeatable; default published)"),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="write to this file (default: stdout)"),
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Export the knowledge base as CSV (UTF-8 with a BOM, for Excel) or JSON, in the columns
    the import reads: an export re-imports into an empty knowledge base."""
    chosen = format or (format_for(output.name) if output is not None else None)
    chosen = chosen or TransferFormat.CSV
    statuses = status or [ArticleStatus.PUBLISHED]
    resolved = resolve_url(url)
    with admin_errors(resolved):
        export = ArticleExport(sessions_for(resolved), chosen, statuses)
        if output is None:
            stream = sys.stdout.buffer
            for chunk in export:
                stream.write(chunk.encode("utf-8"))
            stream.flush()
        else:
            _write_file(output, export)
    where = "stdout" if output is None else str(output)
    typer.echo(f"exported {export.count} article(s) to {where}", err=True)


def _write_file(output: Path, export: ArticleExport) -> None:
    """All of the export, or nothing: written beside `output`, then renamed over it."""
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise fail(f"no directory {str(directory)!r} for {output.name!r}", EXIT_USAGE)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in export:
                stream.write(chunk.encode("utf-8"))
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
