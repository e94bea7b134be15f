"""`hotline calls ...`: the telephony system's call records in, linked to cases, and counted.

hotline calls ingest FILE --format queue_log|cdr|csv --by USER [--source NAME]
                      [--timezone Asia/Shanghai] [--json]
    every readable line kept; the bad lines listed on stderr (`line N: reason`); each call's
    direction (inbound, or an outbound callback) by the centre's rules, HOTLINE_TELEPHONY_RULES
hotline calls link CALL_ID CASE_NO --by USER [--source NAME]
    the call linked to the case (refused for an unknown call or case)
hotline calls summary --from YYYY-MM-DD --to YYYY-MM-DD [--queue Q] [--json]
    incoming calls offered, answered, connection and 15-second rates, the worst 24 hours

The formats: docs/call-records.md. Exit codes as in `cli.runtime`: 1 refused (no line of the
file could be read, an unknown call or case), 2 bad input (no such file, bad options),
3 the database cannot be used. A file ingested before is reported and exits 0.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.admin import admin_errors, resolve_url, sessions_for
from cli.options import AsJson, By, CaseNo, DatabaseUrl
from cli.runtime import EXIT_REFUSED, EXIT_USAGE, fail, read_file_bytes
from evaluation.telephony import DEFAULT_TIMEZONE, CallFormat, time_zone
from models.evaluation import CallSummary, Period
from models.timestamps import BEIJING
from settings.environment import Settings

calls_app = typer.Typer(
    help="Call records of the telephony system: ingest them, link calls to cases, count them.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

Source = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="the telephony system the file comes from (default: asterisk for queue_log and "
        "cdr, csv for the generic CSV); call ids are unique per source",
    ),
]


@calls_app.command("ingest")
def ingest(
    file: Annotated[Path, typer.Argument(help="a queue_log, Master.csv or CSV file")],
    format: Annotated[CallFormat, typer.Option("--format", help="queue_log, cdr or csv")],
    by: By,
    source: Source = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="the PBX's local time zone (Master.csv times)")
    ] = DEFAULT_TIMEZONE,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Ingest a file of call records: one row per call, the good lines kept.

    A file ingested before (same content) is reported and nothing is written; a file that
    overlaps an earlier one completes its calls, and a queue_log and a CDR of the same PBX make
    one call. Each call's direction follows the centre's rules (HOTLINE_TELEPHONY_RULES); an
    unusable rules file exits 2. Bad lines are listed on stderr.
    """
    from evaluation.call_ingest import ingest_calls

    settings = Settings.from_env()

    try:
        time_zone(timezone)
    except ValueError as err:
        raise fail(f"--timezone: {err}", EXIT_USAGE) from None
    data = read_file_bytes(file)
    resolved = resolve_url(url)
    with admin_errors(resolved):
        report = ingest_calls(
            sessions_for(resolved),
            data,
            format,
            name=file.name,
            by=by,
            source=source,
            timezone=timezone,
            caller_key=settings.caller_hash_key,
            rules_file=settings.telephony_rules,
        )
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(report.summary(), err=report.refused)
    for error in report.errors:
        typer.echo(error.plain(), err=True)
    for warning in report.warnings:
        typer.echo(f"warning: {warning.plain()}", err=True)
    if report.refused:
        raise typer.Exit(EXIT_REFUSED)


@calls_app.command("link")
def link(
    call_id: Annotated[str, typer.Argument(metavar="CALL_ID", help="the call's id at its source")],
    case_no: CaseNo,
    by: By,
    source: Annotated[
        str | None,
        typer.Option("--source", help="the call's source (needed if several have the id)"),
    ] = None,
    url: DatabaseUrl = None,
) -> None:
    """Link a call to a case (replacing any earlier link)."""
    from evaluation.call_ingest import CallLinkError, link_call

    resolved = resolve_url(url)
    with admin_errors(resolved):
        try:
            done = link_call(sessions_for(resolved), call_id, case_no, by=by, source=source)
        except CallLinkError as err:
            raise fail(f"refused: {err}", EXIT_REFUSED) from None
    before = f" (was {done.previous_case_no})" if done.previous_case_no else ""
    typer.echo(f"call {done.call_id} ({done.source}) linked to case {done.case_no}{before}")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@calls_app.command("summary")
def summary(
    start: Annotated[
        str, typer.Option("--from", help="first Beijing day, YYYY-MM-DD", show_default=False)
    ],
    end: Annotated[
        str, typer.Option("--to", help="last Beijing day (included)", show_default=False)
    ],
    queue: Annotated[str | None, typer.Option("--queue", help="one queue only")] = None,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """The call indicators of the days --from to --to (both included, Beijing time)."""
    from evaluation.calls import call_summary

    first, last = _day(start), _day(end)
    if last < first:
        raise fail(f"--to {last} is before --from {first}", EXIT_USAGE)
    period = Period.days(first, last)
    resolved = resolve_url(url)
    with admin_errors(resolved):
        result = call_summary(sessions_for(resolved), period, queue)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    _show(period, result)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2%}"


def _local(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _show(period: Period, result: CallSummary) -> None:
    target = result.connection_rate.target or 0.0
    verdict = {True: "meets", False: "below", None: "-"}[result.connection_rate.meets_target]
    typer.echo(f"period            {period.label}")
    typer.echo(f"offered           {result.offered}")
    typer.echo(f"answered          {result.answered}")
    typer.echo(f"abandoned         {result.abandoned}")
    typer.echo(
        f"connection rate   {_percent(result.connection_rate.rate)} "
        f"({verdict} the {target:.0%} target)"
    )
    typer.echo(
        f"15 s answer rate  {_percent(result.answer_15s_rate.rate)} "
        f"({result.answered_within_15s} within 15 s)"
    )
    window = result.worst_window
    if window is None:
        typer.echo("worst 24 hours    -")
        return
    typer.echo(
        f"worst 24 hours    {_local(window.start)} .. {_local(window.end)} (Beijing): "
        f"{_percent(window.rate)}, {window.answered} of {window.offered} answered"
        + ("" if window.meets_target else f", below the {window.target:.0%} target")
    )
