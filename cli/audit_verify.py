"""`hotline audit verify [NO] [--all] [--json]`: check the hash chains of the log and the archive.

Pure database, no Temporal: every case's transition chain, the global archive chain and the
links between them (`audit.verify`). Exit 0 and `verified: N transitions of M cases, K
archives: intact` when nothing is wrong; exit 1 and one line per finding otherwise (`--json`:
the whole report as JSON, same exit codes); 2 for bad input, 3 if the database cannot be used.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.options import AsJson, DatabaseUrl, check_case_no
from cli.runtime import EXIT_REFUSED, EXIT_USAGE, cli_errors, fail


def _case_no(value: str | None) -> str | None:
    return None if value is None else check_case_no(value)


OptionalCaseNo = Annotated[
    str | None,
    typer.Argument(
        metavar="[NO]",
        help="case number to verify, e.g. GY20261128-000123 (default: everything)",
        callback=_case_no,
        show_default=False,
    ),
]
All = Annotated[
    bool, typer.Option("--all", help="verify every case and the whole archive (the default)")
]


def verify(
    case_no: OptionalCaseNo = None,
    everything: All = False,
    as_json: AsJson = False,
    url: DatabaseUrl = None,
) -> None:
    """Verify the hash chains of the transition log and the archive (one case, or all)."""
    from audit.verify import check_case, verify_all
    from db.engine import database_url, make_engine, normalise_url, session_factory

    if case_no is not None and everything:
        raise fail("give a case number or --all, not both", EXIT_USAGE)
    resolved = normalise_url(url) if url else database_url()
    with cli_errors(resolved):
        sessions = session_factory(make_engine(resolved))
        report = check_case(sessions, case_no) if case_no else verify_all(sessions)
    if case_no is not None and report.cases == 0 and report.archives == 0 and report.intact:
        raise fail(f"no transitions and no archive of case {case_no}", EXIT_USAGE)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.intact:
        typer.echo(report.summary())
    else:
        for finding in report.findings:
            typer.echo(str(finding))
        typer.echo(report.summary(), err=True)
    if not report.intact:
        raise typer.Exit(EXIT_REFUSED)
