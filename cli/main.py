"""`hotline`: the dev stack, the worker, the application database, and cases.

hotline run                       Temporal dev server + database + worker (`make run`)
hotline worker                    the case worker alone (TEMPORAL_ADDRESS, HOTLINE_TASK_QUEUE)
hotline db upgrade | seed         migrate / seed the application database (DATABASE_URL)
hotline case intake ...           take in a contact and open its case
hotline case show | list | <step> read and work cases
hotline case publish NO --text|--clear  the public wording Open311 shows of a case
hotline case faults [NO] | retry-faults NO  cases whose work met bad data; retry it
hotline escalate NO --level N     raise a case's supervision level
hotline user add|list|deactivate  users of the HTTP API, one role each
hotline token issue|list|revoke   their bearer tokens (a token is shown only once)
hotline keys init|rotate|list     the key ring that encrypts every stored payload
hotline audit replay|timeline|verify  replay, read and verify case histories
hotline phrases list|set|history|check  service phrases and the wording check
hotline notices case|summary|retry|opt-out|opt-in  notice delivery and 退订
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from temporalio.client import Client

from cli.admin import token_app, user_app
from cli.audit import audit_app
from cli.calls import calls_app
from cli.case_commands import case_app
from cli.faults import faults_command, retry_faults_command
from cli.keys import keys_app
from cli.knowledge import kb_app
from cli.notices import notices_app
from cli.options import By, CaseNo, DatabaseUrl, parse_moment
from cli.phrases import phrases_app
from cli.publication import publish_command
from cli.report import report_command, today_command
from cli.runtime import cli_errors, mark_temporal_used, temporal_used, with_client
from models.commands import EscalationRequest
from services import cases, steps
from settings.temporal import TemporalSettings


class HotlineApp(typer.Typer):
    """The typer app, ending the process promptly once Temporal has been used.

    The Temporal core's background threads can abort the interpreter's teardown of a short-lived
    client process ("Fatal Python error: PyGILState_Release", temporalio/sdk-python#300). After
    a command that used Temporal, the output is flushed and the process exits with the command's
    exit code without that teardown.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as done:
            if not temporal_used():
                raise
            code = done.code
            if isinstance(code, str):
                print(code, file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code if isinstance(code, int) else (0 if code is None else 1))


app = HotlineApp(
    name="hotline",
    help="The 12345 hotline case engine: run it, and work its cases.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)
db_app = typer.Typer(
    help="The application database: DATABASE_URL, default the SQLite file .hotline/hotline.db.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
case_app.command("publish")(publish_command)
case_app.command("faults")(faults_command)
case_app.command(steps.RETRY_FAULTS.cli_name)(retry_faults_command)
app.add_typer(case_app, name="case")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(phrases_app, name="phrases")
app.add_typer(kb_app, name="kb")
app.add_typer(calls_app, name="calls")
app.add_typer(notices_app, name="notices")
app.command("report")(report_command)
app.command("today")(today_command)


@app.command()
def run() -> None:
    """Start the dev stack: Temporal dev server, database, worker, HTTP API. Ctrl-C stops it."""
    from cli.devstack import run_stack

    mark_temporal_used()
    run_stack()


@app.command()
def worker() -> None:
    """Run the case worker against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / HOTLINE_TASK_QUEUE
    (HOTLINE_WORKER_QUEUES=cases|heavy|cases,heavy chooses the queues; default both)."""
    from workers.worker import main

    mark_temporal_used()
    main()


@app.command()
def api() -> None:
    """Serve the HTTP API alone (HOTLINE_API_HOST / HOTLINE_API_PORT, default 127.0.0.1:8000)."""
    from api.__main__ import main

    mark_temporal_used()
    main()


@db_app.command("upgrade")
def db_upgrade(url: DatabaseUrl = None) -> None:
    """Migrate the application database to the latest schema."""
    from db.engine import database_url, normalise_url, safe_url
    from migrations.runner import upgrade

    resolved = normalise_url(url) if url else database_url()
    with cli_errors(resolved):
        upgrade(resolved)
    typer.echo(f"{safe_url(resolved)}: schema up to date")


@db_app.command("seed")
def db_seed(url: DatabaseUrl = None) -> None:
    """Insert the demo departments and dispatch catalogue (rows already there stay)."""
    from db.engine import database_url, make_engine, normalise_url, safe_url, session_factory
    from db.seed import seed_demo

    resolved = normalise_url(url) if url else database_url()
    with cli_errors(resolved):
        outcome = seed_demo(session_factory(make_engine(resolved)))
    typer.echo(
        f"{safe_url(resolved)}: {outcome.departments_written} departments and "
        f"{outcome.catalogue_written} catalogue entries added"
    )


@app.command()
def escalate(
    case_no: CaseNo,
    level: Annotated[
        int, typer.Option("--level", help="1 centre, 2 leadership, 3 government inspection")
    ],
    note: Annotated[str, typer.Option("--note", help="why the case is escalated")],
    by: By,
    deadline: Annotated[
        datetime | None,
        typer.Option(
            "--deadline",
            metavar="ISO",
            parser=parse_moment,
            help="a shorter deadline with its UTC offset, e.g. 2026-12-01T18:00+08:00",
        ),
    ] = None,
) -> None:
    """Escalate a case (督办): levels only go up; a new deadline may only shorten the current one.

    The case applies the escalation right after; check it with `hotline case show NO`.
    """
    with cli_errors():
        request = EscalationRequest.model_validate(
            {"level": level, "note": note, "by": by, "deadline": deadline}
        )

        async def send(client: Client, _settings: TemporalSettings) -> None:
            await cases.escalate(client, case_no, request)

        with_client(send)
    typer.echo(f"case {case_no}: escalation to level {request.level} sent")
    if request.deadline:
        typer.echo(f"  requested deadline {_local(request.deadline)}")


def _local(at: datetime) -> str:
    from cli.output import local_time

    return local_time(at)


if __name__ == "__main__":
    app()
