"""`hotline case faults [NO]` and `hotline case retry-faults NO`: cases whose work met bad data.

A fault is work of a case that failed for a reason no retry can fix (`activities/failures.py`):
the case goes on and shows it until the cause is fixed and an administrator retries it. The
list reads the `Faulted` search attribute; a fault's message never holds personal data.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import TypeAdapter
from temporalio.client import Client

from cli.case_steps import run_step
from cli.options import AsJson, By, Note, RequestId, check_case_no
from cli.output import emit_lines, emit_listings, local_time
from cli.runtime import cli_errors, with_client
from models.state import CaseFault, CaseState
from services import cases, steps
from services.case_list import CaseListing
from settings.temporal import TemporalSettings

OptionalCaseNo = Annotated[
    str | None,
    typer.Argument(
        metavar="[NO]",
        help="a case number: its faults, open and resolved (default: every faulted case)",
        show_default=False,
    ),
]


def faults_command(
    case_no: OptionalCaseNo = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: AsJson = False,
) -> None:
    """List the cases with an open fault, or one case's faults."""
    if case_no is None:
        with cli_errors():

            async def search(client: Client, _settings: TemporalSettings) -> list[CaseListing]:
                return await cases.faulted_cases(client, limit)

            listings = with_client(search)
        emit_listings(listings, as_json)
        return
    number = check_case_no(case_no)
    with cli_errors():

        async def read(client: Client, _settings: TemporalSettings) -> CaseState:
            return await cases.show(client, number)

        state = with_client(read)
    if as_json:
        typer.echo(TypeAdapter(list[CaseFault]).dump_json(state.faults, indent=2).decode())
        return
    if not state.faults:
        emit_lines([f"case {number}: no faults"])
        return
    emit_lines([f"case {number}: {len(state.open_faults)} open of {len(state.faults)}"])
    emit_lines(fault_line(fault) for fault in state.faults)


def retry_faults_command(
    case_no: Annotated[
        str,
        typer.Argument(metavar="NO", help="case number", callback=check_case_no),
    ],
    by: By,
    note: Note = None,
    request_id: RequestId = None,
    as_json: AsJson = False,
) -> None:
    """Re-run a case's failed work once its cause is fixed; resolved faults close."""
    run_step(steps.RETRY_FAULTS, case_no, {"by": by, "note": note}, request_id, as_json)


def fault_line(fault: CaseFault) -> str:
    state = (
        f"resolved {local_time(fault.resolved_at)} by {fault.resolved_by}"
        if fault.resolved_at
        else "OPEN"
    )
    return (
        f"  #{fault.id} {fault.activity} {fault.error_type} at {local_time(fault.at)}, "
        f"{fault.retries} retries, {state}: {fault.message}"
    )
