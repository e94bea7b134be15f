"""`hotline report` and `hotline today`: the service evaluation of a period, and the live view.

hotline report --month 2026-11 [--output FILE.html] [--csv FILE] [--xlsx FILE] [--json]
               [--weights 0.3,0.35,0.35] [--url URL]
hotline report --from 2026-11-01 --to 2026-11-15 ...      the days from and to, both included
hotline today [--json] [--url URL]                         open, due today, overdue, by level

`report` writes the HTML report (default `report-<period>.html` in the current directory; with
`--json` only when `--output` is given) and the CSV and XLSX files asked for; `--json` prints the
`EvaluationReport` the files were made from. Exit codes as in `cli.runtime`: 2 for a bad month,
days, weights or output directory, 3 when the database cannot be used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.admin import resolve_url, sessions_for
from cli.options import AsJson, DatabaseUrl
from cli.output import local_time
from cli.runtime import EXIT_USAGE, cli_errors, fail

DAY_FORMATS = ["%Y-%m-%d"]

Month = Annotated[
    str | None,
    typer.Option("--month", metavar="YYYY-MM", help="a calendar month, e.g. 2026-11"),
]
FirstDay = Annotated[
    datetime | None,
    typer.Option("--from", formats=DAY_FORMATS, metavar="DAY", help="first day, e.g. 2026-11-01"),
]
LastDay = Annotated[
    datetime | None,
    typer.Option(
        "--to", formats=DAY_FORMATS, metavar="DAY", help="last day, included, e.g. 2026-11-15"
    ),
]
OutputFile = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="the HTML report (default report-PERIOD.html)"
    ),
]
CsvFile = Annotated[
    Path | None,
    typer.Option("--csv", metavar="FILE", help="also write every figure as CSV (UTF-8, BOM)"),
]
XlsxFile = Annotated[
    Path | None,
    typer.Option("--xlsx", metavar="FILE", help="also write the tables as an Excel workbook"),
]
WeightsOption = Annotated[
    str | None,
    typer.Option(
        "--weights",
        metavar="R,S,T",
        help="ranking weights of response, resolution, satisfaction; they sum to 1 "
        "(default 0.3,0.35,0.35)",
    ),
]


def report_command(
    month: Month = None,
    first: FirstDay = None,
    last: LastDay = None,
    output: OutputFile = None,
    csv: CsvFile = None,
    xlsx: XlsxFile = None,
    as_json: AsJson = False,
    weights: WeightsOption = None,
    url: DatabaseUrl = None,
) -> None:
    """Write the service evaluation report of a month (--month) or of days (--from/--to).

    The HTML report has the indicators with their targets, the breakdowns by department, type,
    channel and district, the department ranking per class and the charts; --csv and --xlsx
    carry the same figures, --json prints them.
    """
    from evaluation.exports import render_csv, render_xlsx
    from evaluation.render import render_html
    from evaluation.report import (
        ReportInputError,
        build_report,
        choose_period,
        department_names,
        parse_weights,
    )

    try:
        period = choose_period(
            month,
            first.date() if first is not None else None,
            last.date() if last is not None else None,
            names=("--month", "--from", "--to"),
        )
        chosen_weights = parse_weights(weights, "--weights") if weights is not None else None
    except ReportInputError as err:
        raise fail(str(err), EXIT_USAGE) from None
    html_file = output
    if html_file is None and not as_json:
        html_file = Path(f"report-{period.label}.html")
    targets = [path for path in (html_file, csv, xlsx) if path is not None]
    for path in targets:
        _check_directory(path)
    if len({path.resolve() for path in targets}) < len(targets):
        raise fail("--output, --csv and --xlsx must name different files", EXIT_USAGE)

    resolved = resolve_url(url)
    with cli_errors(resolved):
        sessions = sessions_for(resolved)
        report = build_report(sessions, period, chosen_weights)
        names = department_names(sessions)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    written: list[Path] = []
    if html_file is not None:
        _write(html_file, render_html(report, names).encode("utf-8"))
        written.append(html_file)
    if csv is not None:
        _write(csv, render_csv(report))
        written.append(csv)
    if xlsx is not None:
        _write(xlsx, render_xlsx(report, names))
        written.append(xlsx)
    for path in written:
        typer.echo(f"report {period.label}: wrote {path}", err=as_json)


def _check_directory(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise fail(f"no directory {str(directory)!r} for {path.name!r}", EXIT_USAGE)
    if path.is_dir():
        raise fail(f"{str(path)!r} is a directory, not a file", EXIT_USAGE)


def _write(path: Path, data: bytes) -> None:
    """All of `data`, or nothing: written beside `path`, then renamed over it."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def today_command(as_json: AsJson = False, url: DatabaseUrl = None) -> None:
    """The supervisors' live view: open cases, due today, overdue, by escalation level and by
    department, as of now."""
    from evaluation.indicators import today_view

    resolved = resolve_url(url)
    with cli_errors(resolved):
        view = today_view(sessions_for(resolved), datetime.now(UTC))
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    typer.echo(f"today, as of {local_time(view.at)} (Asia/Shanghai)")
    typer.echo(f"  {'open':<15} {view.open:,}")
    typer.echo(f"  {'due today':<15} {view.due_today:,}")
    typer.echo(f"  {'overdue':<15} {view.overdue:,}")
    levels = " · ".join(
        f"level {level}: {count:,}" for level, count in sorted(view.by_escalation_level.items())
    )
    typer.echo(f"  {'escalation':<15} {levels or '-'}")
    if view.by_department:
        typer.echo("by department:")
        for line in _table(view.by_department):
            typer.echo(f"  {line}")


def _table(rows: Sequence[dict[str, int | str]]) -> list[str]:
    """Rows of mixed text and counts as aligned columns (counts right-aligned)."""
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    cells = [
        [
            f"{row[key]:,}" if isinstance(row.get(key), int) else str(row.get(key, "-"))
            for key in columns
        ]
        for row in rows
    ]
    numeric = [all(isinstance(row.get(key), int) for row in rows) for key in columns]
    widths = [
        max(len(column), *(len(line[index]) for line in cells))
        for index, column in enumerate(columns)
    ]

    def aligned(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return [aligned(columns), *(aligned(line) for line in cells)]
